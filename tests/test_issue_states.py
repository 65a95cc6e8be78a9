"""The dashboard's states: every column of a page of issues, the next send, recent failures,
the health line, and a fixed number of queries whatever the page's size."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from conftest import dated_copies

from wxbot.archive import ingest_paths
from wxbot.issue_states import countdown, dashboard
from wxbot.links import issue_links_for
from wxbot.overrides import clean, set_overrides
from wxbot.publishing import publish_issue
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling.rules import schedule_send
from wxbot.scheduling.worker import beat, last_heartbeat, start_worker_thread
from wxbot.wechat import WeChatError, explain


def test_each_column_shows_where_its_issue_stands(
    wechat_runtime: Runtime, sandbox: SandboxServer, tmp_path: Path
) -> None:
    runtime = wechat_runtime
    (failing,) = dated_copies(tmp_path, 1)
    ingest_paths(runtime, [failing])
    publish_issue(runtime, "2026-06-13", "publish")
    publish_issue(runtime, "2026-06-25", "draft")
    send_at = runtime.now() + dt.timedelta(days=1, minutes=30)
    schedule_send(runtime, "2026-06-25", send_at)
    sandbox.faults.inject("draft/add", errcode=45009)
    with pytest.raises(WeChatError):
        publish_issue(runtime, "2020-01-01", "draft")

    set_overrides(runtime, "2026-06-13", clean(title="编辑定的标题"), "ed")

    board = dashboard(runtime)
    assert [line.issue_id for line in board.lines] == ["2026-06-25", "2026-06-13", "2020-01-01"]
    lines = {line.issue_id: line for line in board.lines}
    (url,) = issue_links_for(runtime, ["2026-06-13"]).values()
    assert lines["2026-06-13"].published_url == url
    assert lines["2026-06-13"].published.endswith("(Asia/Shanghai)")
    assert lines["2026-06-13"].title == "编辑定的标题"
    assert lines["2026-06-25"].title.startswith("今日新质生产力动态集中在")
    assert lines["2026-06-25"].draft == "version 1 (live)"
    assert lines["2026-06-25"].scheduled.endswith("(in 1 d 0 h)")
    assert "CST (Asia/Shanghai)" in lines["2026-06-25"].scheduled
    assert explain(45009) in lines["2020-01-01"].failed
    assert lines["2020-01-01"].draft == lines["2020-01-01"].published == ""
    assert board.next_send is not None and board.next_send.issue_id == "2026-06-25"
    assert board.next_send.audience == "every follower"
    (failure,) = board.failures
    assert failure.issue_id == "2020-01-01" and explain(45009) in failure.why
    assert board.health.token_ok and "valid until" in board.health.token


def test_each_page_shows_the_states_of_its_own_issues(
    wechat_runtime: Runtime, tmp_path: Path
) -> None:
    ingest_paths(wechat_runtime, dated_copies(tmp_path, 4))
    for issue_id in ("2020-01-03", "2020-01-01"):
        publish_issue(wechat_runtime, issue_id, "draft")
    pages = [dashboard(wechat_runtime, n, per_page=2) for n in (1, 2, 3)]
    assert [[line.issue_id for line in page.lines] for page in pages] == [
        ["2026-06-25", "2026-06-13"], ["2020-01-04", "2020-01-03"], ["2020-01-02", "2020-01-01"],
    ]  # fmt: skip
    assert [[line.issue_id for line in page.lines if line.draft] for page in pages] == [
        [], ["2020-01-03"], ["2020-01-01"],
    ]  # fmt: skip


def test_pages_run_newest_first_and_past_the_last_is_refused(
    archive: Runtime, tmp_path: Path
) -> None:
    ingest_paths(archive, dated_copies(tmp_path, 3))
    ingest_paths(archive, dated_copies(tmp_path, 3))  # the same files again: nothing new
    first, second = dashboard(archive, 1, per_page=3), dashboard(archive, 2, per_page=3)
    assert [line.issue_id for line in first.lines + second.lines] == [
        "2026-06-25", "2026-06-13", "2020-01-03", "2020-01-02", "2020-01-01",
    ]  # fmt: skip
    assert (first.pages, first.total) == (2, 5)
    with pytest.raises(ValueError, match="no page 3: the dashboard has 2"):
        dashboard(archive, 3, per_page=3)


def test_the_health_line_says_when_no_scheduler_is_alive(archive: Runtime) -> None:
    health = dashboard(archive).health
    assert not health.scheduler_ok and "no scheduler has run" in health.scheduler
    assert not health.token_ok and "no wechat.appid/secret" in health.token
    beat(archive, "host:1")
    health = dashboard(archive).health
    assert health.scheduler_ok and health.scheduler.startswith("scheduler last seen ")


def test_the_health_line_names_the_last_token_fetch_error(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject("stable_token", errcode=40125)
    with pytest.raises(WeChatError):
        publish_issue(wechat_runtime, "2026-06-13", "draft")
    health = dashboard(wechat_runtime).health
    assert not health.token_ok
    assert health.token.startswith("the last token fetch failed at ")
    assert "40125" in health.token


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(-5, "due now"), (42, "in 42 s"), (300, "in 5 min"), (3_900, "in 1 h 05 min"),
     (90_000, "in 1 d 1 h")],
)  # fmt: skip
def test_countdowns_read_plainly(seconds: int, said: str) -> None:
    now = dt.datetime(2026, 6, 25, tzinfo=dt.UTC)
    assert countdown(now + dt.timedelta(seconds=seconds), now) == said


def test_a_running_worker_writes_its_heartbeat(archive: Runtime) -> None:
    assert last_heartbeat(archive) is None
    thread, stop = start_worker_thread(archive)
    try:
        for _ in range(500):
            if last_heartbeat(archive) is not None:
                break
            threading.Event().wait(0.02)
    finally:
        stop.set()
        thread.join(10)
    beat = last_heartbeat(archive)
    assert beat is not None and beat.worker.count(":") == 2  # host:pid:random
    assert dashboard(archive).health.scheduler_ok
