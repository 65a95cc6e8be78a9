"""The scheduling rules in effect: the ``[schedule]`` keys as durations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SchedulePolicy:
    """How far ahead sends are scheduled and prepared, how late they may go, who may retry."""

    min_lead: dt.timedelta
    prepare_ahead: dt.timedelta
    max_delay: dt.timedelta
    daily_quota: int
    poll_interval: float
    lease: dt.timedelta
    retry_interval: dt.timedelta
    status_interval: dt.timedelta

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, Any]]) -> SchedulePolicy:
        """Return the policy of a loaded configuration's ``[schedule]`` section."""
        section = config["schedule"]

        def seconds(key: str) -> dt.timedelta:
            return dt.timedelta(seconds=float(section[key]))

        return cls(
            min_lead=seconds("min_lead"),
            prepare_ahead=seconds("prepare_ahead"),
            max_delay=seconds("max_delay"),
            daily_quota=int(section["daily_quota"]),
            poll_interval=float(section["poll_interval"]),
            lease=seconds("lease"),
            retry_interval=seconds("retry_interval"),
            status_interval=seconds("status_interval"),
        )
