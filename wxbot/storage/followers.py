"""SQL for what followers send: each message once (dedupe and query log), and keyword rules.

``follower_messages`` is keyed by the message's dedupe key (MsgId, or FromUserName +
CreateTime + Event for events, qualified by the account for every account but the default:
``wxbot.callback.service.account_dedupe_key``), so a retry — whichever process it reaches —
finds the reply already given; the same rows are the query log the editors read, and a
follower's last list. Each row and each keyword rule names its account (``account``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from ..config.accounts import DEFAULT_ACCOUNT
from .schema import UtcDateTime, metadata

if TYPE_CHECKING:
    from .db import Database

logger = logging.getLogger(__name__)

#: Longest query kept in the log, in characters (the column is TEXT: the bound is ours).
QUERY_MAX_CHARS = 500

follower_messages = Table(
    "follower_messages",
    metadata,
    Column("dedupe_key", String(160), primary_key=True),
    Column("openid", String(64), nullable=False),
    Column("msg_type", String(32), nullable=False),
    Column("query", Text, nullable=False),  # the text, or the event and its key
    Column("handler", String(32), nullable=False),  # what answered: rule, latest, search…
    Column("answer", String(16), nullable=False),  # news | list | text | nothing | silent
    Column("found", Boolean, nullable=False),
    Column("results", Text, nullable=False),  # JSON list of the issues shown
    Column("reply", Text, nullable=True),  # the reply XML; NULL while an event is being handled
    Column("received_at", UtcDateTime(), nullable=False),
    # The account (its name) whose follower sent it.
    Column("account", String(32), nullable=False, server_default=DEFAULT_ACCOUNT),
    Index("ix_follower_messages_openid", "openid", "received_at"),
    Index("ix_follower_messages_received", "received_at"),
    # The editors' top and missed searches: grouped by query without reading the table.
    Index("ix_follower_messages_searches", "handler", "query", "received_at", "found"),
)

keyword_rules = Table(
    "keyword_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("keyword", Text, nullable=False),
    Column("match", String(8), nullable=False),  # exact | contains
    Column("reply", Text, nullable=False),  # "" when the rule answers with an issue
    Column("created_at", UtcDateTime(), nullable=False),
    Column("issue_id", String(10), nullable=True),  # the issue whose card answers
    # The account (its name) whose followers the rule answers.
    Column("account", String(32), nullable=False, server_default=DEFAULT_ACCOUNT),
)


@dataclass(frozen=True)
class LoggedMessage:
    """A message as logged: what was asked and how it was answered."""

    dedupe_key: str
    openid: str
    msg_type: str
    query: str
    handler: str
    answer: str
    found: bool
    results: str
    reply: str | None
    received_at: dt.datetime
    account: str = DEFAULT_ACCOUNT


@dataclass(frozen=True)
class KeywordRule:
    """An editor's auto-reply: a keyword matched exactly or contained, and a text or an issue."""

    id: int
    keyword: str
    match: str
    reply: str
    created_at: dt.datetime
    issue_id: str | None = None
    account: str = DEFAULT_ACCOUNT


#: Columns naming a message or a follower: one too long is stored as a prefix and a digest,
#: so that two values never become one (a reply or a last list meant for someone else).
_IDENTIFIERS = ("dedupe_key", "openid")

#: Columns of free text, cut to their length.
_TEXTS = ("msg_type", "query", "handler", "answer")


def _max_chars(column: str) -> int:
    length = follower_messages.c[column].type.length  # type: ignore[attr-defined]
    return QUERY_MAX_CHARS if length is None else int(length)


def stored_identifier(column: str, value: str) -> str:
    """Return how ``value`` is stored in ``column`` (``dedupe_key`` or ``openid``), in bounds."""
    limit = _max_chars(column)
    if len(value) <= limit and "\x00" not in value:  # PostgreSQL text takes no NUL
        return value
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{value.replace(chr(0), '')[: limit - len(digest) - 1]}~{digest}"


def bounded(row: LoggedMessage) -> LoggedMessage:
    """Return ``row`` with every field within its column, reporting (not showing) what was cut."""
    changes: dict[str, Any] = {}
    for column in _IDENTIFIERS:
        value = getattr(row, column)
        stored = stored_identifier(column, value)
        if stored != value:
            changes[column] = stored
    for column in _TEXTS:
        value = getattr(row, column)
        stored = value.replace("\x00", "")[: _max_chars(column)]
        if stored != value:
            changes[column] = stored
    for column in ("results", "reply"):
        value = getattr(row, column)
        if value is not None and "\x00" in value:
            changes[column] = value.replace("\x00", "")
    if not changes:
        return row
    for column, stored in changes.items():  # the lengths only: the text is a follower's
        logger.warning(
            "follower message %s cut from %d to %d characters to fit its column",
            column,
            len(getattr(row, column)),
            len(stored),
        )
    return replace(row, **changes)


def _insert_ignoring_conflicts(conn: Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(follower_messages).on_conflict_do_nothing(index_elements=["dedupe_key"])


def log_messages(conn: Connection, rows: Sequence[LoggedMessage]) -> None:
    """Log answered messages; a key already logged keeps its first row."""
    if rows:
        conn.execute(_insert_ignoring_conflicts(conn), [_values(r) for r in rows])


def claim(conn: Connection, row: LoggedMessage) -> bool:
    """Log ``row`` (reply still unknown) unless its key is logged; return whether it was new."""
    insert = _insert_ignoring_conflicts(conn).returning(follower_messages.c.dedupe_key)
    return conn.execute(insert, _values(row) | {"reply": None}).first() is not None


def finish(conn: Connection, dedupe_key: str, reply: str, answer: str, handler: str) -> None:
    """Record the reply given to a claimed message."""
    conn.execute(
        follower_messages.update()
        .where(follower_messages.c.dedupe_key == stored_identifier("dedupe_key", dedupe_key))
        .values(
            reply=reply.replace("\x00", ""),
            answer=answer[: _max_chars("answer")],
            handler=handler[: _max_chars("handler")],
        )
    )


def release(conn: Connection, dedupe_key: str) -> None:
    """Forget a claimed message (its handling failed), so a retry is handled afresh."""
    conn.execute(
        follower_messages.delete().where(
            (follower_messages.c.dedupe_key == stored_identifier("dedupe_key", dedupe_key))
            & follower_messages.c.reply.is_(None)
        )
    )


def _values(row: LoggedMessage) -> dict[str, Any]:
    row = bounded(row)
    return {
        "dedupe_key": row.dedupe_key,
        "openid": row.openid,
        "msg_type": row.msg_type,
        "query": row.query,
        "handler": row.handler,
        "answer": row.answer,
        "found": row.found,
        "results": row.results,
        "reply": row.reply,
        "received_at": row.received_at,
        "account": row.account,
    }


_REPLY_OF_KEY = select(follower_messages.c.reply).where(
    follower_messages.c.dedupe_key == bindparam("key")
)


def logged_reply(db: Database, dedupe_key: str) -> tuple[bool, str | None]:
    """Return ``(seen, reply)`` for a key: reply None while its first delivery is in hand.

    Asked for every message, so it runs the one compiled statement on a pooled DBAPI
    connection, without a transaction (one read needs none) or result machinery.
    """
    compiled = _compiled_reply_of_key(db.engine)
    params = compiled.construct_params({"key": stored_identifier("dedupe_key", dedupe_key)})
    if compiled.positiontup is not None:
        args: Any = tuple(params[name] for name in compiled.positiontup)
    else:
        args = params
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(compiled.string, args)
            row = cursor.fetchone()
        finally:
            cursor.close()
    finally:
        connection.close()  # back to the pool, which rolls back (ending PostgreSQL's read)
    return (False, None) if row is None else (True, row[0])


_COMPILED: dict[int, Any] = {}


def _compiled_reply_of_key(engine: Engine) -> Any:
    key = id(engine.dialect)
    if key not in _COMPILED:
        _COMPILED[key] = _REPLY_OF_KEY.compile(dialect=engine.dialect)
    return _COMPILED[key]


def last_list(conn: Connection, openid: str, since: dt.datetime) -> str | None:
    """Return the results JSON of the last list shown to a follower since ``since``."""
    return conn.execute(
        select(follower_messages.c.results)
        .where(
            (follower_messages.c.openid == stored_identifier("openid", openid))
            & (follower_messages.c.answer == "list")
            & (follower_messages.c.received_at >= since)
        )
        .order_by(follower_messages.c.received_at.desc())
        .limit(1)
    ).scalar()


def recent_messages(
    conn: Connection, limit: int = 50, *, missed_only: bool = False
) -> list[LoggedMessage]:
    """Return the latest logged messages, newest first (``missed_only``: searches that missed)."""
    query = select(follower_messages).order_by(follower_messages.c.received_at.desc()).limit(limit)
    if missed_only:
        query = query.where(
            (follower_messages.c.handler == "search") & (follower_messages.c.found.is_(False))
        )
    return [LoggedMessage(**r._mapping) for r in conn.execute(query)]


def messages_page(conn: Connection, offset: int, limit: int) -> list[LoggedMessage]:
    """Return ``limit`` logged messages after the newest ``offset``, newest first."""
    query = (
        select(follower_messages)
        .order_by(follower_messages.c.received_at.desc())  # by its index: no sort
        .offset(offset)
        .limit(limit)
    )
    return [LoggedMessage(**r._mapping) for r in conn.execute(query)]


def top_queries(
    conn: Connection, since: dt.datetime, limit: int = 20, *, missed_only: bool = False
) -> list[tuple[str, int, int]]:
    """Return ``(query, times asked, times found nothing)`` for searches since ``since``.

    ``missed_only``: only the searches that found nothing, most asked first.
    """
    missed = func.sum(case((follower_messages.c.found.is_(False), 1), else_=0))
    searches = (follower_messages.c.handler == "search") & (
        follower_messages.c.received_at >= since
    )
    if missed_only:
        searches = searches & follower_messages.c.found.is_(False)
    rows = conn.execute(
        select(follower_messages.c.query, func.count(), missed)
        .where(searches)
        .group_by(follower_messages.c.query)
        .order_by(func.count().desc(), follower_messages.c.query)
        .limit(limit)
    )
    return [(r[0], int(r[1]), int(r[2] or 0)) for r in rows]


def count_messages(conn: Connection, dedupe_key: str | None = None) -> int:
    """Return how many messages are logged (with ``dedupe_key``: 0 or 1)."""
    query = select(func.count()).select_from(follower_messages)
    if dedupe_key is not None:
        query = query.where(follower_messages.c.dedupe_key == dedupe_key)
    return int(conn.execute(query).scalar_one())


# --- keyword rules ---------------------------------------------------------------------------


def list_rules(conn: Connection, account: str = DEFAULT_ACCOUNT) -> list[KeywordRule]:
    """Return the keyword rules of ``account``, oldest first."""
    rows = conn.execute(
        select(keyword_rules).where(keyword_rules.c.account == account).order_by(keyword_rules.c.id)
    )
    return [KeywordRule(**r._mapping) for r in rows]


def add_rule(
    conn: Connection,
    keyword: str,
    match: str,
    reply: str,
    now: dt.datetime,
    issue_id: str | None = None,
    account: str = DEFAULT_ACCOUNT,
) -> int:
    """Add a keyword rule answering ``account``'s followers and return its id."""
    result = conn.execute(
        keyword_rules.insert().values(
            keyword=keyword,
            match=match,
            reply=reply,
            created_at=now,
            issue_id=issue_id,
            account=account,
        )
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def remove_rule(conn: Connection, rule_id: int, account: str = DEFAULT_ACCOUNT) -> bool:
    """Delete a keyword rule of ``account``; return whether it existed."""
    removed = conn.execute(
        keyword_rules.delete().where(
            (keyword_rules.c.id == rule_id) & (keyword_rules.c.account == account)
        )
    )
    return bool(removed.rowcount)
