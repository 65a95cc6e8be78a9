"""SQL for reading statistics: per-article days and totals, followers per day, days collected.

Each day is written whole in one transaction with its mark in ``stats_collected``: collecting
a day again replaces its rows with the same ones, and a run that stopped halfway leaves only
finished days marked. ``account`` names the configured account (``default`` for ``[wechat]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..reading_numbers import READ_FIELDS, ArticleDay, ArticleTotal, FollowerDay
from .publications import mass_sends
from .schema import UtcDateTime, metadata

#: The account of a configuration with a single ``[wechat]`` section.
DEFAULT_ACCOUNT = "default"


def _read_columns() -> list[Column[Any]]:
    return [Column(name, Integer, nullable=False, default=0) for name in READ_FIELDS]


article_reads = Table(
    "article_reads",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False, default=DEFAULT_ACCOUNT),
    Column("ref_date", String(10), nullable=False),
    Column("msgid", String(64), nullable=False),
    Column("title", Text, nullable=False, default=""),
    *_read_columns(),
    Index("ux_article_reads_day", "account", "ref_date", "msgid", unique=True),
)

article_totals = Table(
    "article_totals",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account", String(64), nullable=False, default=DEFAULT_ACCOUNT),
    Column("ref_date", String(10), nullable=False),  # the day of the send
    Column("stat_date", String(10), nullable=False),  # the day the totals run to
    Column("msgid", String(64), nullable=False),
    Column("title", Text, nullable=False, default=""),
    Column("target_user", Integer, nullable=False, default=0),
    Column("session_read_user", Integer, nullable=False, default=0),
    *_read_columns(),
    Index("ux_article_totals_day", "account", "msgid", "stat_date", unique=True),
    Index("ix_article_totals_sent", "account", "ref_date"),
)

follower_days = Table(
    "follower_days",
    metadata,
    Column("account", String(64), nullable=False, default=DEFAULT_ACCOUNT),
    Column("ref_date", String(10), nullable=False),
    Column("new_user", Integer, nullable=False),
    Column("cancel_user", Integer, nullable=False),
    Column("cumulate_user", Integer, nullable=False),
    PrimaryKeyConstraint("account", "ref_date"),
)

stats_collected = Table(
    "stats_collected",
    metadata,
    Column("account", String(64), nullable=False, default=DEFAULT_ACCOUNT),
    Column("kind", String(16), nullable=False),  # articles, totals or followers
    Column("ref_date", String(10), nullable=False),
    Column("collected_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("account", "kind", "ref_date"),
)


def collected_days(conn: Connection, account: str, kind: str, since: dt.date) -> set[dt.date]:
    """Return the days of ``kind`` already collected, from ``since`` on."""
    c = stats_collected.c
    rows = conn.execute(
        select(c.ref_date).where(
            c.account == account, c.kind == kind, c.ref_date >= since.isoformat()
        )
    )
    return {dt.date.fromisoformat(r.ref_date) for r in rows}


def mark_collected(
    conn: Connection, account: str, kind: str, days: Iterable[dt.date], now: dt.datetime
) -> int:
    """Remember that ``days`` of ``kind`` are collected for good; return how many were new."""
    values = [
        {"account": account, "kind": kind, "ref_date": d.isoformat(), "collected_at": now}
        for d in days
    ]
    if not values:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    # RETURNING says whether a row went in (psycopg's rowcount is -1 here).
    statement = (
        dialect.insert(stats_collected)
        .on_conflict_do_nothing()
        .returning(stats_collected.c.ref_date)
    )
    return sum(conn.execute(statement.values(**v)).first() is not None for v in values)


#: The kind of mark a worker takes for the day it collects, so that only one worker does.
RUN = "run"


def claim_run(conn: Connection, account: str, day: dt.date, now: dt.datetime) -> bool:
    """Take the day's collection for this worker; False when another worker has it."""
    return mark_collected(conn, account, RUN, [day], now) == 1


def release_run(conn: Connection, account: str, day: dt.date) -> None:
    """Give the day's collection back after a failure, for a later try."""
    c = stats_collected.c
    conn.execute(
        delete(stats_collected).where(
            c.account == account, c.kind == RUN, c.ref_date == day.isoformat()
        )
    )


def replace_article_reads(
    conn: Connection, account: str, day: dt.date, rows: Sequence[ArticleDay]
) -> None:
    """Store the day's per-article numbers in place of any stored before."""
    c = article_reads.c
    conn.execute(delete(article_reads).where(c.account == account, c.ref_date == day.isoformat()))
    if rows:
        conn.execute(
            insert(article_reads),
            [
                {"account": account, "ref_date": day.isoformat(), "msgid": r.msgid,
                 "title": r.title, **r.numbers}
                for r in rows
            ],
        )  # fmt: skip


def replace_article_totals(
    conn: Connection, account: str, sent: dt.date, rows: Sequence[ArticleTotal]
) -> None:
    """Store the running totals of the articles sent on ``sent`` in place of earlier ones."""
    c = article_totals.c
    conn.execute(delete(article_totals).where(c.account == account, c.ref_date == sent.isoformat()))
    if rows:
        conn.execute(
            insert(article_totals),
            [
                {"account": account, "ref_date": sent.isoformat(),
                 "stat_date": r.stat_date.isoformat(), "msgid": r.msgid, "title": r.title,
                 "target_user": r.target_user, "session_read_user": r.session_read_user,
                 **r.numbers}
                for r in rows
            ],
        )  # fmt: skip


def replace_follower_days(conn: Connection, account: str, rows: Sequence[FollowerDay]) -> None:
    """Store followers per day in place of what those days held."""
    c = follower_days.c
    days = [r.ref_date.isoformat() for r in rows]
    conn.execute(delete(follower_days).where(c.account == account, c.ref_date.in_(days)))
    if rows:
        conn.execute(
            insert(follower_days),
            [
                {
                    "account": account,
                    "ref_date": r.ref_date.isoformat(),
                    "new_user": r.new_user,
                    "cancel_user": r.cancel_user,
                    "cumulate_user": r.cumulate_user,
                }
                for r in rows
            ],
        )


def article_reads_since(conn: Connection, account: str, since: dt.date) -> list[ArticleDay]:
    """Return the per-article days from ``since`` on, oldest first."""
    c = article_reads.c
    rows = conn.execute(
        select(article_reads)
        .where(c.account == account, c.ref_date >= since.isoformat())
        .order_by(c.ref_date, c.msgid)
    )
    return [
        ArticleDay(
            dt.date.fromisoformat(r.ref_date),
            r.msgid,
            r.title,
            {k: getattr(r, k) for k in READ_FIELDS},
        )
        for r in rows
    ]


def latest_article_totals(conn: Connection, account: str, since: dt.date) -> list[ArticleTotal]:
    """Return each article's latest running totals, for articles sent from ``since`` on."""
    c = article_totals.c
    latest = (
        select(c.msgid, func.max(c.stat_date).label("stat_date"))
        .where(c.account == account, c.ref_date >= since.isoformat())
        .group_by(c.msgid)
        .subquery()
    )
    rows = conn.execute(
        select(article_totals)
        .join(latest, (c.msgid == latest.c.msgid) & (c.stat_date == latest.c.stat_date))
        .where(c.account == account)
        .order_by(c.ref_date, c.msgid)
    )
    return [
        ArticleTotal(
            dt.date.fromisoformat(r.ref_date),
            dt.date.fromisoformat(r.stat_date),
            r.msgid,
            r.title,
            r.target_user,
            r.session_read_user,
            {k: getattr(r, k) for k in READ_FIELDS},
        )
        for r in rows
    ]


def follower_days_since(conn: Connection, account: str, since: dt.date) -> list[FollowerDay]:
    """Return followers per day from ``since`` on, oldest first."""
    c = follower_days.c
    rows = conn.execute(
        select(follower_days)
        .where(c.account == account, c.ref_date >= since.isoformat())
        .order_by(c.ref_date)
    )
    return [
        FollowerDay(dt.date.fromisoformat(r.ref_date), r.new_user, r.cancel_user, r.cumulate_user)
        for r in rows
    ]


def issues_by_msg_data_id(conn: Connection, wechat_account: str) -> dict[str, str]:
    """Return the issue of each mass send WeChat gave a msg_data_id (``appid@host`` account)."""
    c = mass_sends.c
    rows = conn.execute(
        select(c.msg_data_id, c.issue_id).where(c.account == wechat_account, c.msg_data_id != "")
    )
    return {r.msg_data_id: r.issue_id for r in rows}
