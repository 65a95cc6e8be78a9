"""Scheduled mass sends as plain data: a job and its send, and what a worker step did.

A job's states are :class:`~wxbot.states.JobState`; the mass send it makes (found by its
clientmsgid) owns the send's counts and article URL, which the job reads from it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import WxbotError
from ..local_time import local_time
from ..states import JobState
from ..storage.jobs import JobRow
from ..storage.publications import MassSendRow
from ..wechat.limits import CLIENTMSGID_MAX_BYTES

#: Characters ``send_jobs.active_key`` holds.
ACTIVE_KEY_MAX = 40


class ScheduleRefused(WxbotError):
    """A schedule, cancel or reschedule was refused; ``reason`` names the rule.

    Reasons: ``past``, ``too_soon``, ``noncompliant``, ``quota``, ``duplicate``, ``state``,
    ``account`` (the job's account is no longer configured).
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
    state: JobState
    clientmsgid: str
    #: The account that sends it (its name; ``default`` is ``[wechat]``).
    account: str = DEFAULT_ACCOUNT
    attempts: int = 0
    prepared_at: dt.datetime | None = None
    prepare_error: str | None = None
    msg_id: str | None = None
    duplicate: bool = False
    submitted_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    error: str | None = None
    #: The mass send the job made (or is making), once its sendall was tried.
    send: MassSendRow | None = None

    @classmethod
    def from_row(cls, row: JobRow, send: MassSendRow | None = None) -> Job:
        """Return the job stored as ``row``, whose send is ``send``."""
        return cls(
            id=row.id,
            issue_id=row.issue_id,
            tag_id=row.tag_id,
            send_at=row.send_at,
            state=row.state,
            clientmsgid=row.clientmsgid,
            account=row.account,
            attempts=row.attempts,
            prepared_at=row.prepared_at,
            prepare_error=row.prepare_error,
            msg_id=row.msg_id,
            duplicate=row.duplicate,
            submitted_at=row.submitted_at,
            finished_at=row.finished_at,
            error=row.error,
            send=send,
        )

    @property
    def total_count(self) -> int | None:
        """Return how many followers the send was for, once WeChat said (MASSSENDJOBFINISH)."""
        return self.send.total_count if self.send is not None else None

    @property
    def sent_count(self) -> int | None:
        """Return how many followers got the send, once WeChat said."""
        return self.send.sent_count if self.send is not None else None

    @property
    def error_count(self) -> int | None:
        """Return how many followers WeChat could not send to, once it said."""
        return self.send.error_count if self.send is not None else None

    @property
    def article_url(self) -> str | None:
        """Return where followers read the sent article, once WeChat said."""
        return (self.send.article_url or None) if self.send is not None else None

    @property
    def audience(self) -> str:
        """Return who receives the send: ``everyone`` or ``tag N``."""
        return audience_text(self.tag_id)

    def describe(self, tz: ZoneInfo, *, with_account: bool = False) -> str:
        """Return the one line ``wxbot jobs`` prints for this job (naming its account if asked)."""
        when = local_time(self.send_at, tz)
        account = f"{self.account}  " if with_account else ""
        line = f"#{self.id:<4} {when}  {self.state:<9} {account}{self.issue_id}  {self.audience}"
        if self.sent_count is not None:
            line += f"  sent {self.sent_count}/{self.total_count}, errors {self.error_count}"
        elif self.msg_id:
            line += f"  msg_id {self.msg_id}"
        if self.article_url:
            line += f"  {self.article_url}"
        problem = self.error or (self.prepare_error if self.state is JobState.SCHEDULED else None)
        if problem:
            line += f"  ({problem.splitlines()[0]})"
        return line


@dataclass(frozen=True)
class DayQuota:
    """The mass sends a day allows ([schedule] daily_quota) and how many are left."""

    day: dt.date
    allowed: int  # 0: no limit
    used: int

    @property
    def left(self) -> int | None:
        """Return the sends still allowed that day, or None when there is no limit."""
        return None if self.allowed == 0 else max(self.allowed - self.used, 0)


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


def active_key(issue_id: str, tag_id: int | None, account: str = DEFAULT_ACCOUNT) -> str:
    """Return the key one live or sent job per issue, audience and account holds.

    The default account's is ``issue|audience``; another's adds its name (hashed when the key
    would pass the column's 40 characters), so each account may send the issue once.
    """
    key = f"{issue_id}|{'all' if tag_id is None else tag_id}"
    if account == DEFAULT_ACCOUNT:
        return key
    named = f"{key}|{account}"
    if len(named) <= ACTIVE_KEY_MAX:
        return named
    digest = hashlib.sha256(account.encode("utf-8")).hexdigest()
    return f"{key}|#{digest[: ACTIVE_KEY_MAX - len(key) - 2]}"


def job_clientmsgid(job_id: int, account: str, token: str) -> str:
    """Return the clientmsgid every sendall of job ``job_id`` of ``account`` carries.

    At most 32 bytes (45067 has been seen from 34): ``wxbot-job7-<token>`` for the default
    account, ``<account>-job7-<token>`` for another (its name cut to fit). ``token`` (random)
    keeps two databases on one account apart.
    """
    if account == DEFAULT_ACCOUNT:
        return f"wxbot-job{job_id}-{token}"
    tail = f"-job{job_id}-{token}"
    return f"{account[: max(CLIENTMSGID_MAX_BYTES - len(tail), 1)]}{tail}"[:CLIENTMSGID_MAX_BYTES]
