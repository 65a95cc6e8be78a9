"""Answer within a budget under WeChat's 5 s, or reply ``success`` and send the answer later.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
WeChat waits 5 s, then retries (3 tries in all) and finally shows the follower "该公众号暂时无法
提供服务"; ``success`` stops that silently. So an answer is computed in a bounded pool while
the request thread waits at most ``[callback] late_answer_budget`` seconds: in time, it is the
passive reply; late (a slow database, a locked SQLite, a cold worker), the callback replies
``success`` and, once ready, the answer is queued in the database and sent by customer-service
message (:mod:`.late_sender`). The message is logged with the reply ``success`` before the
request ends, so WeChat's retries of it get ``success`` and never a second answer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from ..runtime import Runtime
from ..storage import late_answers as store
from ..storage.followers import LoggedMessage
from ..wechat import limits
from ..wechat.messages import SILENT_REPLY, Message
from .late_sender import LateSender, any_can_send, can_send
from .message_log import MessageLog
from .replies import Answer

logger = logging.getLogger(__name__)

#: Threads computing answers in one worker (each request thread waits on one of them).
POOL_THREADS = 8
#: Tries, and the first wait, when the database refuses to queue a finished late answer.
QUEUE_TRIES = 4
QUEUE_BACKOFF_SECONDS = 0.5
#: What the query log holds for a late message until its answer is ready.
LATE = "late"

#: A message as the query log records it, given its answer and reply.
LogRow = Callable[[Answer, str], LoggedMessage]


class LateAnswers:
    """Bound the wait for answers of one account in one worker; queue the late ones.

    The accounts of a worker share one pool of answering threads and one sender
    (:meth:`for_account`); each queued answer names its account, whose API sends it.
    """

    def __init__(
        self, runtime: Runtime, log: MessageLog, *, shared_with: LateAnswers | None = None
    ) -> None:
        self.runtime = runtime
        self.log = log
        self.budget = runtime.settings.callback.late_answer_budget
        #: Without API credentials nothing can be sent late: every answer is waited for.
        self.enabled = self.budget > 0 and can_send(runtime)
        #: What owns the pool and the sender: this one, or the one it shares them with.
        self._home: LateAnswers = self if shared_with is None else shared_with._home
        self.sender: LateSender = LateSender(runtime) if shared_with is None else shared_with.sender
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def for_account(self, runtime: Runtime) -> LateAnswers:
        """Return the late answers of another account, sharing this one's threads and sender."""
        return LateAnswers(runtime, self.log, shared_with=self)

    def start(self) -> None:
        """Send what a worker that stopped left queued (this process runs after the fork).

        The queue holds every account's answers: it is looked at when any account can send.
        """
        if self.budget <= 0 or not any_can_send(self.runtime):
            return
        with self.runtime.db.begin() as conn:
            waiting = store.next_due(conn) is not None
        if waiting:
            self.sender.wake()

    def answer(
        self, compute: Callable[[], Answer], message: Message, log_row: LogRow
    ) -> Answer | None:
        """Return ``compute()`` if it is ready within the budget, else None (sent later).

        A late message is logged with the reply ``success`` at once; its answer is queued
        for a customer-service message when it is ready.
        """
        if not self.enabled:
            return compute()
        future = self._executor().submit(compute)
        try:
            return future.result(timeout=self.budget)
        except FutureTimeout:
            pass
        self.log.record(log_row(Answer(LATE, LATE), SILENT_REPLY))
        logger.info("an answer took over %gs: it will go by customer-service message", self.budget)
        future.add_done_callback(lambda done: self._queue(done, message, log_row))
        return None

    def close(self) -> None:
        """Stop the pool and the sender (answers being computed are still queued)."""
        home = self._home
        with home._lock:
            pool, home._pool = home._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.sender.stop()

    def _executor(self) -> ThreadPoolExecutor:
        home = self._home
        with home._lock:  # made in the worker on first use: nothing started before the fork
            if home._pool is None:
                home._pool = ThreadPoolExecutor(POOL_THREADS, thread_name_prefix="wxbot-answer")
            return home._pool

    def _queue(self, done: Future[Answer], message: Message, log_row: LogRow) -> None:
        error = done.exception()
        if error is not None:
            logger.error("a late answer failed (%s): the follower gets none", type(error).__name__)
            return
        answer = done.result()
        received = _received_at(message, self.runtime.now())
        content = custom_message(answer)
        for attempt in range(QUEUE_TRIES):
            try:
                with self.runtime.db.begin_write() as conn:
                    if content is None:
                        store.settle(conn, log_row(answer, SILENT_REPLY))
                    else:
                        store.enqueue(
                            conn,
                            log_row(answer, SILENT_REPLY),
                            msgtype=content[0],
                            payload=json.dumps(content[1], ensure_ascii=False),
                            received_at=received,
                            deadline=received + _window(message),
                        )
                break
            except Exception as exc:  # the database may be what made it late: try again
                if attempt == QUEUE_TRIES - 1:
                    logger.error(
                        "a late answer could not be queued (%s): the follower gets none",
                        type(exc).__name__,
                    )
                    return
                time.sleep(QUEUE_BACKOFF_SECONDS * 2**attempt)
        if content is not None:
            self.sender.wake()


def custom_message(answer: Answer) -> tuple[str, dict[str, object]] | None:
    """Return ``(msgtype, object)`` of the customer-service message for an answer, if any."""
    if answer.kind in ("silent", LATE):
        return None
    if answer.article is not None:
        a = answer.article
        article = {"title": a.title, "description": a.description, "url": a.url, "picurl": a.picurl}
        return "news", {"articles": [article]}
    return "text", {"content": answer.text}


def _received_at(message: Message, now: dt.datetime) -> dt.datetime:
    if not message.create_time:
        return now
    return dt.datetime.fromtimestamp(message.create_time, dt.UTC)


def _window(message: Message) -> dt.timedelta:
    """Return how long after the message WeChat takes customer-service messages to its sender."""
    if message.msg_type == "event":  # a menu click or a subscribe: 1 minute
        return dt.timedelta(seconds=limits.CUSTOM_MESSAGE_EVENT_WINDOW_SECONDS)
    return dt.timedelta(seconds=limits.CUSTOM_MESSAGE_WINDOW_SECONDS)
