"""Completion events (PUBLISHJOBFINISH, MASSSENDJOBFINISH) POSTed to wxbot's callback like WeChat.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
Query: ``signature``, ``timestamp``, ``nonce``, ``openid``; in compatible and safe mode also
``encrypt_type=aes`` and ``msg_signature`` over the ``Encrypt`` value. Delivery runs in a
background thread: 3 tries, 5 s each, then the outcome is logged and recorded.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from . import crypto
from .settings import SandboxSettings
from .state import Delivery, MassSend, PublishJob

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)

#: FromUserName of account-level events: the openid of the operator who triggered the job.
OPERATOR_OPENID = "oSbx0000000000000000operator"


def to_xml(fields: Mapping[str, Any], root: str = "xml") -> str:
    """Return WeChat-style XML: strings in CDATA, numbers bare, lists as repeated elements."""
    return f"<{root}>{_children(fields)}</{root}>"


def _children(fields: Mapping[str, Any]) -> str:
    parts = []
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            parts.append(f"<{name}>{_value(item)}</{name}>")
    return "".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, Mapping):
        return _children(value)
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    text = str(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{text}]]>"


def publish_finished_xml(account: Account, job: PublishJob) -> str:
    """Return the PUBLISHJOBFINISH event for a finished publish job."""
    info: dict[str, Any] = {"publish_id": int(job.publish_id), "publish_status": job.status}
    if job.article_id:
        urls = account.state.articles[job.article_id].urls
        info["article_id"] = job.article_id
        info["article_detail"] = {
            "count": len(urls),
            "item": [{"idx": i, "article_url": u} for i, u in enumerate(urls, start=1)],
        }
    if job.fail_idx:
        info["fail_idx"] = list(job.fail_idx)
    return to_xml(_header(account, "PUBLISHJOBFINISH") | {"PublishEventInfo": info})


def mass_finished_xml(account: Account, send: MassSend) -> str:
    """Return the MASSSENDJOBFINISH event for a finished mass send."""
    total = len(send.recipients)
    errors = 0 if send.status == "SEND_SUCCESS" else total
    urls = account.state.articles[send.article_id].urls if send.article_id else []
    fields = _header(account, "MASSSENDJOBFINISH") | {
        "MsgID": _event_msg_id(account, send),
        "Status": send.outcome,
        "TotalCount": total,
        "FilterCount": total,
        "SentCount": total - errors,
        "ErrorCount": errors,
        "CopyrightCheckResult": send.copyright_check,
        "ArticleUrlResult": {
            "Count": len(urls),
            "ResultList": {
                "item": [{"ArticleIdx": i, "ArticleUrl": u} for i, u in enumerate(urls, start=1)]
            },
        },
    }
    return to_xml(fields)


def _event_msg_id(account: Account, send: MassSend) -> int:
    """Return the MsgID of a send's MASSSENDJOBFINISH.

    The page calls it "群发的消息ID" and its example's 1000001625 is neither the msg_id
    (34182) nor the msg_data_id (206227730) of its sendall example; field reports show
    1000000046 and 1000000338 beside sendall msg_ids of 3147494276. So by default it is an id
    of its own, which a client cannot match (it asks ``message/mass/get``); ``msg_id`` puts
    sendall's msg_id there instead, as clients written against older samples expect.
    https://developers.weixin.qq.com/doc/service/guide/product/message/Batch_Sends.html
    """
    if account.settings.mass_event_msg_id == "msg_id":
        return send.msg_id
    return send.event_msg_id


def _header(account: Account, event: str) -> dict[str, Any]:
    return {
        "ToUserName": account.settings.original_id,
        "FromUserName": OPERATOR_OPENID,
        "CreateTime": int(account.now()),
        "MsgType": "event",
        "Event": event,
    }


def envelope(
    settings: SandboxSettings, xml: str, openid: str, timestamp: int, nonce: str
) -> tuple[dict[str, str], str]:
    """Return the query string and body WeChat sends for ``xml`` in the account's mode."""
    query = {
        "signature": crypto.signature(settings.token.get_secret_value(), str(timestamp), nonce),
        "timestamp": str(timestamp),
        "nonce": nonce,
        "openid": openid,
    }
    if settings.mode == "plaintext":
        return query, xml
    encrypted = crypto.encrypt(settings.aes_key, settings.appid, xml.encode("utf-8"))
    query["encrypt_type"] = "aes"
    query["msg_signature"] = crypto.signature(
        settings.token.get_secret_value(), str(timestamp), nonce, encrypted
    )
    if settings.mode == "safe":
        body = to_xml({"ToUserName": settings.original_id, "Encrypt": encrypted})
    else:  # compatible: the plaintext fields and the ciphertext side by side
        body = xml.removesuffix("</xml>") + _children({"Encrypt": encrypted}) + "</xml>"
    return query, body


def post(
    settings: SandboxSettings, url: str, xml: str, openid: str, timestamp: int
) -> tuple[str, requests.Response | None, dict[str, str], str]:
    """POST one delivery of ``xml`` to ``url`` as WeChat does, with a fresh nonce.

    Return what came of it for the record ("200", "403", "timeout", "error: …"), the
    response when there was one, and the query and body that were sent.
    """
    nonce = str(secrets.randbelow(10**10))
    query, body = envelope(settings, xml, openid, timestamp, nonce)
    try:
        response = requests.post(
            url,
            params=query,
            data=body.encode("utf-8"),
            headers={"Content-Type": "text/xml"},
            timeout=settings.callback_timeout,
        )
    except requests.Timeout:
        return "timeout", None, query, body
    except requests.RequestException as exc:
        return f"error: {type(exc).__name__}", None, query, body
    return str(response.status_code), response, query, body


def queue_publish_finished(account: Account, job: PublishJob) -> None:
    """Queue PUBLISHJOBFINISH for delivery."""
    account.events.queue("PUBLISHJOBFINISH", job.publish_id, publish_finished_xml(account, job))


def queue_mass_finished(account: Account, send: MassSend) -> None:
    """Queue MASSSENDJOBFINISH for delivery."""
    account.events.queue("MASSSENDJOBFINISH", str(send.msg_id), mass_finished_xml(account, send))


class EventDispatcher:
    """Deliver queued events to the callback URL from one background thread."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self._queue: queue.Queue[Delivery] = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def queue(self, event: str, ref: str, xml: str) -> Delivery:
        """Record an event and queue it, or mark it skipped when no callback URL is set."""
        url = self.account.settings.callback_url
        delivery = Delivery(event, ref, url, xml, queued_at=self.account.now())
        self.account.state.deliveries.append(delivery)
        if not url:
            delivery.outcome = "skipped"
            logger.info("%s %s not delivered: no callback_url configured", event, ref)
            return delivery
        self._ensure_thread()
        self._queue.put(delivery)
        return delivery

    def join(self, timeout: float = 5.0) -> bool:
        """Wait until every queued event has been delivered or given up; return whether it was."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.01)
        return self._queue.unfinished_tasks == 0

    def stop(self) -> None:
        """Stop the delivery thread (events still queued are dropped)."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=self.account.settings.callback_timeout + 1)

    def _ensure_thread(self) -> None:
        with self._start_lock:
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="wxbot-sandbox-events", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                delivery = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            try:
                self._deliver(delivery)
            except Exception:  # the thread must outlive one bad delivery
                logger.exception("delivering %s %s failed", delivery.event, delivery.ref)
                delivery.outcome = "failed"
            finally:
                self._queue.task_done()

    def _deliver(self, delivery: Delivery) -> None:
        settings = self.account.settings
        for attempt in range(1, settings.callback_tries + 1):
            if self._stop.is_set():
                return
            delivery.tries = attempt
            status, _, query, body = post(
                settings, delivery.url, delivery.xml, OPERATOR_OPENID, int(self.account.now())
            )
            delivery.requests.append({"query": query, "body": body})
            delivery.statuses.append(status)
            if status == "200":
                delivery.outcome = "delivered"
                logger.info(
                    "%s %s delivered to %s (try %d)",
                    delivery.event,
                    delivery.ref,
                    delivery.url,
                    attempt,
                )
                return
            if attempt < settings.callback_tries:
                self._stop.wait(settings.callback_retry_interval)
        delivery.outcome = "failed"
        logger.warning(
            "%s %s not delivered to %s after %d tries: %s",
            delivery.event,
            delivery.ref,
            delivery.url,
            delivery.tries,
            delivery.statuses,
        )
