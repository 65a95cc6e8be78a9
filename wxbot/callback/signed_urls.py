"""Each signed callback URL carries one message: a replay with another message is refused.

WeChat signs the URL (timestamp, nonce), not the body, and the URL stays valid for the
timestamp window; in plaintext and compatible mode one URL read from a log could carry any
forged message. The first message a URL carries is bound to it in the database (every worker
sees it) until the window closes: the same message again is WeChat's retry and passes.
A message is bound by its account-qualified dedupe key, so a URL one account was called on
carries nothing to another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Mapping

from ..storage import Database, callback_nonces
from ..wechat.messages import CallbackRejected

logger = logging.getLogger(__name__)

#: How long a URL stays bound when the timestamp window is switched off (0).
UNWINDOWED_SECONDS = 86_400.0

#: Seconds between two clean-ups of expired bindings, per process.
CLEANUP_SECONDS = 60.0


class ReplayedUrl(CallbackRejected):
    """A signed URL already used for another message."""

    status = 403


class SignedUrls:
    """Bind the signed URLs messages arrive on to their messages, refusing a second message."""

    def __init__(self, db: Database, window: float) -> None:
        self.db = db
        self.window = window if window > 0 else UNWINDOWED_SECONDS
        self._next_cleanup = 0.0
        self._lock = threading.Lock()

    def bind(self, args: Mapping[str, str], dedupe_key: str, now: dt.datetime) -> None:
        """Bind the request's URL to the message of ``dedupe_key`` (which names its account).

        :raises ReplayedUrl: when the URL already carried another message.
        """
        try:
            timestamp = int(args.get("timestamp", ""))
        except ValueError:
            timestamp = int(now.timestamp())
        epoch = int(now.timestamp())
        expires = max(timestamp, epoch) + int(self.window) + 1
        bound = callback_nonces.bind_url(self.db, url_key(args), dedupe_key, epoch, expires)
        if self._cleanup_due():
            with self.db.begin() as conn:
                forgotten = callback_nonces.forget_expired(conn, epoch)
            logger.debug("callback: forgot %d expired signed URLs", forgotten)
        if bound != dedupe_key:
            raise ReplayedUrl("signed URL already used for another message")

    def _cleanup_due(self) -> bool:
        with self._lock:
            if time.monotonic() < self._next_cleanup:
                return False
            self._next_cleanup = time.monotonic() + CLEANUP_SECONDS
            return True


def url_key(args: Mapping[str, str]) -> str:
    """Return what identifies a signed URL: sha256 over its timestamp, nonce and signature."""
    parts = (args.get(name, "") for name in ("timestamp", "nonce", "signature"))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
