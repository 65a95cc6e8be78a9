"""One worker step: mark missed sends, send the due ones exactly once, prepare, follow outcomes.

Exactly once rests on three things. The claim is a conditional UPDATE, so one worker holds a
job at a time; it is written before the ``sendall`` call and the result after it. Every call
for a job carries the job's own clientmsgid, so a retry after a crash or a lost answer is told
45065 with the first msg_id instead of pushing again. And a job past ``max_delay`` is marked
missed, never sent, so nothing goes out days late.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from collections.abc import Callable, Mapping

from .. import publishing
from ..errors import ConfigError, WxbotError
from ..rendering.compliance import ComplianceError
from ..runtime import Runtime
from ..states import JobState, SendStatus
from ..storage import issues as issue_store
from ..storage import jobs as job_store
from ..storage.publications import MassSendRow
from ..wechat.errors import (
    API_DAILY_QUOTA,
    API_MINUTE_LIMIT,
    CLIENTMSGID_TOO_FAST,
    INVALID_MEDIA_ID,
    SYSTEM_BUSY,
    WeChatError,
)
from ..wechat.limits import CLIENTMSGID_RETRY_AFTER
from .model import StepReport
from .policy import SchedulePolicy

logger = logging.getLogger(__name__)

#: Called at each step of a send with the step's name; tests use it to crash a worker there.
Checkpoint = Callable[[str], None]

#: Steps of a send, in order, as given to a :data:`Checkpoint`.
STEPS = ("before_claim", "after_claim", "during_call", "after_call")

#: WeChat errcodes that say "not now": system busy, a rate or quota window, retried too fast.
RETRY_ERRCODES = frozenset({SYSTEM_BUSY, API_DAILY_QUOTA, API_MINUTE_LIMIT, CLIENTMSGID_TOO_FAST})


def worker_name() -> str:
    """Return a name for this worker that no other process shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def run_due_jobs(
    runtime: Runtime, *, worker: str | None = None, checkpoint: Checkpoint | None = None
) -> list[StepReport]:
    """Do everything due at the runtime clock's now; return what was done to which job.

    Sends come first (they are on time), then preparation of upcoming sends, then outcomes.
    Jobs of every account are done, each with ``runtime.for_account(job.account)``.
    """
    worker = worker or worker_name()
    step = checkpoint or (lambda _name: None)
    policy = runtime.settings.schedule
    reports = _send_due(runtime, policy, worker, step)
    reports += _prepare_upcoming(runtime, policy)
    reports += _follow_outcomes(runtime, policy)
    _reconcile_sends(runtime, policy)
    return reports


# --- sending -----------------------------------------------------------------------------------


def _send_due(
    runtime: Runtime, policy: SchedulePolicy, worker: str, step: Checkpoint
) -> list[StepReport]:
    reports: list[StepReport] = []
    waiting: set[tuple[str, str]] = set()  # (account, issue) another worker is preparing
    while True:
        step("before_claim")
        now = runtime.now()
        with runtime.db.begin_write() as conn:
            row = job_store.claim_next_send(conn, now, worker, now + policy.lease, waiting)
            if row is not None:
                job_store.add_log(conn, row.id, now, "claimed", f"claim {row.attempts}", worker)
        if row is None:
            return reports
        step("after_claim")
        try:
            account = runtime.for_account(row.account)
        except ConfigError as exc:  # removed from the configuration: retried until missed
            report = _retry_later(runtime, policy, worker, row, str(exc))
        else:
            report = _send_claimed(account, policy, worker, row, step)
        if report.action == "waiting" or _others_wait(runtime, row, report):
            waiting.add((row.account, row.issue_id))
        reports.append(report)


def _others_wait(runtime: Runtime, row: job_store.JobRow, report: StepReport) -> bool:
    """Return whether another worker waits to send the issue this worker just sent.

    Each send of an issue on an account needs the issue's claim there (its draft is consumed),
    so this worker leaves the next send to its next step and the other worker gets a turn.
    """
    if report.action != "submitted":
        return False
    with runtime.db.begin() as conn:
        return job_store.issue_has_released_jobs(conn, row.issue_id, row.account, runtime.now())


def _send_claimed(
    runtime: Runtime,
    policy: SchedulePolicy,
    worker: str,
    row: job_store.JobRow,
    step: Checkpoint,
) -> StepReport:
    now = runtime.now()
    record = publishing.mass_send_record(runtime, row.clientmsgid)
    if now - row.send_at > policy.max_delay and not (record and record.msg_id):
        return _miss(runtime, policy, worker, row, record, now)
    # Every send consumes its draft (a tag send too), so an issue's draft is prepared, made
    # again and sent by one worker at a time: the one holding the issue's prepare claim.
    hold = now + policy.lease
    with runtime.db.begin_write() as conn:
        taken = job_store.claim_issue_prepare(conn, row.issue_id, row.account, now, hold)
    if not taken:
        return _release(runtime, worker, row, "another worker is preparing or sending its issue")
    try:
        return _send_holding_issue(runtime, policy, worker, row, record, step, hold)
    finally:
        with runtime.db.begin_write() as conn:
            job_store.release_issue_prepare(conn, row.issue_id, row.account, hold)


def _send_holding_issue(
    runtime: Runtime,
    policy: SchedulePolicy,
    worker: str,
    row: job_store.JobRow,
    record: MassSendRow | None,
    step: Checkpoint,
    hold: dt.datetime,
) -> StepReport:
    """Prepare the job's draft if need be, then send it (the issue's claim held until ``hold``)."""
    # Prepare only while no call for this job can have gone through: after one, the draft
    # may be consumed, and a retry must repeat the first call exactly.
    if record is None or record.status is SendStatus.REFUSED:
        try:
            _ready(runtime, policy, row, hold)
        except Exception as exc:
            error = f"preparing failed: {exc}"
            return _retry_later(runtime, policy, worker, row, error, prepare_again=True)
    try:
        step("during_call")
        outcome = publishing.send_mass(
            runtime, row.issue_id, clientmsgid=row.clientmsgid, tag_id=row.tag_id,
            wait_out_minute=False,
        )  # fmt: skip
    except WeChatError as exc:
        if publishing.is_unanswered(exc):  # it may have gone out: ask again past the minute
            return _retry_later(runtime, policy, worker, row, str(exc), unanswered=True)
        if exc.errcode in RETRY_ERRCODES:
            return _retry_later(runtime, policy, worker, row, str(exc))
        if exc.errcode == INVALID_MEDIA_ID:  # deleted in the console: made again
            return _retry_later(runtime, policy, worker, row, str(exc), prepare_again=True)
        return _fail(runtime, worker, row, str(exc))
    except publishing.AlreadySent as exc:  # another send reached (or may have) this audience
        return _fail(runtime, worker, row, str(exc))
    except (publishing.PublishError, ComplianceError) as exc:  # the draft is not usable
        return _retry_later(runtime, policy, worker, row, str(exc), prepare_again=True)
    except WxbotError as exc:  # no answer: the call may have taken effect; same clientmsgid
        return _retry_later(runtime, policy, worker, row, str(exc), unanswered=True)
    except Exception as exc:  # a bug or an outage must not lose the job: it is retried
        logger.exception("job %d: sending failed unexpectedly", row.id)
        return _retry_later(runtime, policy, worker, row, f"{type(exc).__name__}: {exc}")
    step("after_call")
    now = runtime.now()
    msg_id = str(outcome.msg_id)
    detail = f"msg_id {msg_id}" + (" (WeChat: already sent, 45065)" if outcome.duplicate else "")
    with runtime.db.begin_write() as conn:
        # From missed too: another worker may have given up on it while this call was on the
        # way, and WeChat's answer is what happened.
        if job_store.transition(
            conn,
            row.id,
            [JobState.CLAIMED, JobState.MISSED],
            {
                "state": JobState.SUBMITTED,
                "msg_id": msg_id,
                "duplicate": bool(outcome.duplicate),
                "submitted_at": now,
                "check_after": now + policy.status_interval,
                "claimed_by": None,
                "lease_until": None,
                "error": None,
                "updated_at": now,
            },
        ):
            job_store.add_log(conn, row.id, now, "submitted", detail, worker)
    logger.info("job %d: issue %s submitted, %s", row.id, row.issue_id, detail)
    return StepReport(row.id, row.issue_id, "submitted", detail)


def _miss(
    runtime: Runtime,
    policy: SchedulePolicy,
    worker: str,
    row: job_store.JobRow,
    record: MassSendRow | None,
    now: dt.datetime,
) -> StepReport:
    late = int((now - row.send_at).total_seconds() // 60)
    reason = f"not sent: {late} min past its time, more than max_delay {_minutes(policy)} min"
    if row.error:
        reason += f"; last error: {row.error}"
    if record is not None and record.status.is_unanswered:
        reason += (
            "; a sendall call for it got no answer and may have reached WeChat: check 群发记录 "
            "before sending again"
        )
    values = {"state": JobState.MISSED, "active_key": None, "lease_until": None, "error": reason}
    report = _end_claim(runtime, worker, row, "missed", reason, values)
    logger.warning("job %d (issue %s) missed: %s", row.id, row.issue_id, reason)
    return report


def _retry_later(
    runtime: Runtime,
    policy: SchedulePolicy,
    worker: str,
    row: job_store.JobRow,
    error: str,
    *,
    prepare_again: bool = False,
    unanswered: bool = False,
) -> StepReport:
    delay = policy.retry_interval
    if unanswered:  # sooner, WeChat answers the same clientmsgid 45066, which tells nothing
        delay = max(delay, dt.timedelta(seconds=CLIENTMSGID_RETRY_AFTER))
    retry_at = runtime.now() + delay
    values: dict[str, object] = {"lease_until": retry_at, "error": error}
    if prepare_again:
        values["prepared_revision"] = None
    # Stays claimed: the call may have reached WeChat, so only a retry with the same
    # clientmsgid (or missed, past max_delay) may follow.
    report = _end_claim(runtime, worker, row, "retry", error, values)
    logger.warning("job %d: will retry at %s: %s", row.id, retry_at.isoformat(), error)
    return report


def _release(runtime: Runtime, worker: str, row: job_store.JobRow, why: str) -> StepReport:
    return _end_claim(runtime, worker, row, "waiting", why, {"lease_until": runtime.now()})


def _fail(runtime: Runtime, worker: str, row: job_store.JobRow, error: str) -> StepReport:
    values = {
        "state": JobState.FAILED,
        "active_key": None,
        "lease_until": None,
        "error": error,
        "finished_at": runtime.now(),
    }
    report = _end_claim(runtime, worker, row, "failed", error, values)
    logger.error("job %d (issue %s) failed: %s", row.id, row.issue_id, error)
    return report


def _end_claim(
    runtime: Runtime,
    worker: str,
    row: job_store.JobRow,
    action: str,
    detail: str,
    values: Mapping[str, object],
) -> StepReport:
    """Give up this worker's claim on a job with ``values``, and log ``action``."""
    now = runtime.now()
    with runtime.db.begin_write() as conn:
        changed = job_store.transition(
            conn,
            row.id,
            [JobState.CLAIMED],
            {**values, "claimed_by": None, "updated_at": now},
            claimed_by=worker,
        )
        if changed:
            job_store.add_log(conn, row.id, now, action, detail, worker)
    return StepReport(row.id, row.issue_id, action, detail)


# --- preparing ---------------------------------------------------------------------------------


def _prepare_upcoming(runtime: Runtime, policy: SchedulePolicy) -> list[StepReport]:
    now = runtime.now()
    with runtime.db.begin() as conn:
        rows = job_store.due_to_prepare(conn, now, now + policy.prepare_ahead)
    reports = []
    done: set[tuple[str, str]] = set()  # one draft per issue and account serves all its jobs
    for row in rows:
        if (row.account, row.issue_id) in done:
            continue
        with runtime.db.begin_write() as conn:
            taken = job_store.claim_issue_prepare(
                conn, row.issue_id, row.account, now, now + policy.lease
            )
        if not taken:
            continue  # another worker is preparing it
        done.add((row.account, row.issue_id))
        try:
            detail = _prepare(runtime.for_account(row.account), row)
        except WxbotError as exc:
            reports.append(_prepare_failed(runtime, policy, row, str(exc)))
        except Exception as exc:
            logger.exception("job %d: preparing failed unexpectedly", row.id)
            reports.append(_prepare_failed(runtime, policy, row, f"{type(exc).__name__}: {exc}"))
        else:
            reports.append(StepReport(row.id, row.issue_id, "prepared", detail))
    return reports


def _ready(
    runtime: Runtime, policy: SchedulePolicy, row: job_store.JobRow, hold: dt.datetime
) -> None:
    """Make sure the job's issue has its current draft (the issue's claim held until ``hold``).

    A draft an earlier send consumed is made again by the send itself, under the same claim.
    """
    revision = _revision(runtime, row.issue_id)
    with runtime.db.begin() as conn:
        fresh = job_store.get_job(conn, row.id)
    if fresh is not None and fresh.prepared_revision == revision:
        return
    try:
        _prepare(runtime, row, hold=hold)
    except Exception as exc:
        _prepare_failed(runtime, policy, row, str(exc) or type(exc).__name__)
        raise


def _prepare(runtime: Runtime, row: job_store.JobRow, *, hold: dt.datetime | None = None) -> str:
    revision = _revision(runtime, row.issue_id)
    prepared = publishing.prepare_issue(
        runtime,
        row.issue_id,
        preview_openids=publishing.default_preview_openids(runtime),
    )
    now = runtime.now()
    detail = f"revision {revision}, draft {prepared.media_id} ({prepared.action})"
    with runtime.db.begin_write() as conn:
        # Ready for every job of the issue; the first send consumes it, the next makes it again.
        ready = job_store.mark_prepared(conn, row.issue_id, row.account, revision, now, hold=hold)
        for job_id in ready:
            job_store.add_log(conn, job_id, now, "prepared", detail)
    logger.info("job %d: issue %s prepared (%s)", row.id, row.issue_id, detail)
    return detail


def _prepare_failed(
    runtime: Runtime, policy: SchedulePolicy, row: job_store.JobRow, error: str
) -> StepReport:
    now = runtime.now()
    retry_at = now + policy.retry_interval
    with runtime.db.begin_write() as conn:
        failed = job_store.mark_prepare_failed(
            conn, row.issue_id, row.account, error, retry_at, now
        )
        for job_id in failed:
            job_store.add_log(conn, job_id, now, "prepare_failed", error)
    logger.error("job %d: preparing issue %s failed: %s", row.id, row.issue_id, error)
    return StepReport(row.id, row.issue_id, "prepare_failed", error)


def _revision(runtime: Runtime, issue_id: str) -> int | None:
    with runtime.db.begin() as conn:
        found = issue_store.current_hashes(conn, [issue_id])
    return found[issue_id][1] if issue_id in found else None


# --- outcomes ----------------------------------------------------------------------------------


def _follow_outcomes(runtime: Runtime, policy: SchedulePolicy) -> list[StepReport]:
    now = runtime.now()
    with runtime.db.begin() as conn:
        rows = job_store.awaiting_outcome(conn, now)
    reports = []
    for row in rows:
        try:
            account = runtime.for_account(row.account)
        except ConfigError as exc:
            logger.warning("job %d: its outcome cannot be asked about: %s", row.id, exc)
            continue
        report = _follow_outcome(account, policy, row, now)
        if report is not None:
            reports.append(report)
    return reports


def _follow_outcome(
    runtime: Runtime, policy: SchedulePolicy, row: job_store.JobRow, now: dt.datetime
) -> StepReport | None:
    """Finish a submitted job whose send is over: from its record, else by asking WeChat.

    MASSSENDJOBFINISH finishes the job as it arrives; this is the fallback when it does not
    come, or came before the job was recorded as submitted.
    """
    record = publishing.mass_send_record(runtime, row.clientmsgid)
    outcome = record.status if record is not None else None
    if outcome is not None and outcome.job_state is not None:
        detail = _counts(record) or "finished"
    else:
        try:
            status = publishing.mass_send_status(runtime, row.msg_id or "")
        except WxbotError as exc:
            logger.warning("job %d: message/mass/get failed: %s", row.id, exc)
            status = None
        if status is None or status.outcome is None:
            with runtime.db.begin_write() as conn:
                at = now + policy.status_interval
                job_store.transition(conn, row.id, [row.state], {"check_after": at})
            return None
        outcome, detail = status.outcome, f"message/mass/get: {status.status}"
        record = publishing.mass_send_record(runtime, row.clientmsgid)  # as the poll left it
    state = outcome.job_state
    assert state is not None
    error = None if state is JobState.SENT else f"WeChat reports the send failed ({_why(record)})"
    with runtime.db.begin_write() as conn:
        if not job_store.finish(conn, row, state, error=error, detail=detail, now=now):
            return None
    logger.info("job %d (issue %s) %s: %s", row.id, row.issue_id, state, detail)
    return StepReport(row.id, row.issue_id, state, detail)


def _reconcile_sends(runtime: Runtime, policy: SchedulePolicy) -> None:
    """Ask WeChat how sends made directly went (jobs' sends are followed above), at its pace.

    Every account's, each on its own: one account's failure leaves the others'.
    """
    for account in runtime.accounts():
        try:
            publishing.reconcile_mass_sends(
                account, checked_before=runtime.now() - policy.status_interval, direct_only=True
            )
        except WxbotError as exc:
            logger.warning("reconciling mass sends of account %s failed: %s", account.account, exc)


def _counts(record: MassSendRow | None) -> str:
    if record is None or record.total_count is None:
        return ""
    return f"sent {record.sent_count}/{record.total_count}, errors {record.error_count}"


def _why(record: MassSendRow | None) -> str:
    return (record.error or record.status) if record is not None else "SEND_FAIL"


def _minutes(policy: SchedulePolicy) -> str:
    return f"{policy.max_delay.total_seconds() / 60:g}"
