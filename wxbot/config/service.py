"""The ``[schedule]``, ``[callback]`` and ``[search]`` sections: sends and answers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import (
    Field,
    field_validator,
)

from .fields import CLIENTMSGID_WINDOW, Seconds, Section


class ScheduleSection(Section):
    """``[schedule]``: how far ahead sends are scheduled and prepared, how late they may go."""

    min_lead: Seconds = Field(
        dt.timedelta(seconds=300),
        ge=dt.timedelta(0),
        description="Seconds a scheduled send must lie ahead when scheduled (the web console's "
        "定时群发 needs 5 minutes); 0 allows sends due at once, for testing.",
    )
    prepare_ahead: Seconds = Field(
        dt.timedelta(seconds=1800),
        ge=dt.timedelta(0),
        description="Seconds before the send to render, upload, make the draft and send "
        "previews (at once when the send is sooner).",
    )
    max_delay: Seconds = Field(
        dt.timedelta(seconds=1800),
        ge=dt.timedelta(0),
        description="Seconds a send may still go out after its time (when nothing was running); "
        "later it is marked missed, never sent. Under 23 hours (WeChat's clientmsgid window).",
    )
    daily_quota: int = Field(
        1,
        ge=0,
        description="Mass sends allowed per day in [publish] timezone (1 for a subscription "
        "account); 0 = no limit.",
    )
    poll_interval: float = Field(
        5.0,
        gt=0,
        description="Seconds the worker waits between looks at the job table (less when a send "
        "is due sooner).",
    )
    lease: Seconds = Field(
        dt.timedelta(seconds=300),
        gt=dt.timedelta(0),
        description="Seconds a worker holds a claimed job; after that another worker may take "
        "it over (longer than a sendall call with its retries).",
    )
    retry_interval: Seconds = Field(
        dt.timedelta(seconds=60),
        gt=dt.timedelta(0),
        description="Seconds before retrying a send WeChat answered with a passing error (-1, "
        "45011, 45066 asks for a minute) or that got no answer.",
    )
    status_interval: Seconds = Field(
        dt.timedelta(seconds=60),
        gt=dt.timedelta(0),
        description="Seconds between looks at a submitted send's outcome (MASSSENDJOBFINISH, "
        "else message/mass/get).",
    )
    in_process: bool = Field(
        True,
        description="Run the scheduler inside `wxbot serve` (the single-process default); false "
        "when a separate `wxbot worker` runs it.",
    )

    @field_validator("max_delay")
    @classmethod
    def _within_clientmsgid_window(cls, delay: dt.timedelta) -> dt.timedelta:
        # A retry after max_delay would fall outside WeChat's 24-hour clientmsgid dedupe.
        if delay >= CLIENTMSGID_WINDOW:
            raise ValueError("must be under 23 hours (clientmsgid window)")
        return delay


class CallbackSection(Section):
    """``[callback]``: how the follower callback answers and logs."""

    max_body_bytes: int = Field(
        65536,
        gt=0,
        description="Largest follower-callback body accepted, in bytes; a larger one is "
        "answered 413.",
    )
    timestamp_window: float = Field(
        300,
        ge=0,
        description="Seconds a callback's timestamp may differ from the server clock; "
        "0 = no check.",
    )
    welcome_text: str = Field(
        "欢迎关注新质生产力每日动态！每天一期，追踪新质生产力的政策、产业与资本动向。",
        description="Welcome a new follower reads: the description of the latest issue's card "
        "(followed by how to ask); sent as text while the archive has no issue.",
    )
    log_flush_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds a worker may hold answered messages before writing them to the "
        "query log in one batch (WeChat retries after 5 s); 0 = write each one before replying.",
    )
    list_memory_hours: float = Field(
        24,
        gt=0,
        description="Hours a follower can still pick an item of the last list by its number.",
    )
    late_answer_budget: float = Field(
        4.0,
        ge=0,
        lt=5,
        description="Seconds an answer may take before the callback replies `success` and sends "
        "it by customer-service message instead (under WeChat's 5 s; needs [wechat] appid and "
        "secret); 0 = wait for every answer, never send one late.",
    )


class SearchSection(Section):
    """``[search]``: what finds what in the archive, and how answers are cached."""

    synonyms: list[list[Annotated[str, Field(min_length=1)]]] = Field(
        [["AI", "人工智能"], ["大模型", "LLM"]],
        description="Groups of words that find each other (a search for one finds any).",
    )
    popular_keywords: list[Annotated[str, Field(min_length=1)]] = Field(
        ["数据要素", "低空经济", "人工智能", "算力", "5G"],
        description="Keywords suggested in the menu and when a search finds nothing.",
    )
    recency_half_life_days: float = Field(
        30.0, gt=0, description="Days after which an issue's relevance counts half in the ranking."
    )
    cache_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds a worker reuses cached answers before checking the archive, "
        "keyword rules and article links for changes; 0 = check before every answer.",
    )
    cache_size: int = Field(2048, ge=0, description="Answers each worker keeps in its cache.")
