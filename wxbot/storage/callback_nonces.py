"""SQL for signed callback URLs already used: each bound to the one message it carried.

A signed URL (timestamp, nonce, signature) stays valid for the timestamp window, so one read
from a log could carry any message. The first message a URL carries is bound to it until the
window closes; WeChat's retry of that message passes, anything else is refused. The row is
shared by every worker through the database.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Connection, Index, String, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from .schema import UtcDateTime, metadata

callback_nonces = Table(
    "callback_nonces",
    metadata,
    Column("url_key", String(64), primary_key=True),  # sha256 of timestamp, nonce, signature
    Column("dedupe_key", String(160), nullable=False),  # the message the URL carried
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_callback_nonces_expires", "expires_at"),
)


def bind_url(
    conn: Connection, url_key: str, dedupe_key: str, now: dt.datetime, expires_at: dt.datetime
) -> str:
    """Bind a signed URL to a message unless it is bound; return the message it is bound to."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(callback_nonces).values(
        url_key=url_key, dedupe_key=dedupe_key, expires_at=expires_at
    )
    rebind = insert.on_conflict_do_update(  # an expired binding is free again
        index_elements=["url_key"],
        set_={"dedupe_key": insert.excluded.dedupe_key, "expires_at": insert.excluded.expires_at},
        where=callback_nonces.c.expires_at < now,
    ).returning(callback_nonces.c.dedupe_key)
    bound = conn.execute(rebind).scalar()
    if bound is None:  # bound earlier, and still in its window
        bound = conn.execute(
            select(callback_nonces.c.dedupe_key).where(callback_nonces.c.url_key == url_key)
        ).scalar_one()
    return str(bound)


def forget_expired(conn: Connection, now: dt.datetime) -> int:
    """Delete bindings whose window has closed; return how many."""
    done = conn.execute(callback_nonces.delete().where(callback_nonces.c.expires_at < now))
    return int(done.rowcount)
