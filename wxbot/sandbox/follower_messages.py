"""A follower's message or event, POSTed to wxbot's callback as WeChat delivers it.

https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
WeChat waits 5 s for an answer and tries 3 times in all, each time the same XML (same MsgId,
same CreateTime). Each delivery opens the follower's window for customer-service messages
(:mod:`.custom_messages`). The POST runs without the account's lock: the callback may call
the sandbox's API meanwhile.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from . import crypto, custom_messages, limits
from .events import post, to_xml
from .state import FollowerMessage

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


class NoCallback(ValueError):
    """The sandbox has no callback URL to deliver to."""


def send_text(account: Account, openid: str, content: str) -> FollowerMessage:
    """Deliver a follower's text message; return it with the callback's answer."""
    with account.lock:
        now = int(account.now())
        msg_id = account.state.number()
        xml = to_xml(_head(account, openid, now, "text") | {"Content": content, "MsgId": msg_id})
        message = FollowerMessage(msg_id, openid, xml, now, "message", content)
    return _deliver(account, message)


def send_event(account: Account, openid: str, event: str, event_key: str = "") -> FollowerMessage:
    """Deliver a follower's event (``subscribe``, ``CLICK``…); return it with the answer."""
    with account.lock:
        now = int(account.now())
        fields = _head(account, openid, now, "event") | {"Event": event}
        if event_key or event == "CLICK":
            fields["EventKey"] = event_key
        kind = limits.CUSTOM_MESSAGE_EVENTS.get(event, "")
        message = FollowerMessage(account.state.number(), openid, to_xml(fields), now, kind, event)
    return _deliver(account, message)


def redeliver(account: Account, msg_id: int) -> FollowerMessage:
    """Deliver an earlier message again, as WeChat's retry does (same XML, same MsgId)."""
    with account.lock:
        found = [m for m in account.state.follower_messages if m.msg_id == msg_id]
    if not found:
        raise KeyError(f"no follower message {msg_id}")
    return _post(account, found[0])


def _head(account: Account, openid: str, now: int, msg_type: str) -> dict[str, object]:
    return {
        "ToUserName": account.settings.original_id,
        "FromUserName": openid,
        "CreateTime": now,
        "MsgType": msg_type,
    }


def _deliver(account: Account, message: FollowerMessage) -> FollowerMessage:
    if not account.settings.callback_url:
        raise NoCallback("no callback_url configured: nowhere to deliver the message")
    with account.lock:
        account.state.followers.setdefault(message.openid, set())
        account.state.follower_messages.append(message)
        custom_messages.note_interaction(account, message.openid, message.kind, message.at)
    return _post(account, message)


def _post(account: Account, message: FollowerMessage) -> FollowerMessage:
    settings = account.settings
    for attempt in range(1, settings.callback_tries + 1):
        message.tries += 1
        status, response, _, _ = post(
            settings, settings.callback_url, message.xml, message.openid, int(account.now())
        )
        message.statuses.append(status)
        if response is not None and response.status_code == 200:
            message.answer = response.text
            message.reply = _opened(account, response.text)
            return message
        if attempt < settings.callback_tries:
            time.sleep(settings.callback_retry_interval)
    logger.warning("follower message %s not answered: %s", message.msg_id, message.statuses)
    return message


def _opened(account: Account, reply: str) -> str:
    """Return a reply as the follower reads it: decrypted when sealed in safe or compatible mode."""
    if "<Encrypt>" not in reply:
        return reply
    start = reply.index("<Encrypt>") + len("<Encrypt>")
    ciphertext = reply[start : reply.index("</Encrypt>")]
    ciphertext = ciphertext.removeprefix("<![CDATA[").removesuffix("]]>")
    plaintext, _appid = crypto.decrypt(account.settings.aes_key, ciphertext)
    return plaintext.decode("utf-8")
