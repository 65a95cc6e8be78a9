"""SQL for signed callback URLs already used: each bound to the one message it carried.

A signed URL (timestamp, nonce, signature) stays valid for the timestamp window, so one read
from a log could carry any message. The first message a URL carries is bound to it until the
window closes; WeChat's retry of that message passes, anything else is refused. The row is
shared by every worker through the database.

Bound for every message, so a binding is one statement that inserts and reads at once, run
compiled on a pooled DBAPI connection (as ``followers.logged_reply`` does); on PostgreSQL it
goes in one round trip with its transaction, committed without waiting for the disk
(:data:`ASYNC_COMMIT`). Times are whole epoch seconds, the same on both engines.
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
    case,
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


#: PostgreSQL: commit a binding without waiting for its WAL to reach the disk. A crash of the
#: database server can lose the bindings of its last moments (at most three
#: ``wal_writer_delay``, 0.6 s by default), never corrupt anything: those URLs, each already
#: used for the message it carried and answered, are unbound for the rest of their window.
#: Replaying one then needs both the URL from that fraction of a second and a database crash;
#: the follower log still answers the message itself once. Waiting for the flush was a fifth
#: of a keyword answer's time under load, for a table that only holds replays off.
ASYNC_COMMIT = "SET LOCAL synchronous_commit = off"

_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE, without importing the driver here


def _bind_statement(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    insert = dialect.insert(callback_nonces).values(
        url_key=bindparam("url_key"),
        dedupe_key=bindparam("dedupe_key"),
        expires=bindparam("expires"),
    )
    # On a conflict the row is rewritten with what it keeps: its own message while in its
    # window, the new one once expired. So RETURNING names the bound message either way,
    # and a binding is one statement, with no read after it for another worker to race.
    expired = callback_nonces.c.expires < bindparam("now")
    return insert.on_conflict_do_update(
        index_elements=["url_key"],
        set_={
            "dedupe_key": case(
                (expired, insert.excluded.dedupe_key), else_=callback_nonces.c.dedupe_key
            ),
            "expires": case((expired, insert.excluded.expires), else_=callback_nonces.c.expires),
        },
    ).returning(callback_nonces.c.dedupe_key)


_COMPILED: dict[int, Any] = {}


def _compiled(engine: Engine) -> Any:
    key = id(engine.dialect)
    if key not in _COMPILED:
        _COMPILED[key] = _bind_statement(engine.dialect.name).compile(dialect=engine.dialect)
    return _COMPILED[key]


def bind_url(db: Database, url_key: str, dedupe_key: str, now: int, expires: int) -> str:
    """Bind a signed URL to a message unless it is bound; return the message it is bound to."""
    compiled = _compiled(db.engine)
    values = {"url_key": url_key, "dedupe_key": dedupe_key, "expires": expires, "now": now}
    params = compiled.construct_params(values)
    if compiled.positiontup is not None:
        args: Any = tuple(params[name] for name in compiled.positiontup)
    else:
        args = params
    row: Any
    connection = db.engine.raw_connection()
    try:
        if db.is_sqlite:  # autocommit (wxbot.storage.db): the statement is its transaction
            cursor = connection.cursor()
            try:
                cursor.execute(compiled.string, args)
                row = cursor.fetchone()
            finally:
                cursor.close()
        else:
            row = _bind_in_one_round_trip(connection.driver_connection, compiled.string, args)
    finally:
        connection.close()  # back to the pool
    return str(row[0])


def _bind_in_one_round_trip(pg: Any, statement: str, args: Any) -> Any:
    """Send BEGIN, :data:`ASYNC_COMMIT`, the binding and COMMIT as one psycopg pipeline."""
    pg.autocommit = True  # else psycopg sends its BEGIN alone and waits for it
    try:
        with pg.pipeline():
            pg.execute("BEGIN")
            pg.execute(ASYNC_COMMIT)
            cursor = pg.execute(statement, args)
            pg.execute("COMMIT")
        return cursor.fetchone()
    finally:
        if not pg.closed:
            if pg.info.transaction_status != _IDLE:  # the binding failed: end its transaction
                pg.execute("ROLLBACK")
            pg.autocommit = False  # as the pool hands connections out


def forget_expired(conn: Connection, now: int) -> int:
    """Delete bindings whose window has closed; return how many."""
    done = conn.execute(callback_nonces.delete().where(callback_nonces.c.expires < now))
    return int(done.rowcount)
