"""What every table declaration shares: the one metadata, and the UTC datetime column type."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.types import TypeDecorator

#: Every table of every storage module is declared on this one metadata.
metadata = MetaData()


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Store an aware datetime as UTC; read every value back aware, in UTC.

    The column is ``DateTime(timezone=True)`` on both engines (``timestamptz`` on PostgreSQL,
    text on SQLite, which keeps the wall time without its zone): only what goes in and comes
    out is converted, so the schema is the one ``DateTime(timezone=True)`` made.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Convert an aware datetime to UTC; refuse a naive one, whose zone is unknown."""
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}: {value!r}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give it a timezone")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        """Return the stored time aware in UTC (SQLite hands it back without its zone)."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)
