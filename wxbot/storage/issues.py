"""SQL for the issue archive: the current parsed issue per date, and every source ever given."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    func,
    select,
)

from ..model import Issue
from .issue_overrides import issue_overrides, overrides_of
from .schema import UtcDateTime, metadata

issues = Table(
    "issues",
    metadata,
    Column("id", String(10), primary_key=True),  # YYYY-MM-DD
    Column("date", String(10), nullable=False, index=True),
    Column("series_title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("data", Text, nullable=False),  # Issue.to_dict(with_source=False) as JSON
    Column("source_sha256", String(64), nullable=False, index=True),
    Column("revision", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

issue_revisions = Table(
    "issue_revisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(10), ForeignKey("issues.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("source_name", Text, nullable=False),
    Column("source_format", String(16), nullable=False),
    Column("source_text", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_issue_revisions_issue", "issue_id", "revision", unique=True),
)


#: Running counts kept in the transaction that changes what they count, so a page view reads
#: a number instead of counting the archive. One so far: :data:`ISSUES_COUNT`.
archive_counts = Table(
    "archive_counts",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", Integer, nullable=False),
)
#: The row of :data:`archive_counts` holding how many issues the archive holds.
ISSUES_COUNT = "issues"


@dataclass(frozen=True)
class IssueRow:
    """An archived issue's summary line."""

    id: str
    series_title: str
    summary: str
    revision: int
    source_sha256: str
    updated_at: dt.datetime


@dataclass(frozen=True)
class RevisionRow:
    """One source an editor gave for an issue."""

    revision: int
    source_name: str
    source_format: str
    source_sha256: str
    created_at: dt.datetime


def current_hashes(conn: Connection, ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Return ``{id: (source_sha256, revision)}`` for those of ``ids`` already archived."""
    wanted = list(dict.fromkeys(ids))
    found: dict[str, tuple[str, int]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = conn.execute(
            select(issues.c.id, issues.c.source_sha256, issues.c.revision).where(
                issues.c.id.in_(chunk)
            )
        )
        found.update({r.id: (r.source_sha256, r.revision) for r in rows})
    return found


def ids_by_hash(conn: Connection, digests: Iterable[str]) -> dict[str, str]:
    """Return ``{source_sha256: id}`` for the digests that are some issue's current source."""
    wanted = list(set(digests))
    found: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(issues.c.source_sha256, issues.c.id).where(
                issues.c.source_sha256.in_(wanted[start : start + 500])
            )
        )
        found.update({r.source_sha256: r.id for r in rows})
    return found


def insert_issues(conn: Connection, new: Sequence[Issue], now: dt.datetime) -> None:
    """Archive issues whose dates are not in the archive yet, as revision 1."""
    if not new:
        return
    conn.execute(issues.insert(), [_issue_values(i, 1, now, created=True) for i in new])
    conn.execute(issue_revisions.insert(), [_revision_values(i, 1, now) for i in new])
    conn.execute(
        archive_counts.update()
        .where(archive_counts.c.name == ISSUES_COUNT)
        .values(value=archive_counts.c.value + len(new))
    )


def replace_issue(conn: Connection, issue: Issue, revision: int, now: dt.datetime) -> None:
    """Make ``issue`` the current version of its date, keeping every earlier source."""
    conn.execute(
        issues.update()
        .where(issues.c.id == issue.id)
        .values(**_issue_values(issue, revision, now, created=False))
    )
    conn.execute(issue_revisions.insert(), [_revision_values(issue, revision, now)])


def _issue_values(issue: Issue, revision: int, now: dt.datetime, created: bool) -> dict[str, Any]:
    data = issue.to_dict(with_source=False)
    del data["overrides"]  # kept in issue_overrides, apart from what the source says
    values: dict[str, Any] = {
        "id": issue.id,
        "date": issue.date.isoformat(),
        "series_title": issue.series_title,
        "summary": issue.summary,
        "data": json.dumps(data, ensure_ascii=False),
        "source_sha256": issue.source.sha256,
        "revision": revision,
        "updated_at": now,
    }
    if created:
        values["created_at"] = now
    return values


def _revision_values(issue: Issue, revision: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "issue_id": issue.id,
        "revision": revision,
        "source_name": issue.source.name,
        "source_format": issue.source.format,
        "source_text": issue.source.text,
        "source_sha256": issue.source.sha256,
        "created_at": now,
    }


#: The current version of one issue (bound ``issue_id``) with its source and overrides: built
#: once, bound per call. :mod:`.issue_standing` adds what stands beside it.
ISSUE_QUERY = (
    select(
        issues.c.data,
        issue_revisions.c.source_name,
        issue_revisions.c.source_format,
        issue_revisions.c.source_text,
        issue_revisions.c.source_sha256,
        issue_overrides.c.title,
        issue_overrides.c.digest,
        issue_overrides.c.author,
        issue_overrides.c.headline,
        issue_overrides.c.keywords,
    )
    .join(
        issue_revisions,
        (issue_revisions.c.issue_id == issues.c.id)
        & (issue_revisions.c.revision == issues.c.revision),
    )
    .outerjoin(issue_overrides, issue_overrides.c.issue_id == issues.c.id)
    .where(issues.c.id == bindparam("issue_id", type_=String))
)


def load_issue(conn: Connection, issue_id: str) -> Issue | None:
    """Return the current version of an issue, with its source and its overrides, or None."""
    row = conn.execute(ISSUE_QUERY, {"issue_id": issue_id}).first()
    return None if row is None else issue_from_row(row)


def issue_from_row(row: Any) -> Issue:
    """Return the issue a row of :data:`ISSUE_QUERY` holds."""
    data = json.loads(row.data)
    data["source"] = {
        "name": row.source_name,
        "format": row.source_format,
        "text": row.source_text,
        "sha256": row.source_sha256,
    }
    return replace(Issue.from_dict(data), overrides=overrides_of(row))


def list_issues(conn: Connection, limit: int | None = None, offset: int = 0) -> list[IssueRow]:
    """Return archived issues, newest first, skipping the ``offset`` newest."""
    query = select(
        issues.c.id,
        issues.c.series_title,
        issues.c.summary,
        issues.c.revision,
        issues.c.source_sha256,
        issues.c.updated_at,
    ).order_by(issues.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    return [IssueRow(**r._mapping) for r in conn.execute(query)]


def latest_issue_id(conn: Connection) -> str | None:
    """Return the newest issue's id, or None when the archive is empty."""
    return conn.execute(select(func.max(issues.c.id))).scalar()


def list_revisions(conn: Connection, issue_id: str) -> list[RevisionRow]:
    """Return every source given for an issue, oldest first."""
    rows = conn.execute(
        select(
            issue_revisions.c.revision,
            issue_revisions.c.source_name,
            issue_revisions.c.source_format,
            issue_revisions.c.source_sha256,
            issue_revisions.c.created_at,
        )
        .where(issue_revisions.c.issue_id == issue_id)
        .order_by(issue_revisions.c.revision)
    )
    return [RevisionRow(**r._mapping) for r in rows]


def count_issues(conn: Connection) -> int:
    """Return how many issues the archive holds."""
    return int(conn.execute(select(func.count()).select_from(issues)).scalar_one())
