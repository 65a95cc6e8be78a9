"""Each message once: look up the reply a retry must repeat, and log what was answered.

The log is the database table every worker shares (``storage.followers``). Answers are
written in one batch per ``[callback] log_flush_seconds`` from a background thread, which
keeps the write lock off the reply path; WeChat retries only after its 5-second deadline,
long after the batch is written, and until then this worker finds its own pending rows.
Job events are claimed synchronously before they are handed over, so they are done once.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ..storage import Database, followers
from ..storage.followers import LoggedMessage

logger = logging.getLogger(__name__)

#: Rows written at a time within a batch; the answering threads get the GIL in between.
WRITE_CHUNK = 100

#: Longest wait, on closing, for the writer to finish the batch it is writing.
CLOSE_WAIT_SECONDS = 10.0


class MessageLog:
    """Dedupe and query log of one process, writing behind by at most ``flush_seconds``."""

    def __init__(self, db: Database, flush_seconds: float) -> None:
        self.db = db
        self.flush_seconds = flush_seconds
        self._pending: dict[str, LoggedMessage] = {}
        self._lock = threading.Lock()
        #: One flush at a time: two (the writer's, a caller's) would write, and drop, rows twice.
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def seen(self, dedupe_key: str, *, may_be_retry: bool = True) -> tuple[bool, str | None]:
        """Return ``(seen, reply)``: whether the message was answered already, and with what.

        ``may_be_retry=False`` (a first delivery, by its age) looks only at this worker's
        rows not yet written, sparing the database a read.
        """
        with self._lock:
            pending = self._pending.get(dedupe_key)
        if pending is not None:
            return True, pending.reply
        if not may_be_retry:
            return False, None
        return followers.logged_reply(self.db, dedupe_key)

    def record(self, row: LoggedMessage) -> None:
        """Log an answered message (soon, or now when ``flush_seconds`` is 0)."""
        if self.flush_seconds <= 0 or self._closed:
            self._write([row])
            return
        with self._lock:
            self._pending.setdefault(row.dedupe_key, row)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="wxbot-message-log", daemon=True
                )
                self._thread.start()
                atexit.register(self.close)
        self._wake.set()

    def claim(self, row: LoggedMessage) -> bool:
        """Log a message before acting on it; return False when another delivery has it."""
        with self.db.begin_write() as conn:
            return followers.claim(conn, row)

    def finish(self, dedupe_key: str, reply: str, answer: str, handler: str) -> None:
        """Record the reply given to a claimed message."""
        with self.db.begin_write() as conn:
            followers.finish(conn, dedupe_key, reply, answer, handler)

    def release(self, dedupe_key: str) -> None:
        """Forget a claimed message whose handling failed, so WeChat's retry can redo it."""
        with self.db.begin_write() as conn:
            followers.release(conn, dedupe_key)

    def last_list(self, openid: str, since: dt.datetime) -> tuple[dict[str, str], ...]:
        """Return the items of the last list shown to a follower since ``since``."""
        with self._lock:
            mine = [
                r
                for r in self._pending.values()
                if r.openid == openid and r.answer == "list" and r.received_at >= since
            ]
        if mine:
            results = max(mine, key=lambda r: r.received_at).results
        else:
            with self.db.read() as conn:
                results = followers.last_list(conn, openid, since) or "[]"
        return tuple(json.loads(results))

    def flush(self) -> None:
        """Write every pending row now."""
        with self._flushing:
            with self._lock:
                rows = list(self._pending.values())
            if rows:
                self._write(rows)
                with self._lock:
                    for row in rows:
                        if self._pending.get(row.dedupe_key) is row:
                            del self._pending[row.dedupe_key]

    def close(self) -> None:
        """Write what is pending and stop writing behind."""
        self._closed = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            # Let a batch being written finish, so no connection is left in its hands.
            thread.join(timeout=CLOSE_WAIT_SECONDS)
        self.flush()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait()
            self._wake.clear()
            if not self._closed:  # gather what arrives meanwhile into one batch
                time.sleep(self.flush_seconds)
            try:
                self.flush()
            except Exception as exc:  # the writer must outlive an outage; rows stay pending
                # The error's name only: its text may quote followers' openids and queries.
                logger.warning("writing the follower message log failed (%s); retrying", _name(exc))
                self._wake.set()  # retry after flush_seconds, not only when a message comes

    def _write(self, rows: Sequence[LoggedMessage]) -> None:
        """Write ``rows``; a row the database refuses is dropped and reported, not retried."""
        try:
            with self.db.begin_write() as conn:
                for start in range(0, len(rows), WRITE_CHUNK):
                    followers.log_messages(conn, rows[start : start + WRITE_CHUNK])
                    time.sleep(0)  # let the threads answering followers run between chunks
        except Exception as exc:  # whatever a row's values made go wrong: find that row
            if _is_outage(exc):
                raise  # the rows stay pending until the database answers again
            if len(rows) > 1:
                for row in rows:  # find the refused row: the others are written
                    self._write([row])
                return
            # What the row is, not what it says: its text is a follower's.
            logger.error(
                "dropped the message received at %s from the follower log: "
                "the database refused it (%s)",
                rows[0].received_at.isoformat(),
                _name(exc),
            )


def _is_outage(exc: Exception) -> bool:
    """Return whether the database failed (retry later) rather than refused a row (drop it)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | OSError)


def _name(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return type(exc).__name__ if orig is None else f"{type(exc).__name__}: {type(orig).__name__}"
