"""Collecting a month of reading statistics from the sandbox: idempotent, resumable, exact."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
import sqlalchemy
from conftest import SAMPLES

from wxbot import config
from wxbot.archive import get_issue, ingest_paths
from wxbot.errors import ConfigError
from wxbot.rendering.titles import article_title
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.scheduling.worker import start_worker_thread
from wxbot.stats import report
from wxbot.stats.collection import RETRY_AFTER, DailyCollection, collect, collect_each
from wxbot.storage import reading_stats
from wxbot.wechat import WeChatApi, WeChatError

#: 10:00 China time on 2026-07-10; the sandbox holds a send a day from 2026-06-10 to 07-09.
NOW = dt.datetime(2026, 7, 10, 2, 0, tzinfo=dt.UTC)
FIRST, LAST = dt.date(2026, 6, 10), dt.date(2026, 7, 9)
MONTH = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
TABLES = ("article_reads", "article_totals", "follower_days", "stats_collected")


def stats_config(
    app_config: dict[str, Any], sandbox: SandboxServer, **stats: Any
) -> dict[str, Any]:
    """Return a configuration on the sandbox, its clock at ``NOW``."""
    return app_config | {
        "wechat": {
            "appid": SANDBOX_APPID,
            "secret": SANDBOX_SECRET,
            "api_base_url": sandbox.base_url,
            "retry_backoff": 0.01,
        },
        "stats": {"look_back_days": 30, "enabled": True} | stats,
        "clock": lambda: NOW,
    }


def seed_month(runtime: Runtime, sandbox: SandboxServer) -> None:
    """Give the sandbox 1,200 followers and a send a day; the sample issues under their titles."""
    titles = {
        issue.date: article_title(issue, runtime.settings)
        for issue in (get_issue(runtime, p.stem) for p in SAMPLES)
    }
    sends = [{"date": d.isoformat(), "titles": [titles.get(d, f"测试｜{d:%m-%d}")]} for d in MONTH]
    answer = requests.post(
        f"{sandbox.base_url}/sandbox/history",
        json={"followers": 1200, "sends": sends},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def month(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> tuple[Runtime, SandboxServer]:
    """Return a runtime and a sandbox that holds a month of sends, both at ``NOW``."""
    sandbox = sandbox_factory(clock=lambda: NOW)
    runtime = runtime_factory(stats_config(app_config, sandbox))
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    seed_month(runtime, sandbox)
    return runtime, sandbox


def table_rows(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of the statistics tables, ordered, without collection times."""
    rows = {}
    with runtime.db.begin() as conn:
        for name in TABLES:
            table = sqlalchemy.Table(name, sqlalchemy.MetaData(), autoload_with=conn)
            columns = [c for c in table.c if c.name not in ("id", "collected_at")]
            rows[name] = [
                tuple(r) for r in conn.execute(sqlalchemy.select(*columns).order_by(*columns))
            ]
    return rows


def asked_days(sandbox: SandboxServer, name: str, since: int = 0) -> list[str]:
    """Return the begin_date of each call to ``datacube/<name>`` after log entry ``since``."""
    return [
        e["request"]["begin_date"] for e in sandbox.log.entries(f"datacube/{name}", since=since)
    ]


def sandbox_numbers(sandbox: SandboxServer) -> dict[str, Any]:
    data: dict[str, Any] = requests.get(f"{sandbox.base_url}/sandbox/state", timeout=10).json()
    return data["datacube"]


def test_a_month_is_collected_once_and_equals_the_sandbox(
    month: tuple[Runtime, SandboxServer],
) -> None:
    runtime, sandbox = month
    done = collect(runtime, WeChatApi(runtime))
    assert done.days["articles"] == MONTH and done.days["followers"] == MONTH
    # getarticlesummary and getarticletotal one day a call, users seven days a call (×2).
    assert asked_days(sandbox, "getarticlesummary") == [d.isoformat() for d in MONTH]
    assert len(asked_days(sandbox, "getusersummary")) == 5  # 30 days: 7+7+7+7+2

    expected = sandbox_numbers(sandbox)
    with runtime.db.begin() as conn:
        reads = reading_stats.article_reads_since(conn, "default", FIRST)
        totals = reading_stats.latest_article_totals(conn, "default", FIRST)
        followers = reading_stats.follower_days_since(conn, "default", FIRST)
    for article in expected["articles"]:
        summed = sum(r.numbers["int_page_read_count"] for r in reads if r.msgid == article["msgid"])
        assert summed == article["int_page_read_count"], article["title"]
    assert {t.msgid: (t.target_user, t.numbers["share_count"]) for t in totals} == {
        a["msgid"]: (a["target_user"], a["share_count"]) for a in expected["articles"]
    }
    assert {f.ref_date.isoformat(): f.cumulate_user for f in followers} == {
        day: n["cumulate_user"] for day, n in expected["followers"].items()
    }

    # The editor's view of a sample issue: matched by title and date, numbers as the sandbox's.
    stats = report.build_report(runtime)
    issue = next(i for i in stats.issues if i.issue_id == "2026-06-13")
    sandbox_article = next(a for a in expected["articles"] if a["ref_date"] == "2026-06-13")
    assert (issue.readers, issue.reads, issue.shares, issue.target_user) == (
        sandbox_article["int_page_read_user"],
        sandbox_article["int_page_read_count"],
        sandbox_article["share_count"],
        1200,
    )
    assert 0 < issue.from_send < issue.readers and issue.read_through == issue.from_send / 1200
    assert {i.issue_id for i in stats.issues if i.issue_id} == {"2026-06-13", "2026-06-25"}


def test_collecting_again_changes_nothing(month: tuple[Runtime, SandboxServer]) -> None:
    runtime, sandbox = month
    collect(runtime, WeChatApi(runtime))
    first = table_rows(runtime)
    seen = sandbox.log.entries()[-1]["seq"]
    again = collect(runtime, WeChatApi(runtime))
    assert table_rows(runtime) == first
    # Only the sends whose seven days are not all in yet are asked for again.
    assert again.days["articles"] == [] and again.days["followers"] == []
    assert asked_days(sandbox, "getarticletotal", seen) == [d.isoformat() for d in MONTH[-6:]]
    assert asked_days(sandbox, "getarticlesummary", seen) == []


def test_a_failed_run_resumes_at_the_first_missing_day(
    month: tuple[Runtime, SandboxServer],
) -> None:
    runtime, sandbox = month
    # WeChat refuses the 15th day (2026-06-24): 45009, the daily quota — not worth a retry.
    sandbox.faults.inject("datacube/getarticlesummary", errcode=45009, skip=14)
    with pytest.raises(WeChatError) as failure:
        collect(runtime, WeChatApi(runtime))
    assert failure.value.errcode == 45009
    with runtime.db.begin() as conn:
        done = reading_stats.collected_days(conn, "default", "articles", FIRST)
    assert sorted(done) == MONTH[:14]

    seen = sandbox.log.entries()[-1]["seq"]
    resumed = collect(runtime, WeChatApi(runtime))
    assert resumed.days["articles"] == MONTH[14:]
    assert asked_days(sandbox, "getarticlesummary", seen) == [d.isoformat() for d in MONTH[14:]]
    resumed_rows = table_rows(runtime)

    # The same as a run that never failed.
    for name in TABLES:
        with runtime.db.begin() as conn:
            conn.execute(sqlalchemy.text(f"DELETE FROM {name}"))
    collect(runtime, WeChatApi(runtime))
    assert table_rows(runtime) == resumed_rows


def test_days_before_the_look_back_are_left_alone(
    app_config: dict[str, Any],
    month: tuple[Runtime, SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    _, sandbox = month
    runtime = runtime_factory(stats_config(app_config, sandbox, look_back_days=3))
    done = collect(runtime, WeChatApi(runtime))
    assert done.days["articles"] == MONTH[-3:]
    assert asked_days(sandbox, "getusersummary") == [MONTH[-3].isoformat()]


@pytest.mark.parametrize(
    ("hour_utc", "stats", "collects"),
    [
        (0, {}, False),  # 08:00 in Shanghai: before collect_hour 9
        (1, {}, True),  # 09:00
        (1, {"collect_hour": 10}, False),
        (5, {"enabled": False}, False),
    ],
)
def test_the_worker_collects_from_the_configured_hour(
    app_config: dict[str, Any],
    month: tuple[Runtime, SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    hour_utc: int,
    stats: dict[str, Any],
    collects: bool,
) -> None:
    _, sandbox = month
    at = NOW.replace(hour=hour_utc)
    runtime = runtime_factory(stats_config(app_config, sandbox, **stats) | {"clock": lambda: at})
    daily = DailyCollection(runtime)
    assert (daily.run_if_due() is not None) is collects
    assert daily.run_if_due() is None  # done for the day
    assert bool(asked_days(sandbox, "getarticlesummary")) is collects


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        ({"collect_hour": 24}, "stats.collect_hour: Input should be less than or equal to 23"),
        ({"look_back_days": 0}, "stats.look_back_days: must be at least 1"),
        ({"look_back_days": 400}, "stats.look_back_days:"),
        ({"collect_hours": 3}, "stats.collect_hours: unknown key"),
    ],
)
def test_bad_stats_settings_are_named(stats: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        config.load(None, overrides={"stats": stats})


def test_the_worker_loop_collects_the_month(month: tuple[Runtime, SandboxServer]) -> None:
    runtime, sandbox = month
    thread, stop = start_worker_thread(runtime)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with runtime.db.begin() as conn:
                if LAST in reading_stats.collected_days(conn, "default", "followers", LAST):
                    break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert asked_days(sandbox, "getarticlesummary") == [d.isoformat() for d in MONTH]
    assert asked_days(sandbox, "getusercumulate")[-1] == "2026-07-08"  # the last 2 days


def test_one_of_several_workers_collects_and_a_failure_frees_the_day(
    month: tuple[Runtime, SandboxServer],
) -> None:
    runtime, sandbox = month
    first, second = DailyCollection(runtime), DailyCollection(runtime)
    sandbox.faults.inject("datacube/getarticlesummary", errcode=45009, skip=2)
    failed = first.run_if_due()
    assert failed is not None and not failed.collected
    assert isinstance(failed.failed["default"], WeChatError)
    assert failed.failed["default"].errcode == 45009
    assert first.run_if_due() is None  # it waits an hour before trying again
    collected = second.run_if_due()  # the day was given back: another worker takes it
    assert collected is not None and collected.collected["default"].days["articles"] == MONTH[2:]
    assert first.run_if_due() is None and DailyCollection(runtime).run_if_due() is None
    assert asked_days(sandbox, "getarticlesummary").count(MONTH[-1].isoformat()) == 1


def test_a_worker_leaves_a_day_another_has_taken(month: tuple[Runtime, SandboxServer]) -> None:
    runtime, sandbox = month
    with runtime.db.begin() as conn:  # another worker is collecting the day
        assert reading_stats.claim_run(conn, "default", LAST, NOW)
        assert not reading_stats.claim_run(conn, "default", LAST, NOW)
    assert DailyCollection(runtime).run_if_due() is None
    assert asked_days(sandbox, "getarticlesummary") == []


# --- Two accounts, each on its own sandbox with its own credentials and history ---------------

SECOND_APPID, SECOND_SECRET = "wxsecond0000000001", "second-account-secret-0000000001"
#: The second account sends every other day of the month, to fewer followers, other titles.
SECOND_MONTH = MONTH[::2]


class Clock:
    """A clock the test moves; wxbot and both sandboxes share it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def two_accounts(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> tuple[Runtime, dict[str, SandboxServer], Clock]:
    """Return a runtime of two accounts, ``default`` and ``second``, each on its own sandbox."""
    clock = Clock(NOW)
    first = sandbox_factory(clock=clock)
    second = sandbox_factory(
        appid=SECOND_APPID, secret=SECOND_SECRET, token="second-token", clock=clock
    )
    config = stats_config(app_config, first) | {
        "accounts": {
            "second": {
                "appid": SECOND_APPID,
                "secret": SECOND_SECRET,
                "api_base_url": second.base_url,
                "display_name": "工业智能算网",
            }
        },
        "clock": clock,
    }
    runtime = runtime_factory(config)
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    seed_month(runtime, first)
    sends = [
        {"date": d.isoformat(), "titles": [f"算网｜{d:%m-%d}", "第二条"]} for d in SECOND_MONTH
    ]
    requests.post(
        f"{second.base_url}/sandbox/history", json={"followers": 500, "sends": sends}, timeout=10
    ).raise_for_status()
    return runtime, {"default": first, "second": second}, clock


def assert_equals_its_sandbox(runtime: Runtime, account: str, sandbox: SandboxServer) -> None:
    """Check an account's stored reads, totals and followers against its own sandbox's."""
    expected = sandbox_numbers(sandbox)
    with runtime.db.begin() as conn:
        reads = reading_stats.article_reads_since(conn, account, FIRST)
        totals = reading_stats.latest_article_totals(conn, account, FIRST)
        followers = reading_stats.follower_days_since(conn, account, FIRST)
    assert {a["msgid"] for a in expected["articles"]} == {r.msgid for r in reads}
    for article in expected["articles"]:
        summed = sum(r.numbers["int_page_read_count"] for r in reads if r.msgid == article["msgid"])
        assert summed == article["int_page_read_count"], (account, article["title"])
    assert {t.msgid: (t.target_user, t.numbers["share_count"]) for t in totals} == {
        a["msgid"]: (a["target_user"], a["share_count"]) for a in expected["articles"]
    }
    assert {f.ref_date.isoformat(): f.cumulate_user for f in followers} == {
        day: n["cumulate_user"] for day, n in expected["followers"].items()
    }


def test_every_account_is_collected_with_its_own_token_and_numbers(
    two_accounts: tuple[Runtime, dict[str, SandboxServer], Clock],
) -> None:
    runtime, sandboxes, _ = two_accounts
    done = DailyCollection(runtime).run_if_due()
    assert done is not None and not done.failed
    assert {name: c.days["articles"] for name, c in done.collected.items()} == {
        "default": MONTH,
        "second": MONTH,
    }
    for name, sandbox in sandboxes.items():
        assert_equals_its_sandbox(runtime, name, sandbox)
        # Each sandbox issued a token to its own appid and secret and was answered with it.
        assert sandbox.state.token_fetches, name
        calls = [e for e in sandbox.log.entries() if e["path"].startswith("/datacube/")]
        assert calls and {e["errcode"] for e in calls} == {0}, name
    # The two accounts' numbers differ: neither was stored under the other.
    with runtime.db.begin() as conn:
        follower_counts = {
            name: reading_stats.follower_days_since(conn, name, LAST)[0].cumulate_user
            for name in sandboxes
        }
    assert follower_counts["default"] != follower_counts["second"]

    # Collecting again (another worker, or the CLI) changes nothing.
    before = table_rows(runtime)
    assert DailyCollection(runtime).run_if_due() is None  # yesterday is in for both
    again = collect_each(runtime.accounts())
    assert not again.failed and table_rows(runtime) == before


@pytest.mark.parametrize(("failing", "healthy"), [("default", "second"), ("second", "default")])
def test_a_failing_account_leaves_the_other_collected_and_resumes_alone(
    two_accounts: tuple[Runtime, dict[str, SandboxServer], Clock], failing: str, healthy: str
) -> None:
    runtime, sandboxes, clock = two_accounts
    # WeChat refuses the failing account's 6th day (daily quota, 45009); the other answers.
    sandboxes[failing].faults.inject("datacube/getarticlesummary", errcode=45009, skip=5)
    daily = DailyCollection(runtime)
    run = daily.run_if_due()
    assert run is not None and list(run.failed) == [failing] and list(run.collected) == [healthy]
    assert run.failed[failing].errcode == 45009  # type: ignore[attr-defined]
    assert_equals_its_sandbox(runtime, healthy, sandboxes[healthy])
    with runtime.db.begin() as conn:
        assert sorted(reading_stats.collected_days(conn, failing, "articles", FIRST)) == MONTH[:5]

    # An hour later the worker tries the failed account again, and only it.
    seen = {name: s.log.entries()[-1]["seq"] for name, s in sandboxes.items()}
    assert daily.run_if_due() is None  # not before the hour is up
    clock.now = NOW + RETRY_AFTER
    resumed = daily.run_if_due()
    assert resumed is not None and not resumed.failed and list(resumed.collected) == [failing]
    assert resumed.collected[failing].days["articles"] == MONTH[5:]
    assert asked_days(sandboxes[failing], "getarticlesummary", seen[failing]) == [
        d.isoformat() for d in MONTH[5:]
    ]
    assert sandboxes[healthy].log.entries(since=seen[healthy]) == []
    for name, sandbox in sandboxes.items():
        assert_equals_its_sandbox(runtime, name, sandbox)
