"""The ``[stats]`` section: when the worker collects reading statistics, and how far back."""

from __future__ import annotations

from pydantic import Field

from .fields import Section


class StatsSection(Section):
    """``[stats]``: the daily collection from WeChat's data cube (数据统计)."""

    enabled: bool = Field(
        False,
        description="Let the worker collect reading statistics once a day (off by default: "
        "on SQLite its writes compete with the sends' for the one write lock).",
    )
    collect_hour: int = Field(
        9,
        ge=0,
        le=23,
        description="Hour of the day ([publish] timezone) from which the worker collects "
        "yesterday's statistics; WeChat has a day ready after 08:00 China time.",
    )
    look_back_days: int = Field(
        30,
        ge=1,
        le=365,
        description="Days back from yesterday that a collection fills in when they are missing "
        "(after a failure or a pause); older days are left alone.",
    )
