"""Send the queued late answers by customer-service message, from whichever process runs a sender.

https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
Each web worker starts a sender thread when it first has a late answer (or finds some queued at
start, left by a worker that died); ``wxbot worker`` runs one too. Every sender claims rows in
the database (``storage.late_answers``), so an answer goes out once whichever sends it. WeChat's
refusals that retrying cannot change (45015 window closed, 45047 over the count, 40003 not a
follower, 48001 no right) fail the answer at once; -1 and no answer are retried with backoff —
a lost answer may mean the message arrived, so a retry may, rarely, send it twice.
Each answer goes out through the API (and access token) of the account whose follower asked:
one queue, one sender per process, an API client per account made on first use.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import logging
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError
from ..runtime import Runtime
from ..states import LateAnswerState
from ..storage import late_answers as store
from ..storage.late_answers import LateAnswer
from ..wechat import WeChatApi, WeChatError, WeChatNetworkError, custom_messages
from ..wechat.client import is_transient

logger = logging.getLogger(__name__)

#: Tries of one answer in all, and the wait before the second (doubling after).
MAX_ATTEMPTS = 5
RETRY_BACKOFF = dt.timedelta(seconds=2)
#: Answers one look at the queue sends at most (each claimed on its own).
BATCH = 20
#: Longest wait of an idle sender thread before it looks at the queue again.
POLL_SECONDS = 30.0

#: What a row left ``sending`` past its lease records: its sender stopped during the call.
ABANDONED = "the sender stopped while sending it: not sent again (it may have arrived)"


@dataclass(frozen=True)
class Outcome:
    """What one claimed answer came to: its new state and, unless sent, why."""

    received_at: dt.datetime
    state: LateAnswerState
    reason: str = ""


def sender_name() -> str:
    """Return this process's name as a claimant of late answers."""
    return f"{socket.gethostname()}:{os.getpid()}"


def can_send(runtime: Runtime) -> bool:
    """Return whether the account's API credentials are configured (needed to send)."""
    wechat = runtime.settings.wechat
    return bool(wechat.appid and wechat.secret.get_secret_value())


def any_can_send(runtime: Runtime) -> bool:
    """Return whether any configured account can send (the queue holds every account's)."""
    return any(can_send(account) for account in runtime.accounts())


class AccountApis:
    """The WeChat API client of each account, made on first use and kept."""

    def __init__(self, runtime: Runtime, made: Mapping[str, WeChatApi] | None = None) -> None:
        self.runtime = runtime
        self._apis: dict[str, WeChatApi] = dict(made or {})
        self._lock = threading.Lock()

    def of(self, account: str) -> WeChatApi:
        """Return the client of ``account`` (by its name).

        :raises ConfigError: when no account has that name, or it has no API credentials.
        """
        with self._lock:
            api = self._apis.get(account)
            if api is None:
                api = self._apis[account] = WeChatApi(self.runtime.for_account(account))
            return api

    def lease(self) -> dt.timedelta:
        """Return how long a sender holds an answer: one call of the slowest account, and more.

        Long enough for one call with a token fetch and a refresh: answers are claimed one
        at a time, so a lease never runs out while the answer waits behind others.
        """
        every = self.runtime.all_settings or self.runtime.settings
        sections = [every.for_account(name).wechat for name in every.account_names()]
        return dt.timedelta(seconds=max(w.timeout * (w.retries + 4) + 10 for w in sections))


def deliver_due(
    runtime: Runtime,
    api: WeChatApi | AccountApis,
    *,
    sender: str,
    now: dt.datetime | None = None,
) -> list[Outcome]:
    """Send every late answer that is due now, each by its account's API; return the outcomes.

    ``api`` is the runtime's account's client (the others are made from ``runtime``), or
    the clients of every account.
    """
    apis = api if isinstance(api, AccountApis) else AccountApis(runtime, {runtime.account: api})
    now = now or runtime.now()
    lease = apis.lease()
    with runtime.db.begin_write() as conn:
        abandoned = store.abandon_stale(conn, now, ABANDONED)
    if abandoned:
        logger.warning("%d late answer(s) not sent: %s", len(abandoned), ABANDONED)
    outcomes: list[Outcome] = []
    while len(outcomes) < BATCH:
        with runtime.db.begin_write() as conn:
            claimed = store.claim_due(conn, now, sender, now + lease, limit=1)
        if not claimed:
            break
        outcomes.append(_deliver(runtime, apis, claimed[0], sender, now))
    return outcomes


def _deliver(
    runtime: Runtime, apis: AccountApis, row: LateAnswer, sender: str, now: dt.datetime
) -> Outcome:
    if now > row.deadline:
        return _fail(runtime, row, sender, "the follower's window for it closed before it was sent")
    try:
        api = apis.of(row.account)
    except ConfigError as exc:  # the account left the configuration, or lost its credentials
        return _fail(runtime, row, sender, f"account {row.account}: {exc}")
    try:
        custom_messages.send(api, row.openid, row.msgtype, json.loads(row.payload))
    except (WeChatError, WeChatNetworkError) as exc:
        if is_transient(exc) and row.attempts < MAX_ATTEMPTS:
            wait = RETRY_BACKOFF * 2 ** (row.attempts - 1)
            with runtime.db.begin_write() as conn:
                store.mark_retry(conn, row.dedupe_key, sender, now + wait, str(exc))
            logger.warning(
                "late answer to the message received at %s: %s; retry %d in %gs",
                row.received_at.isoformat(),
                exc,
                row.attempts,
                wait.total_seconds(),
            )
            return Outcome(row.received_at, LateAnswerState.PENDING, str(exc))
        return _fail(runtime, row, sender, str(exc))
    with runtime.db.begin_write() as conn:
        store.mark_sent(conn, row.dedupe_key, sender, runtime.now())
    logger.info(
        "late answer to the message received at %s sent by customer-service message",
        row.received_at.isoformat(),
    )
    return Outcome(row.received_at, LateAnswerState.SENT)


def _fail(runtime: Runtime, row: LateAnswer, sender: str, reason: str) -> Outcome:
    with runtime.db.begin_write() as conn:
        store.mark_failed(conn, row.dedupe_key, sender, reason)
    # When and why, not to whom: the log holds no openid.
    logger.warning(
        "late answer to the message received at %s not sent: %s",
        row.received_at.isoformat(),
        reason,
    )
    return Outcome(row.received_at, LateAnswerState.FAILED, reason)


class LateSender:
    """A background thread of one process sending due late answers until stopped."""

    def __init__(self, runtime: Runtime, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.name = sender_name()
        self._apis = AccountApis(runtime)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        """Look at the queue now (starting the thread if it is not running)."""
        with self._lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="wxbot-late-sender", daemon=True
                )
                self._thread.start()
                atexit.register(self.stop)
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after the answer it is sending."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            wait = self.poll_seconds
            try:
                deliver_due(self.runtime, self._apis, sender=self.name)
                with self.runtime.db.begin() as conn:
                    due = store.next_due(conn)
                if due is not None:
                    wait = min(wait, max((due - self.runtime.now()).total_seconds(), 0.05))
            except Exception as exc:  # the sender must outlive an outage; rows stay queued
                logger.warning("sending late answers failed (%s); retrying", type(exc).__name__)
            self._wake.wait(wait)
