"""An issue and where it stands, read at once for its console page (wxbot/issue_standing.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from wxbot.archive import get_issue
from wxbot.errors import IssueNotFound
from wxbot.issue_standing import issue_standing
from wxbot.publishing import known_issue_status, publish_issue
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling import day_quota, list_jobs, run_due_jobs, schedule_send, send_now

SENT = "2026-06-13"  # published, then mass sent by a job
WAITING = "2026-06-25"  # drafted, with a send scheduled for tomorrow


@contextmanager
def reads(runtime: Runtime) -> Iterator[dict[str, int]]:
    """Count the connections taken from the pool and the SELECTs sent while inside."""
    seen = {"connections": 0, "selects": 0}

    def checkout(*_args: object) -> None:
        seen["connections"] += 1

    def execute(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen["selects"] += statement.lstrip().upper().startswith("SELECT")

    event.listen(runtime.db.engine, "checkout", checkout)
    event.listen(runtime.db.engine, "before_cursor_execute", execute)
    try:
        yield seen
    finally:
        event.remove(runtime.db.engine, "checkout", checkout)
        event.remove(runtime.db.engine, "before_cursor_execute", execute)


@pytest.fixture
def busy(wechat_runtime: Runtime, sandbox: SandboxServer) -> Runtime:
    """Return the sandbox's archive with one issue published and mass sent, one scheduled."""
    runtime = wechat_runtime
    publish_issue(runtime, SENT, "publish")
    send_now(runtime, SENT)
    run_due_jobs(runtime)
    run_due_jobs(runtime)
    publish_issue(runtime, WAITING, "draft")
    schedule_send(runtime, WAITING, runtime.now() + dt.timedelta(days=1))
    return runtime


@pytest.mark.parametrize("issue_id", [SENT, WAITING])
def test_it_reads_what_each_concern_reads_on_its_own(busy: Runtime, issue_id: str) -> None:
    standing = issue_standing(busy, issue_id)
    status = known_issue_status(busy, issue_id, runs=0)
    assert standing.issue == get_issue(busy, issue_id)
    assert standing.status == status
    assert standing.jobs == list_jobs(busy, issue_id=issue_id) != []
    assert standing.quota == day_quota(busy)
    assert standing.quota.used == 1  # the job's send today, counted once


def test_the_sent_issues_job_carries_its_send(busy: Runtime) -> None:
    (job,) = issue_standing(busy, SENT).jobs
    assert job.send is not None and job.send.clientmsgid == job.clientmsgid


def test_one_connection_and_the_same_reads_whatever_the_issue_has(busy: Runtime) -> None:
    counts = []
    for issue_id in (SENT, WAITING):
        with reads(busy) as seen:
            issue_standing(busy, issue_id)
        counts.append(seen)
    assert counts[0] == counts[1]
    assert counts[0]["connections"] == 1 and counts[0]["selects"] == 4


def test_an_unknown_issue_is_refused(runtime: Runtime) -> None:
    with pytest.raises(IssueNotFound):
        issue_standing(runtime, "1999-01-01")
