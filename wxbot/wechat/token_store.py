"""The access_token every process shares: cached in the database, refreshed once, under a lease.

https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken
A process that finds the token missing, near expiry or refused claims the refresh lease with a
conditional UPDATE, fetches, stores and releases; the others poll the row until the new token
appears (or the lease expires, when its holder died). No database lock is held during the fetch.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from ..storage import Database
from ..storage import wechat_tokens as token_store
from .errors import WeChatNetworkError
from .limits import TOKEN_REFRESH_MARGIN_SECONDS

logger = logging.getLogger(__name__)

#: Seconds between looks at the row while another process fetches.
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class FetchedToken:
    """A token as ``stable_token`` answered it."""

    access_token: str
    expires_in: int


#: Fetch a token from WeChat; the argument is ``force_refresh``.
TokenFetch = Callable[[bool], FetchedToken]


class TokenStore:
    """Hand out the account's current access_token, fetching it only when nobody else is."""

    def __init__(
        self,
        db: Database,
        account: str,
        fetch: TokenFetch,
        clock: Callable[[], dt.datetime],
        *,
        lease_seconds: float,
        margin_seconds: float = TOKEN_REFRESH_MARGIN_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.db = db
        self.account = account
        self.fetch = fetch
        self.clock = clock
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.margin = dt.timedelta(seconds=margin_seconds)
        self.sleep = sleep
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"

    def get(self) -> str:
        """Return a token with more than the refresh margin left, refreshing it if needed."""
        row = self._load()
        if row is not None and self._fresh(row):
            return row.access_token
        return self._refresh(stale=None)

    def refresh(self, stale: str) -> str:
        """Return a token other than ``stale``, which WeChat just refused."""
        return self._refresh(stale=stale)

    def _refresh(self, stale: str | None) -> str:
        deadline = time.monotonic() + self.lease.total_seconds() * 2
        while True:
            if self._claim():
                return self._fetch_and_store(stale)
            self.sleep(POLL_SECONDS)
            row = self._load()
            if row is not None and self._usable(row, stale):
                return row.access_token
            if time.monotonic() > deadline:
                raise WeChatNetworkError(
                    "stable_token", "another process held the token refresh for too long"
                )

    def _fetch_and_store(self, stale: str | None) -> str:
        try:
            row = self._load()
            if row is not None and self._usable(row, stale):
                self._release()  # someone refreshed between our look and our claim
                return row.access_token
            fetched = self.fetch(False)
            if stale is not None and fetched.access_token == stale:
                # WeChat still thinks the refused token is current: replace it for good.
                fetched = self.fetch(True)
        except Exception as exc:
            self._record_error(exc)
            self._release()
            raise
        except BaseException:
            self._release()
            raise
        now = self._now()
        expires_at = now + dt.timedelta(seconds=fetched.expires_in)
        with self.db.begin() as conn:
            token_store.store_token(
                conn, self.account, self.owner, fetched.access_token, expires_at, now
            )
        logger.info("access_token refreshed for %s; %ss left", self.account, fetched.expires_in)
        return fetched.access_token

    def _record_error(self, exc: Exception) -> None:
        with self.db.begin() as conn:
            token_store.record_fetch_error(conn, self.account, str(exc), self._now())

    def health(self) -> token_store.TokenHealth | None:
        """Return the cached token's expiry and its last fetch error, without fetching."""
        with self.db.begin() as conn:
            return token_store.token_health(conn, self.account)

    def _claim(self) -> bool:
        now = self._now()
        try:
            with self.db.begin_write() as conn:
                return token_store.claim_lease(
                    conn, self.account, self.owner, now, now + self.lease
                )
        except IntegrityError:  # another process inserted the row first: it holds the lease
            return False

    def _release(self) -> None:
        with self.db.begin() as conn:
            token_store.release_lease(conn, self.account, self.owner)

    def _load(self) -> token_store.TokenRow | None:
        with self.db.begin() as conn:
            return token_store.load_token(conn, self.account)

    def _fresh(self, row: token_store.TokenRow) -> bool:
        return bool(row.access_token) and (
            row.expires_at is not None and row.expires_at - self._now() > self.margin
        )

    def _usable(self, row: token_store.TokenRow, stale: str | None) -> bool:
        if stale is None:
            return self._fresh(row)
        alive = row.expires_at is not None and row.expires_at > self._now()
        return bool(row.access_token) and row.access_token != stale and alive

    def _now(self) -> dt.datetime:
        return self.clock().astimezone(dt.UTC)
