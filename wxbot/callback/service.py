"""The follower callback between the HTTP edge and the handlers: verify, dedupe, answer, log.

One :class:`FollowerCallback` per official account (``/wechat`` the default, ``/wechat/<name>``
the others): each verifies and decrypts with its own token and keys, dedupes its own messages
and answers by its own rules and menu; the archive search, the message log, the signed-URL
bindings and the late answers' threads are one per process, shared (:meth:`for_account`).
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
from collections.abc import Mapping

from ..config import WechatSection
from ..config.accounts import DEFAULT_ACCOUNT
from ..runtime import Runtime
from ..search import indexing, segmentation
from ..search.archive_search import ArchiveSearch
from ..storage.followers import LoggedMessage
from ..wechat import messages
from ..wechat.messages import CallbackKeys, Message
from .commands import answer_message
from .late_answers import LateAnswers
from .message_log import MessageLog
from .registry import Context
from .replies import Answer
from .signed_urls import SignedUrls

logger = logging.getLogger(__name__)


class FollowerCallback:
    """Answer WeChat's callback requests for one account in one process."""

    def __init__(self, runtime: Runtime, *, shared_with: FollowerCallback | None = None) -> None:
        self.runtime = runtime
        self.account = runtime.account
        settings = runtime.settings.callback
        self.keys = callback_keys(runtime.settings.wechat)
        self.max_body_bytes = settings.max_body_bytes
        self.timestamp_window = settings.timestamp_window
        self.list_memory = dt.timedelta(hours=settings.list_memory_hours)
        if shared_with is None:
            self.search = ArchiveSearch(runtime)
            self.log = MessageLog(runtime.db, settings.log_flush_seconds)
            self.signed_urls = SignedUrls(runtime.db, settings.timestamp_window)
            self.late = LateAnswers(runtime, self.log)
        else:
            self.search = shared_with.search
            self.log = shared_with.log
            self.signed_urls = shared_with.signed_urls
            self.late = shared_with.late.for_account(runtime)
        if self.keys.mode != "plaintext" and not self.keys.appid:
            logger.warning(
                "callback: %s mode needs the appid of account %s to open messages",
                self.keys.mode,
                self.account,
            )

    def for_account(self, name: str) -> FollowerCallback:
        """Return the callback of account ``name``, sharing this one's search, log and threads.

        :raises ConfigError: when no account has that name.
        """
        return FollowerCallback(self.runtime.for_account(name), shared_with=self)

    def start(self) -> None:
        """Get ready to answer: index an archive that has none, load jieba in the background."""
        indexing.rebuild(self.runtime, only_if_missing=True)
        self.late.start()
        threading.Thread(target=_load_once, name="wxbot-jieba", daemon=True).start()

    def close(self) -> None:
        """Stop the late answers' threads, then write what the message log holds.

        Every account's callback shares them: closing one closes all.
        """
        self.late.close()
        self.log.close()

    def handshake(self, args: Mapping[str, str]) -> str:
        """Answer the GET handshake with ``echostr``.

        :raises CallbackRejected: when the signature is missing or wrong.
        """
        return messages.open_echo(self.keys, args)

    def admit(self, args: Mapping[str, str]) -> None:
        """Check a POST's signed query (signature, timestamp) before any of its body is read.

        :raises CallbackRejected: when the signature is missing or wrong, or the URL is stale.
        """
        messages.verify_signature(self.keys, args)
        messages.check_timestamp(args, self.runtime.now().timestamp(), self.timestamp_window)

    def receive(self, args: Mapping[str, str], body: bytes) -> str:
        """Answer a POSTed message or event with the reply body (``success`` for none).

        :raises CallbackRejected: for a request to refuse (bad signature, stale, malformed,
            a signed URL already used for another message).
        """
        if len(body) > self.max_body_bytes:
            raise messages.BodyTooLarge(f"body of {len(body)} bytes")
        self.admit(args)
        now = self.runtime.now()
        envelope = messages.open_request(self.keys, args, body, signature_checked=True)
        message = envelope.message
        key = account_dedupe_key(self.account, message)
        if not envelope.encrypted:  # msg_signature signs the ciphertext: it carries only that
            self.signed_urls.bind(args, key, now)
        if message.job is not None:
            reply = self._once(message, key, now)
        else:
            reply = self._answer(message, key, now)
        if envelope.encrypted and reply != messages.SILENT_REPLY:
            return messages.seal(self.keys, reply, args.get("nonce", ""), int(now.timestamp()))
        return reply

    def _answer(self, message: Message, key: str, now: dt.datetime) -> str:
        # WeChat retries only after waiting 5 s for an answer: a message younger than that is
        # its first delivery, and needs no look in the database for an earlier answer.
        age = now.timestamp() - message.create_time
        may_be_retry = age >= messages.FIRST_DELIVERY_SECONDS or not message.create_time
        seen, earlier = self.log.seen(key, may_be_retry=may_be_retry)
        if seen:  # WeChat's retry: the same answer, nothing done again
            return earlier or messages.SILENT_REPLY
        answer = self.late.answer(
            lambda: answer_message(self._context(message, now)),
            message,
            lambda late, reply: self._log_row(message, key, late, reply, now),
        )
        if answer is None:  # not ready within the budget: sent by customer-service message
            return messages.SILENT_REPLY
        reply = render(answer, message, int(now.timestamp()))
        self.log.record(self._log_row(message, key, answer, reply, now))
        return reply

    def _once(self, message: Message, key: str, now: dt.datetime) -> str:
        """Handle an event with effects (a job event) once, whichever delivery comes first.

        Handed over with this account's runtime: the publishing records of a mass send or
        a publish are the account's (``account_key`` of its ``[wechat]`` section).
        """
        pending = self._log_row(message, key, Answer("silent", "job"), "", now)
        if not self.log.claim(pending):
            return messages.SILENT_REPLY
        try:
            answer = answer_message(self._context(message, now))
        except Exception:
            self.log.release(key)
            raise
        reply = render(answer, message, int(now.timestamp()))
        self.log.finish(key, reply, answer.kind, answer.handler)
        return reply

    def _log_row(
        self, message: Message, key: str, answer: Answer, reply: str, now: dt.datetime
    ) -> LoggedMessage:
        if message.msg_type == "event":
            query = f"{message.event} {message.event_key}".strip()
        else:
            query = message.content.strip()
        return LoggedMessage(
            dedupe_key=key,
            openid=message.from_user,
            msg_type=message.msg_type,
            query=query[:500],
            handler=answer.handler,
            answer=answer.kind,
            found=answer.found,
            results=answer.items_json,
            reply=reply,
            received_at=now,
            account=self.account,
        )

    def _context(self, message: Message, now: dt.datetime) -> Context:
        def last_list() -> tuple[dict[str, str], ...]:
            return self.log.last_list(message.from_user, now - self.list_memory)

        return Context(self.runtime, self.search, message, now, last_list)


_frozen = threading.Event()


def _load_once() -> None:
    """Load jieba, then take what start-up made out of the garbage collector's sight.

    A full collection over jieba's dictionary and the app takes ~45 ms, a stall of every
    thread of the worker; after ``gc.freeze()`` it looks only at what requests leave behind.
    """
    segmentation.load()
    if not _frozen.is_set():
        _frozen.set()
        gc.collect()
        gc.freeze()


def render(answer: Answer, message: Message, create_time: int) -> str:
    """Return the reply XML of an answer (``success`` when it says nothing)."""
    if answer.kind == "silent":
        return messages.SILENT_REPLY
    if answer.article is not None:
        a = answer.article
        return messages.news_reply(message, a.title, a.description, a.picurl, a.url, create_time)
    return messages.text_reply(message, answer.text, create_time)


def callback_keys(wechat: WechatSection) -> CallbackKeys:
    """Return what an account's callback verifies and decrypts with."""
    return CallbackKeys(
        token=wechat.token.get_secret_value(),
        appid=wechat.appid,
        encoding_aes_key=wechat.aes_key,
        previous_encoding_aes_key=wechat.previous_encoding_aes_key.get_secret_value(),
        mode=wechat.mode,
    )


def account_dedupe_key(account: str, message: Message) -> str:
    """Return what dedupes a message of ``account``: its own key, after the account's name.

    The same MsgId reaching two accounts is two messages. The default account's keys stay
    as they were before there were several, so a retry across an upgrade is still known.
    """
    key = message.dedupe_key
    return key if account == DEFAULT_ACCOUNT else f"{account}/{key}"
