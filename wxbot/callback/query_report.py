"""What followers asked, for editors: the log page by page, the top queries, what found nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..runtime import Runtime
from ..storage import followers
from ..storage.followers import LoggedMessage

#: The periods top queries are counted over, by name.
PERIODS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}


@dataclass(frozen=True)
class QueryLogPage:
    """One page of the query log, newest first."""

    messages: list[LoggedMessage]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class QueryCount:
    """A search followers made, how often, and how often it found nothing."""

    query: str
    asked: int
    found_nothing: int


def query_log(runtime: Runtime, page: int = 1, per_page: int = 50) -> QueryLogPage:
    """Return page ``page`` (from 1) of what followers sent, newest first."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    with runtime.db.begin() as conn:
        total = followers.count_messages(conn)
        pages = max((total + per_page - 1) // per_page, 1)
        page = min(max(page, 1), pages)
        messages = followers.messages_page(conn, (page - 1) * per_page, per_page)
    return QueryLogPage(messages, page, pages, total)


def period_start(runtime: Runtime, period: str) -> dt.datetime:
    """Return when ``period`` (``day`` or ``week``, up to now) began.

    :raises ValueError: for another period.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    return runtime.now() - PERIODS[period]


def top_queries(runtime: Runtime, period: str = "week", limit: int = 20) -> list[QueryCount]:
    """Return the searches most asked in the last day or week."""
    with runtime.db.begin() as conn:
        rows = followers.top_queries(conn, period_start(runtime, period), limit)
    return [QueryCount(*row) for row in rows]


def missed_queries(runtime: Runtime, period: str = "week", limit: int = 20) -> list[QueryCount]:
    """Return the searches that found nothing in the last day or week, most asked first."""
    with runtime.db.begin() as conn:
        rows = followers.top_queries(conn, period_start(runtime, period), limit, missed_only=True)
    return [QueryCount(*row) for row in rows]
