"""SQL for scheduled mass sends: the jobs, their atomic claims and leases, and their history.

Every state change is a conditional UPDATE (``WHERE id = … AND state IN (…)``) whose row count
says whether this caller made it, so two workers never both move a job. Picking the next due
job takes ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the caller's
``BEGIN IMMEDIATE`` serialises writers and the conditional UPDATE does the rest.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    false,
    func,
    not_,
    or_,
    select,
    text,
)

from ..config.accounts import DEFAULT_ACCOUNT
from ..states import JobState, SendStatus
from .issues import issues
from .publications import mass_sends
from .schema import UtcDateTime, metadata

send_jobs = Table(
    "send_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(10), ForeignKey("issues.id"), nullable=False, index=True),
    # The account's name (``default`` = [wechat]): whose quota, draft and sendall it is.
    Column("account", String(32), nullable=False, server_default=DEFAULT_ACCOUNT),
    Column("tag_id", Integer, nullable=True),  # None = every follower
    Column("send_at", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),  # a JobState
    # Given to message/mass/sendall on every attempt: WeChat answers a repeat with 45065.
    Column("clientmsgid", String(64), nullable=False, unique=True),
    # "issue|audience" ("issue|audience|account" for an account other than the default) while
    # the job is live or sent, NULL otherwise: one such job at a time.
    Column("active_key", String(40), nullable=True, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Preparation (render, upload, draft, previews) ahead of the send.
    Column("prepared_at", UtcDateTime(), nullable=True),
    Column("prepared_revision", Integer, nullable=True),
    Column("prepare_error", Text, nullable=True),
    Column("prepare_after", UtcDateTime(), nullable=True),  # lease or retry time
    # The send: who holds it and until when, and how often it was tried.
    Column("claimed_by", String(80), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("msg_id", String(32), nullable=True),
    Column("duplicate", Boolean, nullable=False, default=False),
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("check_after", UtcDateTime(), nullable=True),
    # The outcome, from MASSSENDJOBFINISH or message/mass/get.
    Column("finished_at", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_send_jobs_state_send_at", "state", "send_at"),
)

send_job_log = Table(
    "send_job_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, ForeignKey("send_jobs.id"), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("event", String(24), nullable=False),
    Column("detail", Text, nullable=False, default=""),
    Column("worker", String(80), nullable=False, default=""),
)

#: Key of the PostgreSQL advisory lock that serialises scheduling checks (quota, duplicates).
_SCHEDULING_LOCK = zlib.crc32(b"wxbot.send_jobs")


@dataclass(frozen=True)
class JobRow:
    """One stored job, every column as read (datetimes in UTC)."""

    id: int
    issue_id: str
    account: str
    tag_id: int | None
    send_at: dt.datetime
    state: JobState
    clientmsgid: str
    active_key: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    prepared_at: dt.datetime | None
    prepared_revision: int | None
    prepare_error: str | None
    prepare_after: dt.datetime | None
    claimed_by: str | None
    lease_until: dt.datetime | None
    attempts: int
    msg_id: str | None
    duplicate: bool
    submitted_at: dt.datetime | None
    check_after: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", JobState(self.state))  # the column holds its value


@dataclass(frozen=True)
class LogRow:
    """One entry of a job's history."""

    at: dt.datetime
    event: str
    detail: str
    worker: str


_JOB_COLUMNS = [send_jobs.c[f.name] for f in fields(JobRow)]


def _job(row: Any) -> JobRow:
    return JobRow(**row._mapping)


def lock_scheduling(conn: Connection) -> None:
    """Serialise scheduling decisions until the transaction ends (SQLite: already by IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEDULING_LOCK})


def insert_job(conn: Connection, values: Mapping[str, Any]) -> int:
    """Store a new job and return its id."""
    result = conn.execute(send_jobs.insert().values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def get_job(conn: Connection, job_id: int) -> JobRow | None:
    """Return one job, or None."""
    row = conn.execute(select(*_JOB_COLUMNS).where(send_jobs.c.id == job_id)).first()
    return _job(row) if row is not None else None


def list_jobs(
    conn: Connection,
    *,
    states: Collection[JobState] | None = None,
    issue_id: str | None = None,
    limit: int | None = None,
    account: str | None = None,
) -> list[JobRow]:
    """Return jobs by send time, latest first, optionally only some states, one issue or account."""
    query = select(*_JOB_COLUMNS).order_by(send_jobs.c.send_at.desc(), send_jobs.c.id.desc())
    if account is not None:
        query = query.where(send_jobs.c.account == account)
    if states is not None:
        query = query.where(send_jobs.c.state.in_(list(states)))
    if issue_id is not None:
        query = query.where(send_jobs.c.issue_id == issue_id)
    if limit is not None:
        query = query.limit(limit)
    return [_job(r) for r in conn.execute(query)]


#: One issue's jobs, latest send time first (the issue page's list): built once, bound per call.
_JOBS_OF_ISSUE = (
    select(*_JOB_COLUMNS)
    .where(send_jobs.c.issue_id == bindparam("issue_id", type_=String))
    .where(send_jobs.c.account == bindparam("account_name", type_=String))
    .order_by(send_jobs.c.send_at.desc(), send_jobs.c.id.desc())
)


def jobs_of_issue(conn: Connection, issue_id: str, account: str) -> list[JobRow]:
    """Return an issue's jobs on ``account`` (a name), latest send time first."""
    params = {"issue_id": issue_id, "account_name": account}
    return [_job(r) for r in conn.execute(_JOBS_OF_ISSUE, params)]


def find_by_active_key(conn: Connection, active_key: str) -> JobRow | None:
    """Return the live or sent job holding ``active_key``, if any."""
    row = conn.execute(select(*_JOB_COLUMNS).where(send_jobs.c.active_key == active_key)).first()
    return _job(row) if row is not None else None


def jobs_between(
    conn: Connection,
    start: dt.datetime,
    end: dt.datetime,
    states: Collection[JobState],
    account: str = DEFAULT_ACCOUNT,
) -> list[JobRow]:
    """Return ``account``'s jobs in ``states`` sending in ``[start, end)``, earliest first."""
    query = (
        select(*_JOB_COLUMNS)
        .where(send_jobs.c.account == account)
        .where(send_jobs.c.send_at >= start, send_jobs.c.send_at < end)
        .where(send_jobs.c.state.in_(list(states)))
        .order_by(send_jobs.c.send_at, send_jobs.c.id)
    )
    return [_job(r) for r in conn.execute(query)]


def transition(
    conn: Connection,
    job_id: int,
    from_states: Collection[JobState],
    values: Mapping[str, Any],
    *,
    claimed_by: str | None = None,
) -> bool:
    """Change a job only if it is in one of ``from_states`` (and held by ``claimed_by``).

    Return whether this call changed it: the row count of a conditional UPDATE, so of two
    callers racing for the same change exactly one gets True.
    """
    condition = and_(send_jobs.c.id == job_id, send_jobs.c.state.in_(list(from_states)))
    if claimed_by is not None:
        condition = and_(condition, send_jobs.c.claimed_by == claimed_by)
    result = conn.execute(send_jobs.update().where(condition).values(**values))
    return result.rowcount == 1


def _due_to_send(now: dt.datetime) -> ColumnElement[bool]:
    return or_(
        and_(send_jobs.c.state == JobState.SCHEDULED, send_jobs.c.send_at <= now),
        # A worker died holding it, or it waits to be retried.
        and_(send_jobs.c.state == JobState.CLAIMED, send_jobs.c.lease_until <= now),
    )


def claim_next_send(
    conn: Connection,
    now: dt.datetime,
    worker: str,
    lease_until: dt.datetime,
    skip_issues: Collection[tuple[str, str]] = (),
) -> JobRow | None:
    """Claim the earliest due job for ``worker`` until ``lease_until``; None when none is due.

    Jobs of the ``(account, issue)`` pairs in ``skip_issues`` are left alone. The claim moves
    the job to ``claimed`` and counts an attempt, in the caller's transaction.
    """
    skipped = [
        and_(send_jobs.c.account == account, send_jobs.c.issue_id == issue_id)
        for account, issue_id in skip_issues
    ]
    while True:
        job_id = conn.execute(
            select(send_jobs.c.id)
            .where(_due_to_send(now), not_(or_(false(), *skipped)))
            .order_by(send_jobs.c.send_at, send_jobs.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing
        ).scalar()
        if job_id is None:
            return None
        claimed = conn.execute(
            send_jobs.update()
            .where(send_jobs.c.id == job_id, _due_to_send(now))
            .values(
                state=JobState.CLAIMED,
                claimed_by=worker,
                lease_until=lease_until,
                attempts=send_jobs.c.attempts + 1,
                updated_at=now,
            )
        )
        if claimed.rowcount == 1:
            return get_job(conn, job_id)


def due_to_prepare(conn: Connection, now: dt.datetime, horizon: dt.datetime) -> list[JobRow]:
    """Return scheduled jobs sending before ``horizon`` whose draft is missing or out of date."""
    query = (
        select(*_JOB_COLUMNS)
        .join(issues, issues.c.id == send_jobs.c.issue_id)
        .where(send_jobs.c.state == JobState.SCHEDULED, send_jobs.c.send_at <= horizon)
        .where(
            or_(
                send_jobs.c.prepared_revision.is_(None),
                send_jobs.c.prepared_revision != issues.c.revision,
            )
        )
        .where(or_(send_jobs.c.prepare_after.is_(None), send_jobs.c.prepare_after <= now))
        .order_by(send_jobs.c.send_at, send_jobs.c.id)
    )
    return [_job(r) for r in conn.execute(query)]


def claim_issue_prepare(
    conn: Connection, issue_id: str, account: str, now: dt.datetime, lease_until: dt.datetime
) -> bool:
    """Take the right to prepare an issue's draft on ``account`` until ``lease_until``.

    Return whether taken. One worker at a time prepares an issue on an account (its jobs there
    share one draft). Refused while another holds it, or while a failed preparation waits for
    its retry time.
    """
    rows = conn.execute(
        select(send_jobs.c.id, send_jobs.c.prepare_after)
        .where(_live_jobs(issue_id, account))
        .with_for_update()
    ).all()
    if not rows or any(r.prepare_after and r.prepare_after > now for r in rows):
        return False
    conn.execute(
        send_jobs.update()
        .where(send_jobs.c.id.in_([r.id for r in rows]))
        .values(prepare_after=lease_until)
    )
    return True


def awaiting_outcome(conn: Connection, now: dt.datetime) -> list[JobRow]:
    """Return submitted jobs whose outcome is due to be asked about."""
    query = (
        select(*_JOB_COLUMNS)
        .where(send_jobs.c.state.in_(JobState.where(lambda s: s.awaits_outcome)))
        .where(send_jobs.c.check_after.is_not(None), send_jobs.c.check_after <= now)
        .order_by(send_jobs.c.submitted_at, send_jobs.c.id)
    )
    return [_job(r) for r in conn.execute(query)]


def look_at_outcomes_now(conn: Connection, now: dt.datetime) -> int:
    """Make every submitted job's outcome due a look at ``now``; return how many were not."""
    result = conn.execute(
        send_jobs.update()
        .where(send_jobs.c.state.in_(JobState.where(lambda s: s.awaits_outcome)))
        .where(send_jobs.c.check_after > now)
        .values(check_after=now)
    )
    return int(result.rowcount)


def job_of_send(conn: Connection, clientmsgid: str) -> JobRow | None:
    """Return the job that makes the send with ``clientmsgid``; None for a send made directly."""
    query = select(*_JOB_COLUMNS).where(send_jobs.c.clientmsgid == clientmsgid)
    row = conn.execute(query).first()
    return _job(row) if row is not None else None


def finish(
    conn: Connection,
    job: JobRow,
    state: JobState,
    *,
    error: str | None,
    detail: str,
    now: dt.datetime,
) -> bool:
    """Record that the job's send ended in ``state`` (sent or failed), with a history entry.

    Only from the state ``job`` was read in: of an event and a status poll finishing the job
    at once, one does. Return whether this call did.
    """
    values: dict[str, Any] = {
        "state": state,
        "finished_at": job.finished_at or now,
        "error": error,
        "check_after": None,
        "updated_at": now,
    }
    if state is JobState.FAILED:
        values["active_key"] = None  # the audience may be sent to again
    if not transition(conn, job.id, [job.state], values):
        return False
    add_log(conn, job.id, now, state, detail)
    return True


def mark_prepared(
    conn: Connection,
    issue_id: str,
    account: str,
    revision: int | None,
    now: dt.datetime,
    *,
    hold: dt.datetime | None = None,
) -> list[int]:
    """Record that the issue's draft on ``account`` is ready at ``revision``; return the jobs.

    :param hold: keep the issue's prepare claim until then (its draft is about to be sent),
        instead of giving it up.
    """
    return _update_live_jobs(
        conn,
        issue_id,
        account,
        prepared_at=now,
        prepared_revision=revision,
        prepare_error=None,
        prepare_after=hold,
        updated_at=now,
    )


def release_issue_prepare(
    conn: Connection, issue_id: str, account: str, lease_until: dt.datetime
) -> None:
    """Give up the prepare claim on an issue's account taken until ``lease_until``, if held.

    A claim that ran out and was taken by another worker, or turned into a failed
    preparation's retry time, carries another time and is left alone.
    """
    conn.execute(
        send_jobs.update()
        .where(_live_jobs(issue_id, account), send_jobs.c.prepare_after == lease_until)
        .values(prepare_after=None)
    )


def issue_has_released_jobs(
    conn: Connection, issue_id: str, account: str, now: dt.datetime
) -> bool:
    """Return whether a job of the issue on ``account`` was given back and is due again."""
    query = select(send_jobs.c.id).where(
        send_jobs.c.issue_id == issue_id,
        send_jobs.c.account == account,
        send_jobs.c.state == JobState.CLAIMED,
        send_jobs.c.claimed_by.is_(None),
        send_jobs.c.lease_until <= now,
    )
    return conn.execute(query.limit(1)).first() is not None


def mark_prepare_failed(
    conn: Connection,
    issue_id: str,
    account: str,
    error: str,
    retry_at: dt.datetime,
    now: dt.datetime,
) -> list[int]:
    """Record why preparing the issue on ``account`` failed on its live jobs, and when to retry."""
    return _update_live_jobs(
        conn,
        issue_id,
        account,
        prepared_revision=None,
        prepare_error=error,
        prepare_after=retry_at,
        updated_at=now,
    )


def _live_jobs(issue_id: str, account: str) -> ColumnElement[bool]:
    """Match the issue's jobs on ``account`` whose send WeChat has yet to accept."""
    awaiting = JobState.where(lambda s: s.awaits_submission)
    return and_(
        send_jobs.c.issue_id == issue_id,
        send_jobs.c.account == account,
        send_jobs.c.state.in_(awaiting),
    )


def _update_live_jobs(conn: Connection, issue_id: str, account: str, **values: Any) -> list[int]:
    """Set ``values`` on the issue's live jobs on ``account``; return their ids."""
    live = _live_jobs(issue_id, account)
    ids = [r.id for r in conn.execute(select(send_jobs.c.id).where(live))]
    if ids:
        conn.execute(send_jobs.update().where(send_jobs.c.id.in_(ids), live).values(**values))
    return ids


def direct_sends_between(
    conn: Connection,
    account: str,
    start: dt.datetime,
    end: dt.datetime,
    statuses: Collection[SendStatus],
) -> int:
    """Return how many mass sends in ``[start, end)`` in ``statuses`` no job made."""
    query = (
        select(func.count())
        .select_from(mass_sends)
        .where(mass_sends.c.account == account, mass_sends.c.status.in_(list(statuses)))
        .where(mass_sends.c.created_at >= start, mass_sends.c.created_at < end)
        .where(mass_sends.c.clientmsgid.not_in(select(send_jobs.c.clientmsgid)))
    )
    return int(conn.execute(query).scalar_one())


_START = bindparam("start", type_=UtcDateTime())
_END = bindparam("end", type_=UtcDateTime())
#: The jobs in ``job_states`` sending in ``[start, end)``: a column of one count.
COUNTED_JOBS = (
    select(func.count())
    .select_from(send_jobs)
    .where(send_jobs.c.send_at >= _START, send_jobs.c.send_at < _END)
    .where(send_jobs.c.account == bindparam("account_name", type_=String))
    .where(send_jobs.c.state.in_(bindparam("job_states", expanding=True)))
    .correlate(None)
    .scalar_subquery()
    .label("counted_jobs")
)
#: The sends of ``account`` in ``send_statuses`` made in ``[start, end)`` by no job: a column.
DIRECT_SENDS = (
    select(func.count())
    .select_from(mass_sends)
    .where(
        mass_sends.c.account == bindparam("account", type_=String),
        mass_sends.c.status.in_(bindparam("send_statuses", expanding=True)),
    )
    .where(mass_sends.c.created_at >= _START, mass_sends.c.created_at < _END)
    .where(mass_sends.c.clientmsgid.not_in(select(send_jobs.c.clientmsgid)))
    .correlate(None)
    .scalar_subquery()
    .label("direct_sends")
)
_SENDS_BETWEEN = select(COUNTED_JOBS, DIRECT_SENDS)


def sends_between_params(
    account: str,
    start: dt.datetime,
    end: dt.datetime,
    job_states: Collection[JobState],
    send_statuses: Collection[SendStatus],
    *,
    account_name: str,
) -> dict[str, Any]:
    """Return the values :data:`COUNTED_JOBS` and :data:`DIRECT_SENDS` are bound with.

    ``account`` is the account's key (its sends), ``account_name`` its name (its jobs).
    """
    return {
        "start": start,
        "end": end,
        "account": account,
        "account_name": account_name,
        "job_states": [str(s) for s in job_states],
        "send_statuses": [str(s) for s in send_statuses],
    }


def sends_between(
    conn: Connection,
    account: str,
    start: dt.datetime,
    end: dt.datetime,
    job_states: Collection[JobState],
    send_statuses: Collection[SendStatus],
    *,
    account_name: str,
) -> int:
    """Return the jobs in ``job_states`` plus the sends no job made in ``send_statuses``.

    Both sending in ``[start, end)``: what :func:`jobs_between` and
    :func:`direct_sends_between` count, in one statement.
    """
    params = sends_between_params(
        account, start, end, job_states, send_statuses, account_name=account_name
    )
    row = conn.execute(_SENDS_BETWEEN, params).one()
    return int(row.counted_jobs) + int(row.direct_sends)


def add_log(
    conn: Connection,
    job_id: int,
    at: dt.datetime,
    event: str,
    detail: str = "",
    worker: str = "",
) -> None:
    """Append an entry to a job's history."""
    conn.execute(
        send_job_log.insert().values(
            job_id=job_id, at=at, event=event, detail=detail, worker=worker
        )
    )


def job_log(conn: Connection, job_id: int) -> list[LogRow]:
    """Return a job's history, oldest first."""
    rows = conn.execute(
        select(
            send_job_log.c.at, send_job_log.c.event, send_job_log.c.detail, send_job_log.c.worker
        )
        .where(send_job_log.c.job_id == job_id)
        .order_by(send_job_log.c.id)
    )
    return [LogRow(**r._mapping) for r in rows]


def count_jobs(conn: Connection, states: Collection[JobState] | None = None) -> int:
    """Return how many jobs there are (in ``states``)."""
    query = select(func.count()).select_from(send_jobs)
    if states is not None:
        query = query.where(send_jobs.c.state.in_(list(states)))
    return int(conn.execute(query).scalar_one())
