"""The database files: readable by their owner only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text

from wxbot.runtime import Runtime
from wxbot.search.archive_search import ArchiveSearch
from wxbot.storage import Database, followers


@pytest.fixture
def open_umask() -> Iterator[None]:
    """Run with the usual umask, under which SQLite alone would create 0644 files."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_sqlite_files_are_created_owner_only(tmp_path: Path, open_umask: None, suffix: str) -> None:
    path = tmp_path / "wxbot.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.migrate()
    with db.begin() as conn:  # the WAL and its index exist while a connection is open
        assert followers.count_messages(conn) == 0
        assert _mode(Path(f"{path}{suffix}")) == 0o600


def test_a_database_others_can_read_is_reported(
    tmp_path: Path, open_umask: None, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "wxbot.sqlite3"
    path.touch(mode=0o644)
    with caplog.at_level(logging.WARNING, logger="wxbot.storage.db"):
        Database(f"sqlite:///{path}")
    assert [r.getMessage() for r in caplog.records] == [
        f"database {path} is readable by others (mode 644): chmod 600 it"
    ]


# --- PostgreSQL: round trips the callback does not pay for ---------------------------------------


def _postgresql(url: str) -> str:
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: set WXBOT_TEST_POSTGRES_URL")
    return url


def test_a_pooled_connection_the_server_closed_is_replaced_unseen(database_url: str) -> None:
    db = Database(_postgresql(database_url))
    db.migrate()
    with db.read() as conn:
        closed = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    admin = create_engine(database_url)
    with admin.connect() as conn:  # as a restart of the server would
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": closed})
        for _ in range(500):
            gone = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            if not conn.execute(gone, {"pid": closed}).scalar_one():
                break
    admin.dispose()

    with db.read() as conn:  # taken from the pool again: no error reaches the caller
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != closed
    db.dispose()


def test_postgresql_searches_never_parse_the_tokens_of_rows(archive: Runtime) -> None:
    db = archive.db
    _postgresql(db.url)
    searched: list[tuple[str, Any]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _seen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "to_tsquery" in statement:
            searched.append((statement, params))

    for query in ["数据要素", "低空经济 政策", "人工智能", "龘靐"]:
        ArchiveSearch(archive).search(query)
    assert searched
    with db.engine.connect() as conn:
        for statement, params in searched:
            cursor = conn.connection.driver_connection.execute(f"EXPLAIN {statement}", params)
            plan = "\n".join(row[0] for row in cursor)
            assert "to_tsvector" not in plan, plan  # a stored tsvector is read instead
