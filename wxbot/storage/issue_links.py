"""SQL for where followers read an issue: its WeChat article URL once published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Column, Connection, String, Table, Text, bindparam, select

from .schema import UtcDateTime, metadata

issue_links = Table(
    "issue_links",
    metadata,
    Column("issue_id", String(10), primary_key=True),
    Column("article_url", Text, nullable=False),
    # what told us: "freepublish/get", "PUBLISHJOBFINISH", "MASSSENDJOBFINISH", "sync"…
    Column("source", String(40), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)


def set_article_url(
    conn: Connection, issue_id: str, url: str, source: str, now: dt.datetime
) -> None:
    """Record (or replace) the WeChat article URL of an issue."""
    updated = conn.execute(
        issue_links.update()
        .where(issue_links.c.issue_id == issue_id)
        .values(article_url=url, source=source, updated_at=now)
    )
    if updated.rowcount == 0:
        conn.execute(
            issue_links.insert().values(
                issue_id=issue_id, article_url=url, source=source, updated_at=now
            )
        )


def article_urls(conn: Connection, issue_ids: Iterable[str]) -> dict[str, str]:
    """Return ``{issue_id: article_url}`` for those issues that have one."""
    wanted = list(set(issue_ids))
    if not wanted:
        return {}
    rows = conn.execute(
        select(issue_links.c.issue_id, issue_links.c.article_url).where(
            issue_links.c.issue_id.in_(bindparam("ids", wanted, expanding=True))
        )
    )
    return {r.issue_id: r.article_url for r in rows}


#: One issue's article URL: built once, bound per call.
_ARTICLE_URL = select(issue_links.c.article_url).where(
    issue_links.c.issue_id == bindparam("issue_id", type_=String)
)


def article_url(conn: Connection, issue_id: str) -> str | None:
    """Return the WeChat article URL of an issue, or None before it has one."""
    url: str | None = conn.execute(_ARTICLE_URL, {"issue_id": issue_id}).scalar()
    return url
