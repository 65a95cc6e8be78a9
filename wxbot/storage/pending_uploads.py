"""SQL for uploads waiting for an editor's confirmation before they replace an issue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Connection, LargeBinary, String, Table, Text, select

from .schema import UtcDateTime, metadata

pending_uploads = Table(
    "pending_uploads",
    metadata,
    Column("token", String(64), primary_key=True),
    Column("filename", Text, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("issue_id", String(10), nullable=False),
    Column("editor", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False, index=True),
)


@dataclass(frozen=True)
class PendingUpload:
    """A file an editor uploaded that would replace an issue already on its way to WeChat."""

    token: str
    filename: str
    data: bytes
    issue_id: str
    editor: str
    created_at: dt.datetime


def keep(conn: Connection, upload: PendingUpload) -> None:
    """Keep an upload until it is confirmed or expires."""
    conn.execute(
        pending_uploads.insert().values(
            token=upload.token,
            filename=upload.filename,
            data=upload.data,
            issue_id=upload.issue_id,
            editor=upload.editor,
            created_at=upload.created_at,
        )
    )


def find(conn: Connection, token: str) -> PendingUpload | None:
    """Return the upload kept under ``token``, or None."""
    row = conn.execute(select(pending_uploads).where(pending_uploads.c.token == token)).first()
    return PendingUpload(**row._mapping) if row else None


def discard(conn: Connection, token: str) -> None:
    """Forget the upload kept under ``token``."""
    conn.execute(pending_uploads.delete().where(pending_uploads.c.token == token))


def discard_older_than(conn: Connection, moment: dt.datetime) -> int:
    """Forget uploads kept before ``moment``; return how many."""
    result = conn.execute(pending_uploads.delete().where(pending_uploads.c.created_at < moment))
    return result.rowcount
