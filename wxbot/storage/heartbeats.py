"""SQL for the scheduler's heartbeat: when each worker last looked at the schedule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Connection, String, Table, select

from .schema import UtcDateTime, metadata

worker_heartbeats = Table(
    "worker_heartbeats",
    metadata,
    Column("worker", String(80), primary_key=True),
    Column("beat_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class Heartbeat:
    """A worker's name and when it last ran a pass over the schedule."""

    worker: str
    beat_at: dt.datetime


#: How long a worker that stopped beating is remembered.
FORGET_AFTER = dt.timedelta(days=7)


def beat(conn: Connection, worker: str, now: dt.datetime) -> None:
    """Record that ``worker`` is alive at ``now``, forgetting workers long gone."""
    conn.execute(worker_heartbeats.delete().where(worker_heartbeats.c.beat_at < now - FORGET_AFTER))
    updated = conn.execute(
        worker_heartbeats.update().where(worker_heartbeats.c.worker == worker).values(beat_at=now)
    )
    if not updated.rowcount:
        conn.execute(worker_heartbeats.insert().values(worker=worker, beat_at=now))


#: Built once.
_LATEST_BEAT = (
    select(worker_heartbeats.c.worker, worker_heartbeats.c.beat_at)
    .order_by(worker_heartbeats.c.beat_at.desc())
    .limit(1)
)


def latest_beat(conn: Connection) -> Heartbeat | None:
    """Return the most recent heartbeat of any worker, or None when none ever ran."""
    row = conn.execute(_LATEST_BEAT).first()
    return Heartbeat(row.worker, row.beat_at) if row else None
