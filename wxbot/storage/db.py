"""The database: one SQLAlchemy engine over SQLite (WAL) or PostgreSQL, its schema up to date."""

from __future__ import annotations

import logging
import os
import select
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

# migrations, and every module that declares tables (so the metadata it compares is whole).
from . import (  # noqa: F401
    audit_log,
    callback_nonces,
    editors,
    followers,
    heartbeats,
    issue_links,
    issue_overrides,
    issues,
    jobs,
    late_answers,
    migrations,
    pending_uploads,
    publications,
    publish_runs,
    reading_stats,
    search_index,
    wechat_tokens,
)

logger = logging.getLogger(__name__)

#: Mode of a SQLite file wxbot creates: it holds the access token and followers' messages.
#: SQLite gives its -wal and -shm files the database file's mode.
FILE_MODE = 0o600

#: Seconds a pooled PostgreSQL connection may sit unused before its checkout pings the server.
#: A connection handed back and forth under load is not pinged (that round trip was one in
#: four of a signed URL's binding): one the server closed meanwhile (a restart) has its
#: socket readable, and is pinged then too.
PING_IDLE_SECONDS = 10.0

#: PostgreSQL connections a process keeps open (as many again may be opened for a moment).
#: A request's thread holds two at most (a search and its article links): ``wxbot serve``'s
#: eight threads and the message log's writer need 17, beyond SQLAlchemy's default of 15,
#: after which a thread would wait for another's connection.
POOL_SIZE = 10


class Database:
    """Hold the engine and hand out transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine = _make_engine(url, self.is_sqlite)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """Open a transaction for reading, or for writing that starts with a write."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a connection for reads only: a transaction on SQLite, none on PostgreSQL.

        PostgreSQL's READ COMMITTED takes a snapshot per statement inside a transaction as
        well, so its reads see the same without one; BEGIN and COMMIT would be two more
        round trips each time. On SQLite the transaction gives the reads one snapshot.
        """
        if self.is_sqlite:
            with self.engine.begin() as conn:
                yield conn
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    @contextmanager
    def begin_write(self) -> Iterator[Connection]:
        """Open a transaction that takes the write lock at once (SQLite ``BEGIN IMMEDIATE``).

        Use it when a transaction reads and then writes what it read, so SQLite waits for
        the lock instead of failing with ``database is locked`` on the upgrade.
        """
        conn = self.engine.connect()
        try:
            if self.is_sqlite:
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn
        finally:
            conn.close()

    def migrate(self) -> migrations.Upgrade:
        """Bring the schema up to date (once, under a lock, whichever process starts first)."""
        return migrations.upgrade(self)

    def table_names(self) -> list[str]:
        """Return the tables present in the database."""
        return inspect(self.engine).get_table_names()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _make_engine(url: str, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        engine = create_engine(
            url, future=True, hide_parameters=True, pool_size=POOL_SIZE, max_overflow=POOL_SIZE
        )
        _ping_when_idle(engine)
        return engine
    database = make_url(url).database  # its folder exists: wxbot.runtime checked or made it
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": 30, "check_same_thread": False},
        "hide_parameters": True,  # an error's text never quotes followers' messages
    }
    if not database or database == ":memory:":
        from sqlalchemy.pool import StaticPool

        kwargs["poolclass"] = StaticPool
    elif not database.startswith("file:"):  # a URI filename sets its own mode
        _create_private(Path(database))
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (the pysqlite recipe), so that
        # writers can ask for BEGIN IMMEDIATE.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout when it sat unused or the server wrote to it.

    What ``pool_pre_ping`` does, without a round trip for every checkout: the pool replaces
    a connection that fails the ping.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # just connected
            return
        if time.monotonic() - idle_since < PING_IDLE_SECONDS and not _readable(dbapi_conn):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(
                f"pooled connection failed its ping: {type(exc).__name__}"
            ) from exc


def _readable(dbapi_conn: Any) -> bool:
    """Return whether an idle connection's socket has data: the server closed or said something."""
    try:
        ready, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(ready)


def _create_private(path: Path) -> None:
    """Create the SQLite file readable by its owner only, before SQLite creates it umask-wide."""
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileNotFoundError:  # no folder: SQLite says so when it connects
        return
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning("database %s is readable by others (mode %o): chmod 600 it", path, mode)


def ping(db: Database) -> bool:
    """Return whether the database answers."""
    with db.begin() as conn:
        return conn.execute(text("SELECT 1")).scalar() == 1
