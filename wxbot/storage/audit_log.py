"""SQL for the audit log: who did what in the console, when, and how it went."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Index, Integer, String, Table, Text, func, select

from .schema import UtcDateTime, metadata

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    # The name is kept as it was: the account may be removed later, the entry stays.
    Column("editor_id", Integer, nullable=True),
    Column("editor_name", String(64), nullable=False),  # "" when nobody is signed in
    Column("address", String(64), nullable=False),  # the client's address
    Column("action", String(64), nullable=False),  # sign-in, user-add, publish, …
    Column("subject", Text, nullable=False),  # what it was done to: an issue, an account
    Column("outcome", String(32), nullable=False),  # ok, refused, failed, …
    Column("detail", Text, nullable=False),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_subject", "subject", "at"),
)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: dt.datetime
    editor_id: int | None
    editor_name: str
    address: str
    action: str
    subject: str
    outcome: str
    detail: str


def insert_entry(
    conn: Connection,
    *,
    at: dt.datetime,
    editor_id: int | None,
    editor_name: str,
    address: str,
    action: str,
    subject: str,
    outcome: str,
    detail: str,
) -> None:
    """Write one entry."""
    conn.execute(
        audit_log.insert().values(
            at=at,
            editor_id=editor_id,
            editor_name=editor_name,
            address=address,
            action=action,
            subject=subject,
            outcome=outcome,
            detail=detail,
        )
    )


def recent_entries(
    conn: Connection, limit: int = 100, subject: str | None = None
) -> list[AuditEntry]:
    """Return the newest entries first, optionally only those about ``subject``."""
    query = select(audit_log).order_by(audit_log.c.at.desc(), audit_log.c.id.desc()).limit(limit)
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    return [AuditEntry(**r._mapping) for r in conn.execute(query)]


def count_entries(conn: Connection) -> int:
    """Return how many entries the log holds."""
    return int(conn.execute(select(func.count()).select_from(audit_log)).scalar_one())
