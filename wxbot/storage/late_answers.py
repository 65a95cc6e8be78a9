"""SQL for answers sent late, by customer-service message: the queue every process may send from.

A row per follower message (keyed by its dedupe key, like ``follower_messages``), written once
its answer is ready. Senders — the web workers' background threads and ``wxbot worker`` — claim
due rows with a conditional UPDATE (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises writers), so each answer goes out from one sender only. A row
left ``sending`` by a sender that died mid-call is never sent again: it may have arrived.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..config.accounts import DEFAULT_ACCOUNT
from ..states import LateAnswerState
from . import followers
from .followers import LoggedMessage, stored_identifier
from .schema import UtcDateTime, metadata

#: Longest error text kept on a row.
ERROR_MAX_CHARS = 500

late_answers = Table(
    "late_answers",
    metadata,
    Column("dedupe_key", String(160), primary_key=True),  # the message's, as in follower_messages
    Column("openid", String(64), nullable=False),
    Column("msgtype", String(16), nullable=False),  # text | news (message/custom/send's msgtype)
    Column("payload", Text, nullable=False),  # JSON of the msgtype's object
    Column("state", String(16), nullable=False),  # a LateAnswerState
    Column("received_at", UtcDateTime(), nullable=False),  # when the follower wrote
    Column("deadline", UtcDateTime(), nullable=False),  # WeChat refuses it after (45015)
    Column("next_try_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_by", String(80), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("sent_at", UtcDateTime(), nullable=True),
    Column("error", Text, nullable=True),
    # The account (its name) whose follower gets it, by that account's API.
    Column("account", String(32), nullable=False, server_default=DEFAULT_ACCOUNT),
    Index("ix_late_answers_state_next_try", "state", "next_try_at"),
)


@dataclass(frozen=True)
class LateAnswer:
    """One stored late answer, every column as read (datetimes in UTC)."""

    dedupe_key: str
    openid: str
    msgtype: str
    payload: str
    state: LateAnswerState
    received_at: dt.datetime
    deadline: dt.datetime
    next_try_at: dt.datetime
    attempts: int
    claimed_by: str | None
    lease_until: dt.datetime | None
    sent_at: dt.datetime | None
    error: str | None
    account: str = DEFAULT_ACCOUNT

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", LateAnswerState(self.state))


_COLUMNS = [late_answers.c[f.name] for f in fields(LateAnswer)]


def _row(row: Any) -> LateAnswer:
    return LateAnswer(**row._mapping)


def enqueue(
    conn: Connection,
    logged: LoggedMessage,
    *,
    msgtype: str,
    payload: str,
    received_at: dt.datetime,
    deadline: dt.datetime,
) -> bool:
    """Queue the answer to a logged message and settle its log row; False when already queued.

    The log row may not be written yet (the message log writes behind): it is written here
    if missing, else given the answer's kind and results, its reply staying ``success``.
    """
    settle(conn, logged)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = (
        dialect.insert(late_answers)
        .values(
            dedupe_key=stored_identifier("dedupe_key", logged.dedupe_key),
            openid=stored_identifier("openid", logged.openid),
            msgtype=msgtype,
            payload=payload.replace("\x00", ""),
            state=LateAnswerState.PENDING,
            received_at=received_at,
            deadline=deadline,
            next_try_at=received_at,
            attempts=0,
            account=logged.account,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(late_answers.c.dedupe_key)
    )
    return conn.execute(insert).first() is not None


def settle(conn: Connection, logged: LoggedMessage) -> None:
    """Write a message's log row, or update the one written, with what it was answered."""
    row = followers.bounded(logged)
    followers.log_messages(conn, [row])
    table = followers.follower_messages
    conn.execute(
        table.update()
        .where(table.c.dedupe_key == row.dedupe_key)
        .values(
            handler=row.handler,
            answer=row.answer,
            found=row.found,
            results=row.results,
            reply=row.reply,
        )
    )


def _due(now: dt.datetime) -> Any:
    return and_(late_answers.c.state == LateAnswerState.PENDING, late_answers.c.next_try_at <= now)


def claim_due(
    conn: Connection, now: dt.datetime, sender: str, lease_until: dt.datetime, limit: int = 20
) -> list[LateAnswer]:
    """Claim up to ``limit`` due answers for ``sender`` until ``lease_until``, oldest first."""
    keys = conn.execute(
        select(late_answers.c.dedupe_key)
        .where(_due(now))
        .order_by(late_answers.c.next_try_at, late_answers.c.dedupe_key)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite renders nothing
    ).scalars()
    claimed = []
    for key in list(keys):
        result = conn.execute(
            late_answers.update()
            .where(late_answers.c.dedupe_key == key, _due(now))
            .values(
                state=LateAnswerState.SENDING,
                claimed_by=sender[:80],
                lease_until=lease_until,
                attempts=late_answers.c.attempts + 1,
            )
        )
        if result.rowcount == 1:
            found = get(conn, key)
            assert found is not None
            claimed.append(found)
    return claimed


def abandon_stale(conn: Connection, now: dt.datetime, error: str) -> list[str]:
    """Fail the answers whose sender's lease ended mid-call (never resent); return their keys."""
    stale = and_(late_answers.c.state == LateAnswerState.SENDING, late_answers.c.lease_until <= now)
    keys = list(conn.execute(select(late_answers.c.dedupe_key).where(stale)).scalars())
    if keys:
        conn.execute(
            late_answers.update()
            .where(stale, late_answers.c.dedupe_key.in_(keys))
            .values(state=LateAnswerState.FAILED, lease_until=None, error=error[:ERROR_MAX_CHARS])
        )
    return keys


def _finish(conn: Connection, key: str, sender: str, values: dict[str, Any]) -> bool:
    held = and_(
        late_answers.c.dedupe_key == key,
        late_answers.c.state == LateAnswerState.SENDING,
        late_answers.c.claimed_by == sender[:80],
    )
    return conn.execute(late_answers.update().where(held).values(**values)).rowcount == 1


def mark_sent(conn: Connection, key: str, sender: str, now: dt.datetime) -> bool:
    """Record that WeChat accepted a claimed answer."""
    values = {"state": LateAnswerState.SENT, "sent_at": now, "lease_until": None, "error": None}
    return _finish(conn, key, sender, values)


def mark_retry(
    conn: Connection, key: str, sender: str, next_try_at: dt.datetime, error: str
) -> bool:
    """Put a claimed answer back to be tried again at ``next_try_at``, recording why."""
    values = {
        "state": LateAnswerState.PENDING,
        "next_try_at": next_try_at,
        "lease_until": None,
        "error": error[:ERROR_MAX_CHARS],
    }
    return _finish(conn, key, sender, values)


def mark_failed(conn: Connection, key: str, sender: str, error: str) -> bool:
    """Record that a claimed answer will never be sent, and why."""
    values = {
        "state": LateAnswerState.FAILED,
        "lease_until": None,
        "error": error[:ERROR_MAX_CHARS],
    }
    return _finish(conn, key, sender, values)


def get(conn: Connection, dedupe_key: str) -> LateAnswer | None:
    """Return the late answer to a message, if one was queued."""
    key = stored_identifier("dedupe_key", dedupe_key)
    row = conn.execute(select(*_COLUMNS).where(late_answers.c.dedupe_key == key)).first()
    return None if row is None else _row(row)


def recent(conn: Connection, limit: int = 50) -> list[LateAnswer]:
    """Return the latest late answers, newest first."""
    query = select(*_COLUMNS).order_by(late_answers.c.received_at.desc()).limit(limit)
    return [_row(r) for r in conn.execute(query)]


def next_due(conn: Connection) -> dt.datetime | None:
    """Return when the earliest pending answer is due, None when none is pending."""
    query = select(func.min(late_answers.c.next_try_at)).where(
        late_answers.c.state == LateAnswerState.PENDING
    )
    value: dt.datetime | None = conn.execute(query).scalar()
    if value is not None and value.tzinfo is None:  # min() loses the column's type on SQLite
        value = value.replace(tzinfo=dt.UTC)
    return value
