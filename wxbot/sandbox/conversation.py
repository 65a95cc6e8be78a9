"""A follower's messages and events POSTed to the callback, and the passive replies read back.

What a follower's phone does, so wxbot can be tried without one. The message XML follows
接收普通消息 (text, with MsgId) and 接收事件推送 (subscribe, unsubscribe, CLICK, VIEW):
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_event_pushes.html
It is signed — and in compatible or safe mode encrypted — and delivered by
:mod:`.follower_messages`, as WeChat does; the passive reply (被动回复用户消息: text or news,
encrypted in safe mode) is checked and read as WeChat would:
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from . import crypto, follower_messages

if TYPE_CHECKING:
    from .account import Account
    from .state import CustomMessage

#: What WeChat shows a follower when the account's answer is missing or unusable.
UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"

#: What a follower can send besides text: the events their taps make, by their documented names.
EVENTS = {"subscribe": "subscribe", "unsubscribe": "unsubscribe", "click": "CLICK", "view": "VIEW"}

#: Reply bodies that mean "no reply" (回复空串或success).
SILENT = ("", "success")

_LINK = re.compile(r"""<a\s+href=(["'])(.*?)\1\s*>(.*?)</a>""", re.DOTALL | re.IGNORECASE)


class ChatError(ValueError):
    """A message the simulator cannot send (unknown follower, not following, bad kind)."""


@dataclass
class Exchange:
    """One message sent to the callback and what came back.

    ``replies`` are the bubbles the follower sees; ``problem`` says why WeChat would show
    :data:`UNAVAILABLE` instead (no callback, a timeout, a reply it cannot use).
    """

    kind: str
    request_xml: str
    msg_id: int | None = None
    tries: int = 0
    statuses: list[str] = field(default_factory=list)
    reply_xml: str = ""
    replies: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the exchange as the chat page reads it."""
        return {
            "kind": self.kind,
            "msg_id": self.msg_id,
            "tries": self.tries,
            "statuses": self.statuses,
            "request": self.request_xml,
            "reply": self.reply_xml,
            "replies": self.replies,
            "notice": UNAVAILABLE if self.problem else "",
            "problem": self.problem,
        }


def check(account: Account, openid: str, kind: str, value: str = "") -> None:
    """Refuse what a follower could not send.

    :raises ChatError: for an unknown kind, an empty text, key or URL, or someone who does
        not follow the account (only followers write, tap the menu or unsubscribe).
    """
    if kind not in EVENTS and kind != "text":
        raise ChatError(f"kind must be one of text, {', '.join(EVENTS)}, not {kind!r}")
    with account.lock:
        following = openid in account.state.followers
    if kind != "subscribe" and not following:
        raise ChatError(f"{openid} does not follow the account: subscribe first")
    if kind in ("text", "click", "view") and not value.strip():
        raise ChatError(f"a {kind} needs {'some text' if kind == 'text' else 'a key or URL'}")


def send(account: Account, openid: str, kind: str, value: str = "") -> Exchange:
    """Send a follower's message or event to the callback as WeChat does; read the reply.

    ``value``: the text, the CLICK key or the VIEW URL. Delivery is
    :mod:`.follower_messages`' (WeChat's tries, the customer-service window it opens);
    subscribing makes ``openid`` a follower and unsubscribing forgets it, as the platform's
    follower list does.

    :raises ChatError: when the message cannot be sent (see :func:`check`).
    """
    check(account, openid, kind, value)
    try:
        if kind == "text":
            message = follower_messages.send_text(account, openid, value)
        else:
            message = follower_messages.send_event(account, openid, EVENTS[kind], value)
    except follower_messages.NoCallback as exc:
        return Exchange(kind, "", problem=str(exc))
    except ValueError as exc:  # a sealed reply that does not open
        return Exchange(kind, "", problem=f"the encrypted reply does not open: {exc}")
    finally:
        if kind == "unsubscribe":
            with account.lock:
                account.state.followers.pop(openid, None)
    exchange = Exchange(
        kind,
        message.xml,
        msg_id=message.msg_id if kind == "text" else None,
        tries=message.tries,
        statuses=message.statuses,
    )
    if message.statuses[-1:] != ["200"]:
        exchange.problem = f"no answer after {message.tries} tries: {', '.join(message.statuses)}"
        return exchange
    exchange.reply_xml = message.answer
    _read_reply(account, exchange, message.answer.encode("utf-8"), openid)
    return exchange


def _read_reply(account: Account, exchange: Exchange, body: bytes, openid: str) -> None:
    try:
        reply = read_reply(account, body, openid)
    except ReplyError as exc:
        exchange.problem = str(exc)
        return
    if reply is not None:
        exchange.reply_xml = reply[0]
        exchange.replies.append(reply[1])


class ReplyError(ValueError):
    """A passive reply WeChat would not show (bad XML, signature, addressee, type)."""


def read_reply(account: Account, body: bytes, openid: str) -> tuple[str, dict[str, Any]] | None:
    """Return a passive reply's plaintext XML and the bubble it makes; None for no reply.

    In safe mode the reply must come encrypted, with a good MsgSignature; in compatible mode
    either; in plaintext mode in the clear.

    :raises ReplyError: naming what WeChat would not accept.
    """
    text = body.decode("utf-8", errors="replace").strip()
    if text in SILENT:
        return None
    fields = _fields(text)
    settings = account.settings
    if "Encrypt" in fields:
        if settings.mode == "plaintext":
            raise ReplyError("an encrypted reply in plaintext mode")
        text = _open(account, fields)
        fields = _fields(text)
    elif settings.mode == "safe":
        raise ReplyError("a plaintext reply in safe mode")
    if fields.get("ToUserName") != openid:
        raise ReplyError(f"the reply is addressed to {fields.get('ToUserName')!r}, not {openid}")
    if fields.get("FromUserName") != settings.original_id:
        raise ReplyError(f"the reply comes from {fields.get('FromUserName')!r}")
    return text, bubble(fields)


def _open(account: Account, fields: dict[str, Any]) -> str:
    settings = account.settings
    token = settings.token.get_secret_value()
    ciphertext = str(fields["Encrypt"])
    expected = crypto.signature(
        token, str(fields.get("TimeStamp", "")), str(fields.get("Nonce", "")), ciphertext
    )
    if fields.get("MsgSignature") != expected:
        raise ReplyError("the encrypted reply's MsgSignature is missing or wrong")
    try:
        message, appid = crypto.decrypt(settings.aes_key, ciphertext)
    except crypto.CryptoError as exc:
        raise ReplyError(f"the encrypted reply does not open: {exc}") from None
    if appid != settings.appid:
        raise ReplyError(f"the encrypted reply is for appid {appid!r}")
    return message.decode("utf-8", errors="replace")


def _fields(text: str) -> dict[str, Any]:
    """Return the root's children: text, or for ``Articles`` the list of its items' fields."""
    try:
        root = fromstring(text, forbid_dtd=True)
    except (ET.ParseError, DefusedXmlException) as exc:
        raise ReplyError(f"the reply is not XML: {exc}") from None
    fields: dict[str, Any] = {}
    for child in root:
        if child.tag == "Articles":
            fields["Articles"] = [{f.tag: (f.text or "") for f in item} for item in child]
        else:
            fields[child.tag] = (child.text or "").strip()
    return fields


def bubble(fields: dict[str, Any]) -> dict[str, Any]:
    """Return what a passive reply shows: a text bubble with links, or article cards.

    :raises ReplyError: for a type this simulator does not show, or a news reply whose
        ArticleCount does not match its items.
    """
    msg_type = fields.get("MsgType", "")
    if msg_type == "text":
        return {"type": "text", "segments": text_segments(fields.get("Content", ""))}
    if msg_type == "news":
        items = fields.get("Articles", [])
        if str(len(items)) != fields.get("ArticleCount"):
            raise ReplyError(f"ArticleCount {fields.get('ArticleCount')!r} for {len(items)} items")
        return {"type": "news", "articles": [_card(item) for item in items]}
    raise ReplyError(f"the simulator does not show {msg_type or 'untyped'} replies")


def late_bubble(message: CustomMessage) -> dict[str, Any]:
    """Return what a customer-service message (客服消息: text or news) shows the follower."""
    body = message.body
    if message.msgtype == "text":
        return {"type": "text", "segments": text_segments(str(body.get("content", "")))}
    if message.msgtype == "news":
        articles = [a for a in body.get("articles", []) if isinstance(a, dict)]
        keys = {"title": "Title", "description": "Description", "picurl": "PicUrl", "url": "Url"}
        cards = [_card({keys[k]: str(v) for k, v in a.items() if k in keys}) for a in articles]
        return {"type": "news", "articles": cards}
    return {"type": "text", "segments": [{"text": f"[{message.msgtype}]"}]}


def _card(item: dict[str, str]) -> dict[str, str]:
    return {
        "title": item.get("Title", ""),
        "description": item.get("Description", ""),
        "picurl": _web_url(item.get("PicUrl", "")),
        "url": _web_url(item.get("Url", "")),
    }


def text_segments(text: str) -> list[dict[str, str]]:
    """Split a text reply into plain runs and ``<a href>`` links, the only markup WeChat shows."""
    segments: list[dict[str, str]] = []
    at = 0
    for match in _LINK.finditer(text):
        href = _web_url(match.group(2))
        if not href:  # not a web link: shown as typed
            continue
        if match.start() > at:
            segments.append({"text": text[at : match.start()]})
        segments.append({"text": match.group(3), "href": href})
        at = match.end()
    if at < len(text):
        segments.append({"text": text[at:]})
    return segments


def _web_url(url: str) -> str:
    url = url.strip()
    return url if url.lower().startswith(("http://", "https://")) else ""
