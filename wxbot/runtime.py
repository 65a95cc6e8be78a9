"""What domain code needs from the running service: configuration, database and a clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .storage import Database


def system_clock() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """Hold the validated configuration, the database and the clock of one process."""

    config: dict[str, dict[str, Any]]
    db: Database
    instance_path: Path
    clock: Callable[[], dt.datetime] = field(default=system_clock)

    @property
    def tz(self) -> ZoneInfo:
        """Return the publishing timezone."""
        return ZoneInfo(self.config["publish"]["timezone"])

    def now(self) -> dt.datetime:
        """Return the clock's current time in UTC."""
        return self.clock()

    def public_base_url(self) -> str:
        """Return the base URL followers reach this service at, without a trailing slash."""
        server = self.config["server"]
        url = server["public_base_url"] or f"http://{server['host']}:{server['port']}"
        return str(url).rstrip("/")


def database_url(config: dict[str, dict[str, Any]], instance_path: Path) -> str:
    """Return the configured database URL, defaulting to SQLite in the instance folder."""
    url = config["storage"]["database_url"]
    return str(url) if url else f"sqlite:///{instance_path / 'wxbot.sqlite3'}"
