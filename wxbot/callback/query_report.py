"""What followers asked, for editors: the log page by page, the top queries, what found nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..runtime import Runtime
from ..storage import followers
from ..storage.followers import LoggedMessage

#: The periods top queries are counted over, by name.
PERIODS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}

#: How long top and missed queries are reused: counting a week of searches is the page's cost
#: (100,000 logged messages: ~0.1 s on SQLite), and editors need no fresher count than this.
COUNTS_TTL = dt.timedelta(seconds=60)

#: Counted queries by (database, kind, period, limit): when counted, and what.
_COUNTED: dict[tuple[str, bool, str, int], tuple[dt.datetime, list[QueryCount]]] = {}
_COUNTED_MAX = 64


@dataclass(frozen=True)
class QueryLogPage:
    """One page of the query log, newest first, and whether older messages follow.

    Not counted: counting 100,000 messages costs more than the page itself.
    """

    messages: list[LoggedMessage]
    page: int
    has_older: bool


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
    page = max(page, 1)
    with runtime.db.begin() as conn:
        messages = followers.messages_page(conn, (page - 1) * per_page, per_page + 1)
    return QueryLogPage(messages[:per_page], page, len(messages) > per_page)


def period_start(runtime: Runtime, period: str) -> dt.datetime:
    """Return when ``period`` (``day`` or ``week``, up to now) began.

    :raises ValueError: for another period.
    """
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    return runtime.now() - PERIODS[period]


def top_queries(runtime: Runtime, period: str = "week", limit: int = 20) -> list[QueryCount]:
    """Return the searches most asked in the last day or week (counted once a minute)."""
    return _counted(runtime, period, limit, missed_only=False)


def missed_queries(runtime: Runtime, period: str = "week", limit: int = 20) -> list[QueryCount]:
    """Return the searches that found nothing in the last day or week, most asked first."""
    return _counted(runtime, period, limit, missed_only=True)


def _counted(runtime: Runtime, period: str, limit: int, *, missed_only: bool) -> list[QueryCount]:
    since = period_start(runtime, period)
    now = runtime.now()
    key = (runtime.db.engine.url.render_as_string(), missed_only, period, limit)
    kept = _COUNTED.get(key)
    if kept is not None and now - COUNTS_TTL <= kept[0] <= now:
        return kept[1]
    with runtime.db.begin() as conn:
        rows = followers.top_queries(conn, since, limit, missed_only=missed_only)
    counted = [QueryCount(*row) for row in rows]
    if len(_COUNTED) >= _COUNTED_MAX:
        _COUNTED.clear()
    _COUNTED[key] = (now, counted)
    return counted
