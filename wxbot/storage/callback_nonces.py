"""SQL for signed callback URLs already used: each bound to the one message it carried.

A signed URL (timestamp, nonce, signature) stays valid for the timestamp window, so one read
from a log could carry any message. The first message a URL carries is bound to it until the
window closes; WeChat's retry of that message passes, anything else is refused. The row is
shared by every worker through the database.

Bound for every message, so it runs two compiled statements on a pooled DBAPI connection
(as ``followers.logged_reply`` does); times are whole epoch seconds, the same on both engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Index,
    String,
    Table,
    bindparam,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from .schema import metadata

if TYPE_CHECKING:
    from .db import Database

callback_nonces = Table(
    "callback_nonces",
    metadata,
    Column("url_key", String(64), primary_key=True),  # sha256 of timestamp, nonce, signature
    Column("dedupe_key", String(160), nullable=False),  # the message the URL carried
    Column("expires", BigInteger, nullable=False),  # epoch seconds
    Index("ix_callback_nonces_expires", "expires"),
)


def _bind_statement(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(callback_nonces).values(
        url_key=bindparam("url_key"),
        dedupe_key=bindparam("dedupe_key"),
        expires=bindparam("expires"),
    )
    return insert.on_conflict_do_update(  # an expired binding is free again
        index_elements=["url_key"],
        set_={"dedupe_key": insert.excluded.dedupe_key, "expires": insert.excluded.expires},
        where=callback_nonces.c.expires < bindparam("now"),
    ).returning(callback_nonces.c.dedupe_key)


_BOUND = select(callback_nonces.c.dedupe_key).where(
    callback_nonces.c.url_key == bindparam("url_key")
)
_COMPILED: dict[tuple[int, str], Any] = {}


def _compiled(engine: Engine, name: str) -> Any:
    key = (id(engine.dialect), name)
    if key not in _COMPILED:
        statement = _bind_statement(engine.dialect.name) if name == "bind" else _BOUND
        _COMPILED[key] = statement.compile(dialect=engine.dialect)
    return _COMPILED[key]


def _execute(cursor: Any, compiled: Any, values: dict[str, Any]) -> Any:
    params = compiled.construct_params(values)
    if compiled.positiontup is not None:
        cursor.execute(compiled.string, tuple(params[name] for name in compiled.positiontup))
    else:
        cursor.execute(compiled.string, params)
    return cursor.fetchone()


def bind_url(db: Database, url_key: str, dedupe_key: str, now: int, expires: int) -> str:
    """Bind a signed URL to a message unless it is bound; return the message it is bound to."""
    values = {"url_key": url_key, "dedupe_key": dedupe_key, "expires": expires, "now": now}
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        try:
            row = _execute(cursor, _compiled(db.engine, "bind"), values)
            if row is None:  # bound earlier, and still in its window
                row = _execute(cursor, _compiled(db.engine, "bound"), {"url_key": url_key})
        finally:
            cursor.close()
        connection.commit()
    finally:
        connection.close()  # back to the pool
    return str(row[0])


def forget_expired(conn: Connection, now: int) -> int:
    """Delete bindings whose window has closed; return how many."""
    done = conn.execute(callback_nonces.delete().where(callback_nonces.c.expires < now))
    return int(done.rowcount)
