"""An issue's history for the console: every WeChat call and job event, errors explained."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .archive import list_revisions
from .issue_states import plain_error
from .local_time import local_time
from .publishing import issue_status
from .runtime import Runtime
from .storage import jobs as job_store

#: Outcomes that mean something went wrong.
_FAILED = frozenset({"failed", "refused", "missed", "deleted", "unconfirmed", "prepare_failed"})


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened to the issue: when, what, how it ended, and why in plain words."""

    moment: dt.datetime
    when: str
    what: str
    outcome: str
    detail: str
    steps: tuple[HistoryEvent, ...] = field(default=())

    @property
    def failed(self) -> bool:
        """Return whether it went wrong."""
        return self.outcome in _FAILED


@dataclass(frozen=True)
class IssueHistory:
    """Everything that happened to an issue, newest first, and its WeChat article URL."""

    issue_id: str
    article_url: str | None
    events: list[HistoryEvent]


def issue_history(runtime: Runtime, issue_id: str) -> IssueHistory:
    """Return the issue's ingests, publish runs with their steps, mass sends and job events.

    :raises IssueNotFound: when no issue has that id.
    """
    tz = runtime.tz
    status = issue_status(runtime, issue_id)

    def event(
        moment: dt.datetime, what: str, outcome: str, detail: str, *steps: HistoryEvent
    ) -> HistoryEvent:
        return HistoryEvent(moment, local_time(moment, tz), what, outcome, detail, steps)

    events = [
        event(r.created_at, f"ingested revision {r.revision}", "ok", r.source_name)
        for r in list_revisions(runtime, issue_id)
    ]
    for run in status.runs:
        steps = tuple(
            event(s.at, f"step {s.step}", s.status, plain_error(s.detail, s.errcode))
            for s in run.steps
        )
        events.append(event(run.started_at, f"{run.mode} run", run.status, run.summary, *steps))
    for published in status.publish_jobs:
        outcome = {None: "waiting", 0: "published"}.get(published.status, "failed")
        detail = published.article_url or (
            f"fail_idx {published.fail_idx}" if published.fail_idx else ""
        )
        what = f"freepublish {published.publish_id}"
        events.append(event(published.submitted_at, what, outcome, detail))
    for send in status.mass_sends:
        counts = (
            f"{send.sent_count:,} of {send.total_count or 0:,} sent, {send.error_count or 0} errors"
            if send.sent_count is not None
            else ""
        )
        why = plain_error(send.error, send.errcode) if send.error or send.errcode else ""
        detail = "; ".join(x for x in (counts, why, send.article_url) if x)
        events.append(event(send.created_at, f"mass send to {send.audience}", send.status, detail))
    with runtime.db.begin() as conn:
        jobs = job_store.list_jobs(conn, issue_id=issue_id)
        logs = {job.id: job_store.job_log(conn, job.id) for job in jobs}
    for job in jobs:
        steps = tuple(
            event(entry.at, entry.event, _job_outcome(entry.event), entry.detail)
            for entry in logs[job.id]
        )
        audience = "every follower" if job.tag_id is None else f"tag {job.tag_id}"
        what = f"scheduled send #{job.id} to {audience} at {local_time(job.send_at, tz)}"
        events.append(event(job.created_at, what, job.state, job.error or "", *steps))
    events.sort(key=lambda e: e.moment, reverse=True)
    return IssueHistory(issue_id, status.article_url, events)


def _job_outcome(log_event: str) -> str:
    return log_event if log_event in _FAILED else "ok"
