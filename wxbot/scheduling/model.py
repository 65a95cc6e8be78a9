"""Scheduled mass sends as plain data: a job, its states, and what a worker step did."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..errors import WxbotError
from ..local_time import local_time
from ..storage.jobs import JobRow

#: Waiting for its time; prepared ahead of it.
SCHEDULED = "scheduled"
#: Claimed by a worker for the sendall call, or waiting to retry it with the same clientmsgid.
SENDING = "sending"
#: WeChat accepted the sendall (msg_id known); waiting for the outcome.
SUBMITTED = "submitted"
#: WeChat reports the send done.
SENT = "sent"
#: WeChat refused the send, or reports it failed.
FAILED = "failed"
#: Its time passed by more than ``max_delay`` before it could be sent; never sent late.
MISSED = "missed"
#: An editor cancelled it before its time.
CANCELLED = "cancelled"

STATES = (SCHEDULED, SENDING, SUBMITTED, SENT, FAILED, MISSED, CANCELLED)
#: States a worker still has to act on.
LIVE_STATES = frozenset({SCHEDULED, SENDING, SUBMITTED})
#: States that use the day's mass-send quota (WeChat counts successful sends).
QUOTA_STATES = frozenset({SCHEDULED, SENDING, SUBMITTED, SENT})
#: States an editor may reschedule from.
RESCHEDULABLE_STATES = frozenset({SCHEDULED, MISSED, FAILED})


class ScheduleRefused(WxbotError):
    """A schedule, cancel or reschedule was refused; ``reason`` names the rule.

    Reasons: ``past``, ``too_soon``, ``noncompliant``, ``quota``, ``duplicate``, ``state``.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class JobNotFound(WxbotError):
    """No scheduled send has that id."""

    def __init__(self, job_id: int) -> None:
        super().__init__(f"no job {job_id}")
        self.job_id = job_id


@dataclass(frozen=True)
class Job:
    """One scheduled mass send of an issue to everyone or to a tag, and what became of it."""

    id: int
    issue_id: str
    tag_id: int | None
    send_at: dt.datetime
    state: str
    clientmsgid: str
    attempts: int = 0
    prepared_at: dt.datetime | None = None
    prepare_error: str | None = None
    msg_id: str | None = None
    duplicate: bool = False
    submitted_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    total_count: int | None = None
    filter_count: int | None = None
    sent_count: int | None = None
    error_count: int | None = None
    article_url: str | None = None
    error: str | None = None

    @classmethod
    def from_row(cls, row: JobRow) -> Job:
        """Return the job stored as ``row``."""
        return cls(
            id=row.id,
            issue_id=row.issue_id,
            tag_id=row.tag_id,
            send_at=row.send_at,
            state=row.state,
            clientmsgid=row.clientmsgid,
            attempts=row.attempts,
            prepared_at=row.prepared_at,
            prepare_error=row.prepare_error,
            msg_id=row.msg_id,
            duplicate=row.duplicate,
            submitted_at=row.submitted_at,
            finished_at=row.finished_at,
            total_count=row.total_count,
            filter_count=row.filter_count,
            sent_count=row.sent_count,
            error_count=row.error_count,
            article_url=row.article_url,
            error=row.error,
        )

    @property
    def audience(self) -> str:
        """Return who receives the send: ``everyone`` or ``tag N``."""
        return audience_text(self.tag_id)

    def describe(self, tz: ZoneInfo) -> str:
        """Return the one line ``wxbot jobs`` prints for this job."""
        when = local_time(self.send_at, tz)
        line = f"#{self.id:<4} {when}  {self.state:<9} {self.issue_id}  {self.audience}"
        if self.sent_count is not None:
            line += f"  sent {self.sent_count}/{self.total_count}, errors {self.error_count}"
        elif self.msg_id:
            line += f"  msg_id {self.msg_id}"
        if self.article_url:
            line += f"  {self.article_url}"
        problem = self.error or (self.prepare_error if self.state == SCHEDULED else None)
        if problem:
            line += f"  ({problem.splitlines()[0]})"
        return line


@dataclass(frozen=True)
class StepReport:
    """What one worker step did to one job: ``prepared``, ``submitted``, ``missed``…"""

    job_id: int
    issue_id: str
    action: str
    detail: str = ""


def audience_text(tag_id: int | None) -> str:
    """Return ``everyone`` or ``tag N``."""
    return "everyone" if tag_id is None else f"tag {tag_id}"


def active_key(issue_id: str, tag_id: int | None) -> str:
    """Return the key one live or sent job per issue and audience holds."""
    return f"{issue_id}|{'all' if tag_id is None else tag_id}"
