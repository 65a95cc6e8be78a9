"""SQL for the shared access_token: one row per account, with a lease on refreshing it.

The lease is claimed by a conditional UPDATE whose row count says who won, so one process
fetches while the others wait; it expires on its own if the holder dies. No transaction stays
open during the fetch itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Column, Connection, String, Table, Text, bindparam, or_, select

from .schema import UtcDateTime, metadata

wechat_tokens = Table(
    "wechat_tokens",
    metadata,
    Column("account", String(200), primary_key=True),  # appid@api host
    Column("access_token", Text, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("fetched_at", UtcDateTime(), nullable=True),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    # Why the last fetch failed, and when; cleared by the next token stored.
    Column("fetch_error", Text, nullable=True),
    Column("fetch_error_at", UtcDateTime(), nullable=True),
)


@dataclass(frozen=True)
class TokenRow:
    """The cached token of one account (empty before the first fetch)."""

    access_token: str
    expires_at: dt.datetime | None
    lease_owner: str | None


def load_token(conn: Connection, account: str) -> TokenRow | None:
    """Return the cached token of ``account``, or None."""
    row = conn.execute(
        select(
            wechat_tokens.c.access_token, wechat_tokens.c.expires_at, wechat_tokens.c.lease_owner
        ).where(wechat_tokens.c.account == account)
    ).first()
    if row is None:
        return None
    return TokenRow(row.access_token, row.expires_at, row.lease_owner)


def claim_lease(
    conn: Connection, account: str, owner: str, now: dt.datetime, until: dt.datetime
) -> bool:
    """Take the refresh lease when it is free or expired; return whether ``owner`` holds it.

    :raises sqlalchemy.exc.IntegrityError: when another process created the row meanwhile.
    """
    exists = conn.execute(
        select(wechat_tokens.c.account).where(wechat_tokens.c.account == account)
    ).first()
    if exists is None:
        conn.execute(
            wechat_tokens.insert().values(
                account=account, access_token="", lease_owner=owner, lease_until=until
            )
        )
        return True
    claimed = conn.execute(
        wechat_tokens.update()
        .where(
            wechat_tokens.c.account == account,
            or_(
                wechat_tokens.c.lease_owner.is_(None),
                wechat_tokens.c.lease_until <= now,
                wechat_tokens.c.lease_owner == owner,
            ),
        )
        .values(lease_owner=owner, lease_until=until)
    )
    return claimed.rowcount == 1


def store_token(
    conn: Connection,
    account: str,
    owner: str,
    token: str,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> None:
    """Save a freshly fetched token and give up ``owner``'s lease."""
    conn.execute(
        wechat_tokens.update()
        .where(wechat_tokens.c.account == account)
        .values(
            access_token=token,
            expires_at=expires_at,
            fetched_at=now,
            fetch_error=None,
            fetch_error_at=None,
        )
    )
    release_lease(conn, account, owner)


def record_fetch_error(conn: Connection, account: str, error: str, now: dt.datetime) -> None:
    """Note why fetching a token failed, for the console's health line."""
    conn.execute(
        wechat_tokens.update()
        .where(wechat_tokens.c.account == account)
        .values(fetch_error=error, fetch_error_at=now)
    )


@dataclass(frozen=True)
class TokenHealth:
    """What the cache says about the account's token, without asking WeChat."""

    expires_at: dt.datetime | None
    fetched_at: dt.datetime | None
    fetch_error: str | None
    fetch_error_at: dt.datetime | None


#: Built once, bound per call.
_TOKEN_HEALTH = select(
    wechat_tokens.c.expires_at,
    wechat_tokens.c.fetched_at,
    wechat_tokens.c.fetch_error,
    wechat_tokens.c.fetch_error_at,
).where(wechat_tokens.c.account == bindparam("account", type_=String))


def token_health(conn: Connection, account: str) -> TokenHealth | None:
    """Return when the cached token expires and why its last fetch failed; None before any."""
    row = conn.execute(_TOKEN_HEALTH, {"account": account}).first()
    return TokenHealth(**row._mapping) if row else None


def release_lease(conn: Connection, account: str, owner: str) -> None:
    """Give up the refresh lease if ``owner`` still holds it."""
    conn.execute(
        wechat_tokens.update()
        .where(wechat_tokens.c.account == account, wechat_tokens.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
