"""The query log as editors read it: pages newest first, top queries, what found nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import make_runtime

from wxbot.callback.query_report import missed_queries, query_log, top_queries
from wxbot.storage import followers
from wxbot.storage.followers import LoggedMessage

NOW = dt.datetime(2026, 6, 26, 4, 0, tzinfo=dt.UTC)


def message(n: int, query: str, found: bool, hours_ago: float, handler: str = "search") -> Any:
    return LoggedMessage(
        f"m{n}", "o1", "text", query, handler, "list" if found else "nothing", found, "[]",
        "<xml/>", NOW - dt.timedelta(hours=hours_ago),
    )  # fmt: skip


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def logged(app_config: dict[str, Any], clock: Clock) -> Any:
    runtime = make_runtime(app_config | {"clock": clock})
    rows = [
        message(1, "数据要素", True, 1),
        message(2, "鲸鱼", False, 2),
        message(3, "鲸鱼", False, 30),  # yesterday: this week, not today
        message(4, "算力", True, 50),
        message(5, "算力", False, 200),  # more than a week ago
        message(6, "最新", True, 3, handler="latest"),  # not a search
    ]
    with runtime.db.begin() as conn:
        followers.log_messages(conn, rows)
    yield runtime
    runtime.close()


def test_the_log_pages_newest_first(logged: Any) -> None:
    first = query_log(logged, 1, per_page=4)
    assert [m.dedupe_key for m in first.messages] == ["m1", "m2", "m6", "m3"]
    assert (first.page, first.has_older) == (1, True)
    last = query_log(logged, 2, per_page=4)
    assert ([m.dedupe_key for m in last.messages], last.has_older) == (["m4", "m5"], False)
    assert query_log(logged, 3, per_page=3).messages == []  # past the end


@pytest.mark.parametrize(
    ("period", "top", "missed"),
    [
        ("day", [("数据要素", 1, 0), ("鲸鱼", 1, 1)], [("鲸鱼", 1, 1)]),
        ("week", [("鲸鱼", 2, 2), ("数据要素", 1, 0), ("算力", 1, 0)], [("鲸鱼", 2, 2)]),
    ],
)
def test_top_and_missed_queries_by_day_and_week(
    logged: Any, period: str, top: list[Any], missed: list[Any]
) -> None:
    assert [(q.query, q.asked, q.found_nothing) for q in top_queries(logged, period)] == top
    assert [(q.query, q.asked, q.found_nothing) for q in missed_queries(logged, period)] == missed


def test_an_unknown_period_is_refused(logged: Any) -> None:
    with pytest.raises(ValueError, match="period must be one of day, week"):
        top_queries(logged, "month")


def test_counts_are_reused_for_a_minute(logged: Any, clock: Clock) -> None:
    before = [(q.query, q.asked) for q in top_queries(logged, "day")]
    with logged.db.begin() as conn:
        followers.log_messages(conn, [message(9, "低空经济", True, 0)])
    clock.now += dt.timedelta(seconds=59)
    assert [(q.query, q.asked) for q in top_queries(logged, "day")] == before
    clock.now += dt.timedelta(seconds=2)
    assert ("低空经济", 1) in [(q.query, q.asked) for q in top_queries(logged, "day")]
    assert query_log(logged).messages[0].query == "低空经济"  # the log is never reused
