"""The scheduling rules in effect: the ``[schedule]`` section of the settings, durations typed."""

from __future__ import annotations

from ..config import ScheduleSection

#: How far ahead sends are scheduled and prepared, how late they may go, who may retry.
SchedulePolicy = ScheduleSection
