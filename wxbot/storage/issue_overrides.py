"""SQL for what editors set per issue in the console: title, digest, author, cover text."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Column, Connection, ForeignKey, String, Table, Text, select

from ..model import IssueOverrides
from .schema import UtcDateTime, metadata

issue_overrides = Table(
    "issue_overrides",
    metadata,
    Column("issue_id", String(10), ForeignKey("issues.id"), primary_key=True),
    Column("title", Text, nullable=False, default=""),
    Column("digest", Text, nullable=False, default=""),
    Column("author", Text, nullable=False, default=""),
    Column("headline", Text, nullable=False, default=""),
    Column("keywords", Text, nullable=False, default="[]"),  # a JSON list of strings
    Column("updated_by", Text, nullable=False, default=""),
    Column("updated_at", UtcDateTime(), nullable=False),
)


def overrides_of(row: Any) -> IssueOverrides:
    """Return the overrides a row of :data:`issue_overrides` holds (none when ``row`` is None)."""
    if row is None or row.title is None:  # no row, or an outer join that found none
        return IssueOverrides()
    return IssueOverrides(
        title=row.title,
        digest=row.digest,
        author=row.author,
        headline=row.headline,
        keywords=tuple(json.loads(row.keywords)),
    )


def load_overrides(conn: Connection, issue_id: str) -> IssueOverrides:
    """Return the overrides of an issue; empty when an editor set none."""
    row = conn.execute(
        select(issue_overrides).where(issue_overrides.c.issue_id == issue_id)
    ).first()
    return overrides_of(row)


def save_overrides(
    conn: Connection, issue_id: str, overrides: IssueOverrides, editor: str, now: dt.datetime
) -> None:
    """Store the overrides of an issue, replacing any before; empty ones delete the row."""
    conn.execute(issue_overrides.delete().where(issue_overrides.c.issue_id == issue_id))
    if not overrides:
        return
    conn.execute(
        issue_overrides.insert().values(
            issue_id=issue_id,
            title=overrides.title,
            digest=overrides.digest,
            author=overrides.author,
            headline=overrides.headline,
            keywords=json.dumps(list(overrides.keywords), ensure_ascii=False),
            updated_by=editor,
            updated_at=now,
        )
    )
