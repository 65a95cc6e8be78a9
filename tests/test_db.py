"""The database files: readable by their owner only."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

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
