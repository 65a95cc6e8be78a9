"""What editors do with scheduled sends: schedule, list, cancel, reschedule — and the refusals."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Collection, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from .. import publishing
from ..archive import get_issue
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import ConfigError
from ..local_time import local_time
from ..runtime import Runtime
from ..states import JobState
from ..storage import jobs as job_store
from ..storage.publications import MassSendRow
from ..wechat import account_key
from . import model
from .checks import COUNTED_SENDS, compliance_problems, sends_outside_jobs
from .model import DayQuota, Job, JobNotFound, ScheduleRefused
from .policy import SchedulePolicy

logger = logging.getLogger(__name__)

#: The jobs a day's quota counts.
QUOTA_JOB_STATES = JobState.where(lambda s: s.counts_against_quota)


def parse_send_time(text: str, tz: ZoneInfo) -> dt.datetime:
    """Return ``text`` (``2026-06-26 08:00`` in ``tz``, or ISO 8601 with an offset) in UTC.

    :raises ValueError: when ``text`` is not such a time.
    """
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: give YYYY-MM-DD HH:MM, or ISO 8601 with an offset"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(dt.UTC)


def schedule_send(
    runtime: Runtime, issue_id: str, send_at: dt.datetime, *, tag_id: int | None = None
) -> Job:
    """Schedule a mass send of an archived issue to everyone (or a tag) at ``send_at``.

    The runtime's account sends it (``runtime.for_account(name)`` for another one): its quota,
    its own job for the issue and audience, its clientmsgid.
    :raises IssueNotFound: when the issue is not archived.
    :raises ScheduleRefused: when the time is past or too soon, the issue fails the compliance
        check, the day's quota is used, or the issue already has a job for that audience.
    """
    send_at = _check_time(runtime, runtime.settings.schedule, send_at)
    return _add_job(runtime, issue_id, send_at, tag_id)


def send_now(runtime: Runtime, issue_id: str, *, tag_id: int | None = None) -> Job:
    """Hand a mass send of an issue to the scheduler, due at once (no ``min_lead``).

    The worker prepares and sends it on its next round, exactly once, as any scheduled send.
    :raises IssueNotFound, ScheduleRefused: as :func:`schedule_send` (but never ``too_soon``).
    """
    return _add_job(runtime, issue_id, runtime.now(), tag_id)


def _add_job(runtime: Runtime, issue_id: str, send_at: dt.datetime, tag_id: int | None) -> Job:
    policy = runtime.settings.schedule
    _check_compliance(runtime, issue_id)
    now = runtime.now()
    key = model.active_key(issue_id, tag_id, runtime.account)
    with runtime.db.begin_write() as conn:
        job_store.lock_scheduling(conn)
        _check_duplicate(runtime, conn, key)
        _check_quota(runtime, conn, policy, send_at, exclude=None)
        job_id = job_store.insert_job(
            conn,
            {
                "issue_id": issue_id,
                "account": runtime.account,
                "tag_id": tag_id,
                "send_at": send_at,
                "state": JobState.SCHEDULED,
                "clientmsgid": f"pending-{secrets.token_hex(16)}",
                "active_key": key,
                "created_at": now,
                "updated_at": now,
                "attempts": 0,
                "duplicate": False,
            },
        )
        clientmsgid = model.job_clientmsgid(job_id, runtime.account, secrets.token_hex(6))
        job_store.transition(conn, job_id, [JobState.SCHEDULED], {"clientmsgid": clientmsgid})
        job_store.add_log(conn, job_id, now, "scheduled", _when(runtime, send_at))
    logger.info(
        "scheduled job %d: issue %s on %s at %s",
        job_id, issue_id, runtime.account, send_at.isoformat(),
    )  # fmt: skip
    return get_job(runtime, job_id)


def cancel_job(runtime: Runtime, job_id: int) -> Job:
    """Cancel a job that is still waiting for its time.

    :raises ScheduleRefused: when the job is claimed for its send, or done.
    """
    now = runtime.now()
    with runtime.db.begin_write() as conn:
        changed = job_store.transition(
            conn,
            job_id,
            [JobState.SCHEDULED],
            {"state": JobState.CANCELLED, "active_key": None, "updated_at": now},
        )
        if changed:
            job_store.add_log(conn, job_id, now, "cancelled")
    job = get_job(runtime, job_id)
    if not changed:
        raise ScheduleRefused("state", f"job {job_id} is {job.state}: {_why_fixed(job.state)}")
    logger.info("cancelled job %d", job_id)
    return job


def reschedule_job(runtime: Runtime, job_id: int, send_at: dt.datetime) -> Job:
    """Move a waiting, missed or failed job to ``send_at``, under the same rules as scheduling.

    The job keeps its clientmsgid, so a send that did reach WeChat earlier (within 24 hours)
    is answered as a repeat instead of going out twice, and its account.
    """
    job = get_job(runtime, job_id)
    runtime = _account_runtime(runtime, job.account)
    policy = runtime.settings.schedule
    send_at = _check_time(runtime, policy, send_at)
    if not job.state.can_reschedule:
        raise ScheduleRefused("state", f"job {job_id} is {job.state}: {_why_fixed(job.state)}")
    if job.msg_id:  # its clientmsgid is spent: WeChat would answer 45065 for a day
        raise ScheduleRefused(
            "state",
            f"job {job_id} failed after WeChat accepted it (msg_id {job.msg_id}): "
            "schedule a new send instead",
        )
    _check_compliance(runtime, job.issue_id)
    now = runtime.now()
    key = model.active_key(job.issue_id, job.tag_id, job.account)
    values: dict[str, object] = {
        "send_at": send_at,
        "state": JobState.SCHEDULED,
        "active_key": key,
        "updated_at": now,
        "claimed_by": None,
        "lease_until": None,
        "error": None,
    }
    if job.state is not JobState.SCHEDULED:
        # Prepare again: the draft may be gone or stale by now.
        values |= {"prepared_at": None, "prepared_revision": None, "prepare_after": None}
    with runtime.db.begin_write() as conn:
        job_store.lock_scheduling(conn)
        if job.state is not JobState.SCHEDULED:
            _check_duplicate(runtime, conn, key)
        _check_quota(runtime, conn, policy, send_at, exclude=job_id)
        changed = job_store.transition(conn, job_id, [job.state], values)
        if changed:
            job_store.add_log(conn, job_id, now, "rescheduled", _when(runtime, send_at))
    if not changed:  # a worker moved it meanwhile
        return reschedule_job(runtime, job_id, send_at)
    logger.info("rescheduled job %d to %s", job_id, send_at.isoformat())
    return get_job(runtime, job_id)


def get_job(runtime: Runtime, job_id: int) -> Job:
    """Return one job.

    :raises JobNotFound: when there is none with that id.
    """
    with runtime.db.begin() as conn:
        row = job_store.get_job(conn, job_id)
    if row is None:
        raise JobNotFound(job_id)
    [job] = _with_sends(runtime, [row])
    return job


def list_jobs(
    runtime: Runtime,
    *,
    states: Collection[JobState] | None = None,
    issue_id: str | None = None,
    limit: int | None = None,
    account: str | None = None,
) -> list[Job]:
    """Return jobs, latest send time first, optionally only in some states, of one issue or
    of one account (by default every account's)."""
    with runtime.db.begin() as conn:
        rows = job_store.list_jobs(
            conn, states=states, issue_id=issue_id, limit=limit, account=account
        )
    return _with_sends(runtime, rows)


def _with_sends(runtime: Runtime, rows: list[job_store.JobRow]) -> list[Job]:
    """Return the jobs stored as ``rows``, each with the mass send it made (if it got so far)."""
    sends: dict[tuple[str, str], MassSendRow] = {}
    for account in dict.fromkeys(r.account for r in rows):
        try:
            seen_by = runtime.for_account(account)
        except ConfigError:  # an account no longer configured: its sends cannot be found
            continue
        clientmsgids = [r.clientmsgid for r in rows if r.account == account]
        found = publishing.mass_sends_by_clientmsgid(seen_by, clientmsgids)
        sends |= {(account, c): send for c, send in found.items()}
    return [Job.from_row(r, sends.get((r.account, r.clientmsgid))) for r in rows]


def _account_runtime(runtime: Runtime, account: str) -> Runtime:
    """Return ``runtime`` acting for a job's account.

    :raises ScheduleRefused: when that account is no longer configured.
    """
    try:
        return runtime.for_account(account)
    except ConfigError as exc:
        raise ScheduleRefused("account", str(exc)) from None


def job_history(runtime: Runtime, job_id: int) -> list[job_store.LogRow]:
    """Return what happened to a job, oldest first."""
    get_job(runtime, job_id)
    with runtime.db.begin() as conn:
        return job_store.job_log(conn, job_id)


def _check_time(runtime: Runtime, policy: SchedulePolicy, send_at: dt.datetime) -> dt.datetime:
    if send_at.tzinfo is None:
        raise ValueError("send_at must be timezone-aware")
    send_at = send_at.astimezone(dt.UTC)
    now = runtime.now()
    if send_at < now:
        raise ScheduleRefused(
            "past", f"{_when(runtime, send_at)} is in the past (now {_when(runtime, now)})"
        )
    if send_at < now + policy.min_lead:
        minutes = policy.min_lead.total_seconds() / 60
        raise ScheduleRefused(
            "too_soon",
            f"{_when(runtime, send_at)} is less than {minutes:g} minutes ahead "
            f"(now {_when(runtime, now)}); [schedule] min_lead sets how far ahead",
        )
    return send_at


def _check_compliance(runtime: Runtime, issue_id: str) -> None:
    issue = get_issue(runtime, issue_id)
    problems = compliance_problems(runtime, issue)
    if problems:
        lines = "\n".join(f"- {p}" for p in problems)
        raise ScheduleRefused(
            "noncompliant", f"issue {issue_id} fails WeChat's compliance check:\n{lines}"
        )


def _check_duplicate(runtime: Runtime, conn: Connection, key: str) -> None:
    row = job_store.find_by_active_key(conn, key)
    if row is None:
        return
    job = Job.from_row(row)
    verb = "was sent" if job.state is JobState.SENT else f"is {job.state}"
    raise ScheduleRefused(
        "duplicate",
        f"issue {job.issue_id} to {job.audience}{_named(runtime, ' on account')} already has "
        f"job {job.id}, which {verb} "
        f"for {_when(runtime, job.send_at)}; cancel or reschedule that one",
    )


def _check_quota(
    runtime: Runtime,
    conn: Connection,
    policy: SchedulePolicy,
    send_at: dt.datetime,
    *,
    exclude: int | None,
) -> None:
    if policy.daily_quota == 0:
        return
    day = send_at.astimezone(runtime.tz).date()
    taken, others = _sends_on(runtime, conn, day, exclude=exclude)
    used = len(taken) + others
    if used >= policy.daily_quota:
        listed = [f"job {r.id}" for r in taken] + ([f"{others} made directly"] if others else [])
        raise ScheduleRefused(
            "quota",
            f"{day.isoformat()} already has {used} mass send(s) ({', '.join(listed)}) and the "
            f"account{_named(runtime)} allows {policy.daily_quota} a day ([schedule] daily_quota)",
        )


def _sends_on(
    runtime: Runtime, conn: Connection, day: dt.date, *, exclude: int | None = None
) -> tuple[list[job_store.JobRow], int]:
    """Return the runtime's account's jobs sending on ``day`` and the sends it made directly."""
    start, end = _day_span(runtime, day)
    jobs = job_store.jobs_between(conn, start, end, QUOTA_JOB_STATES, account=runtime.account)
    taken = [r for r in jobs if r.id != exclude]
    return taken, sends_outside_jobs(runtime, conn, start, end)


def _day_span(runtime: Runtime, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return when ``day`` (account's timezone) starts and the next one starts, in UTC."""
    start = dt.datetime.combine(day, dt.time(), runtime.tz).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), runtime.tz).astimezone(dt.UTC)
    return start, end


def day_quota(runtime: Runtime, when: dt.datetime | None = None) -> DayQuota:
    """Return the quota of the day of ``when`` (default: today) as scheduling counts it."""
    with runtime.db.begin() as conn:
        return read_day_quota(runtime, conn, when)


def quota_span(
    runtime: Runtime, when: dt.datetime | None = None
) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """Return the day of ``when`` (default: now) in the account's timezone, and its span in UTC.

    A day's quota counts the jobs in :data:`QUOTA_JOB_STATES` and the sends made without a
    job in :data:`COUNTED_SENDS` in that span.
    """
    day = (when or runtime.now()).astimezone(runtime.tz).date()
    return day, *_day_span(runtime, day)


def read_day_quota(runtime: Runtime, conn: Connection, when: dt.datetime | None = None) -> DayQuota:
    """Return :func:`day_quota` read in the caller's transaction, in one statement."""
    day, start, end = quota_span(runtime, when)
    used = job_store.sends_between(
        conn,
        account_key(runtime.settings.wechat),
        start,
        end,
        QUOTA_JOB_STATES,
        COUNTED_SENDS,
        account_name=runtime.account,
    )
    return DayQuota(day, runtime.settings.schedule.daily_quota, used)


def issue_jobs(
    conn: Connection, issue_id: str, sends: Iterable[MassSendRow], account: str
) -> list[Job]:
    """Return an issue's jobs on ``account`` (a name), latest first, each with its send."""
    by_clientmsgid = {s.clientmsgid: s for s in sends}
    rows = job_store.jobs_of_issue(conn, issue_id, account)
    return [Job.from_row(r, by_clientmsgid.get(r.clientmsgid)) for r in rows]


def _named(runtime: Runtime, before: str = "") -> str:
    """Return ``<before> <name>`` for an account other than the default (which needs no name)."""
    return "" if runtime.account == DEFAULT_ACCOUNT else f"{before} {runtime.account}"


def _why_fixed(state: JobState) -> str:
    if state is JobState.CLAIMED:
        return "a worker is sending it (it may already have reached WeChat)"
    if state in (JobState.SUBMITTED, JobState.SENT):
        return "WeChat has accepted it"
    return "nothing is left to change"


def _when(runtime: Runtime, moment: dt.datetime) -> str:
    return local_time(moment, runtime.tz)
