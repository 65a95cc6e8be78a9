"""SQL for editor accounts and the sign-in failures that rate-limit them.

Failed sign-ins are rows, one per failure and per key (the account name, the client's
address), so every web worker counts the same failures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)

from .schema import UtcDateTime, metadata

#: Longest account name, in characters.
NAME_MAX_CHARS = 64

editors = Table(
    "editors",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_MAX_CHARS), nullable=False),
    Column("role", String(16), nullable=False),  # editor | admin
    Column("password_hash", Text, nullable=False),  # werkzeug's scrypt hash
    # Raised when the password changes: sessions signed in before then end.
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    # Where this editor's previews go: an openid or a WeChat ID (微信号); NULL = none yet.
    Column("preview_target", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_sign_in_at", UtcDateTime(), nullable=True),
    UniqueConstraint("name", name="uq_editors_name"),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(16), nullable=False),  # account | address
    Column("key", String(128), nullable=False),  # the name tried, or the client's address
    Column("failed_at", UtcDateTime(), nullable=False),
    Index("ix_sign_in_failures_key", "scope", "key", "failed_at"),
    Index("ix_sign_in_failures_failed_at", "failed_at"),
)


@dataclass(frozen=True)
class EditorRow:
    """An editor account as stored."""

    id: int
    name: str
    role: str
    password_hash: str
    session_epoch: int
    preview_target: str | None
    created_at: dt.datetime
    last_sign_in_at: dt.datetime | None


def insert_editor(
    conn: Connection, name: str, role: str, password_hash: str, now: dt.datetime
) -> int:
    """Store a new account; return its id."""
    done = conn.execute(
        editors.insert().values(
            name=name, role=role, password_hash=password_hash, session_epoch=0, created_at=now
        )
    )
    key = done.inserted_primary_key
    assert key is not None
    return int(key[0])


def editor_by_name(conn: Connection, name: str) -> EditorRow | None:
    """Return the account called ``name``, or None."""
    row = conn.execute(select(editors).where(editors.c.name == name)).first()
    return EditorRow(**row._mapping) if row else None


def editor_by_id(conn: Connection, editor_id: int) -> EditorRow | None:
    """Return the account with ``editor_id``, or None."""
    row = conn.execute(select(editors).where(editors.c.id == editor_id)).first()
    return EditorRow(**row._mapping) if row else None


def list_editors(conn: Connection) -> list[EditorRow]:
    """Return every account, by name."""
    return [EditorRow(**r._mapping) for r in conn.execute(select(editors).order_by(editors.c.name))]


def count_admins(conn: Connection) -> int:
    """Return how many admin accounts there are."""
    return int(conn.execute(select(func.count()).where(editors.c.role == "admin")).scalar_one())


def delete_editor(conn: Connection, name: str) -> bool:
    """Delete the account called ``name``; return whether there was one."""
    return bool(conn.execute(editors.delete().where(editors.c.name == name)).rowcount)


def set_password_hash(conn: Connection, name: str, password_hash: str) -> bool:
    """Replace an account's password hash and end its sessions; return whether it exists."""
    done = conn.execute(
        editors.update()
        .where(editors.c.name == name)
        .values(password_hash=password_hash, session_epoch=editors.c.session_epoch + 1)
    )
    return bool(done.rowcount)


def bump_session_epoch(conn: Connection, editor_id: int) -> None:
    """End every session of an account signed in before now."""
    conn.execute(
        editors.update()
        .where(editors.c.id == editor_id)
        .values(session_epoch=editors.c.session_epoch + 1)
    )


def set_last_sign_in(conn: Connection, editor_id: int, now: dt.datetime) -> None:
    """Note when an account last signed in."""
    conn.execute(editors.update().where(editors.c.id == editor_id).values(last_sign_in_at=now))


def set_preview_target(conn: Connection, editor_id: int, target: str | None) -> None:
    """Remember where an editor's previews go (None forgets it)."""
    conn.execute(editors.update().where(editors.c.id == editor_id).values(preview_target=target))


def add_failure(conn: Connection, scope: str, key: str, now: dt.datetime) -> None:
    """Count one failed sign-in against ``key``."""
    conn.execute(sign_in_failures.insert().values(scope=scope, key=key, failed_at=now))


def count_failures(conn: Connection, scope: str, key: str, since: dt.datetime) -> int:
    """Return the failed sign-ins against ``key`` since ``since``."""
    query = select(func.count()).where(
        sign_in_failures.c.scope == scope,
        sign_in_failures.c.key == key,
        sign_in_failures.c.failed_at >= since,
    )
    return int(conn.execute(query).scalar_one())


def oldest_failure(
    conn: Connection, scope: str, key: str, since: dt.datetime
) -> dt.datetime | None:
    """Return the first failed sign-in against ``key`` since ``since``, or None."""
    query = select(func.min(sign_in_failures.c.failed_at)).where(
        sign_in_failures.c.scope == scope,
        sign_in_failures.c.key == key,
        sign_in_failures.c.failed_at >= since,
    )
    oldest: dt.datetime | None = conn.execute(query).scalar()
    return oldest


def clear_failures(conn: Connection, scope: str, key: str) -> None:
    """Forget the failed sign-ins against ``key`` (after it signed in)."""
    conn.execute(
        sign_in_failures.delete().where(
            sign_in_failures.c.scope == scope, sign_in_failures.c.key == key
        )
    )


def forget_failures_before(conn: Connection, before: dt.datetime) -> int:
    """Delete failed sign-ins older than ``before``; return how many."""
    done = conn.execute(sign_in_failures.delete().where(sign_in_failures.c.failed_at < before))
    return int(done.rowcount)
