"""The follower callback's wire format: signatures, AES envelopes, message XML and reply XML.

https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html

The only module of the callback that imports wechatpy (its signer and AES cipher, never its
xmltodict message parser). XML, outside and inside the AES envelope, is parsed by expat through
defusedxml with DTDs, entity declarations and external references refused wherever they sit,
so no entity is ever expanded; elements are built without recursion, to a bounded depth.
"""

from __future__ import annotations

import base64
import hmac
import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from wechatpy.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

from ..errors import WxbotError
from .events import ArticleUrl, JobEvent, MassSendJobFinish, PublishJobFinish

logger = logging.getLogger(__name__)

#: A passive news reply to a follower's message carries one article (since 2018).
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
NEWS_REPLY_MAX_ARTICLES = 1

#: WeChat waits 5 s for an answer before it retries (3 tries in all).
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
RETRY_AFTER_SECONDS = 5
#: How far WeChat's clock and ours may disagree (both keep NTP time).
CLOCK_SKEW_SECONDS = 3
#: A message whose CreateTime is younger than this is its first delivery, not a retry.
FIRST_DELIVERY_SECONDS = RETRY_AFTER_SECONDS - CLOCK_SKEW_SECONDS

#: What "success" means to WeChat: no reply, and no retry.
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Receiving_standard_messages.html
SILENT_REPLY = "success"


class CallbackRejected(WxbotError):
    """A request the callback refuses; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class BadSignature(CallbackRejected):
    """The signature or msg_signature is missing or wrong."""

    status = 403


class StaleRequest(CallbackRejected):
    """The timestamp is outside the accepted window (a replay, or a clock far off)."""

    status = 403


class BodyTooLarge(CallbackRejected):
    """The body is over the configured limit."""

    status = 413


class MalformedMessage(CallbackRejected):
    """The body is not a WeChat message: bad XML, a DTD, bad ciphertext, missing fields."""

    status = 400


@dataclass(frozen=True)
class CallbackKeys:
    """What the callback verifies and decrypts with (``[wechat]`` token, appid, keys, mode)."""

    token: str
    appid: str = ""
    encoding_aes_key: str = ""
    previous_encoding_aes_key: str = ""
    mode: str = "plaintext"  # plaintext | compatible | safe

    @property
    def aes_keys(self) -> tuple[str, ...]:
        """Return the keys to try, current first."""
        return tuple(k for k in (self.encoding_aes_key, self.previous_encoding_aes_key) if k)


@dataclass(frozen=True)
class Message:
    """A follower's message or an event, as plain data."""

    to_user: str
    from_user: str
    create_time: int
    msg_type: str  # text | image | voice | event | …
    msg_id: str = ""
    content: str = ""  # a text message's text, or a voice message's recognised text
    event: str = ""  # upper-cased: SUBSCRIBE, CLICK, PUBLISHJOBFINISH…
    event_key: str = ""
    job: JobEvent | None = None

    @property
    def dedupe_key(self) -> str:
        """Return what identifies this message across WeChat's retries.

        MsgId for messages; for events FromUserName + CreateTime, plus the event's name so
        that two job events in the same second stay apart.
        """
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.from_user}:{self.create_time}:{self.event}"


@dataclass(frozen=True)
class Envelope:
    """A verified, opened request: the message and whether it came encrypted."""

    message: Message
    encrypted: bool


def signature(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """Return sha1 over the sorted, joined token, timestamp, nonce (and ``Encrypt``)."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return str(signer.signature)


def verify_signature(keys: CallbackKeys, args: Mapping[str, str]) -> None:
    """Check the query's ``signature``.

    :raises BadSignature: when it is missing or does not match.
    """
    given = args.get("signature", "")
    expected = signature(keys.token, args.get("timestamp", ""), args.get("nonce", ""))
    if not keys.token or not given or not _same(given, expected):
        raise BadSignature("signature missing or wrong")


def _same(given: str, expected: str) -> bool:
    """Compare in constant time; a signature may hold any character a query can carry."""
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def check_timestamp(args: Mapping[str, str], now: float, window: float) -> None:
    """Check the query's ``timestamp`` is within ``window`` seconds of ``now`` (0 = any).

    :raises StaleRequest: when it is outside the window or not a number.
    """
    if window <= 0:
        return
    try:
        timestamp = int(args.get("timestamp", ""))
    except ValueError:
        raise StaleRequest("timestamp is not a number") from None
    if abs(now - timestamp) > window:
        raise StaleRequest(f"timestamp {timestamp} is {now - timestamp:+.0f} s from now")


def open_request(
    keys: CallbackKeys, args: Mapping[str, str], body: bytes, *, signature_checked: bool = False
) -> Envelope:
    """Verify and open a POSTed message in the configured mode.

    ``signature_checked``: the caller has already checked ``signature`` (not msg_signature).

    :raises CallbackRejected: for a bad signature, a plaintext message in safe mode, a body
        that is not a message, or ciphertext no configured key opens.
    """
    if not signature_checked:
        verify_signature(keys, args)
    fields = parse_xml(body)
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    if keys.mode == "safe" and not encrypted:
        raise BadSignature("safe mode takes encrypted messages only")
    if encrypted and keys.mode != "plaintext":
        ciphertext = fields.get("Encrypt")
        if not isinstance(ciphertext, str) or not ciphertext:
            raise MalformedMessage("encrypted message without Encrypt")
        given = args.get("msg_signature", "")
        expected = signature(
            keys.token, args.get("timestamp", ""), args.get("nonce", ""), ciphertext
        )
        if not given or not _same(given, expected):
            raise BadSignature("msg_signature missing or wrong")
        fields = parse_xml(decrypt(keys, ciphertext).encode("utf-8"))
        return Envelope(message_from_fields(fields), encrypted=True)
    return Envelope(message_from_fields(fields), encrypted=False)


def decrypt(keys: CallbackKeys, ciphertext: str) -> str:
    """Return the message inside an ``Encrypt`` value, trying the current key, then the previous.

    :raises MalformedMessage: when no configured key opens it for the configured appid.
    """
    if not keys.aes_keys:
        raise MalformedMessage("encrypted message but no EncodingAESKey configured")
    for number, key in enumerate(keys.aes_keys):
        try:
            plain = PrpCrypto(_aes_key(key)).decrypt(ciphertext, keys.appid)
        except Exception:  # wechatpy raises anything from ValueError to its own AppId error
            continue
        if number:
            logger.info("callback: message opened with the previous EncodingAESKey")
        return str(plain)
    raise MalformedMessage("no configured EncodingAESKey opens the message")


class _FixedPrefix(PrpCrypto):
    def __init__(self, key: bytes, prefix: str) -> None:
        super().__init__(key)
        self.prefix = prefix

    def get_random_string(self) -> str:
        return self.prefix


def encrypt(keys: CallbackKeys, text: str, random_prefix: str | None = None) -> str:
    """Return ``text`` encrypted with the current key, as an ``Encrypt`` value.

    ``random_prefix`` (16 characters) replaces the random bytes, to check a known vector.
    """
    key = _aes_key(keys.encoding_aes_key)
    crypto = PrpCrypto(key) if random_prefix is None else _FixedPrefix(key, random_prefix)
    encrypted = crypto.encrypt(text, keys.appid)
    return encrypted.decode("ascii") if isinstance(encrypted, bytes) else str(encrypted)


def _aes_key(encoding_aes_key: str) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def open_echo(keys: CallbackKeys, args: Mapping[str, str]) -> str:
    """Verify a GET handshake and return the ``echostr`` to answer with.

    :raises BadSignature: when the signature is missing or wrong.
    """
    verify_signature(keys, args)
    return args.get("echostr", "")


def seal(keys: CallbackKeys, reply_xml: str, nonce: str, timestamp: int | None = None) -> str:
    """Return ``reply_xml`` encrypted and signed as a reply to an encrypted message."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    encrypt_text = encrypt(keys, reply_xml)
    sign = signature(keys.token, stamp, nonce, encrypt_text)
    return (
        f"<xml><Encrypt><![CDATA[{encrypt_text}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{sign}]]></MsgSignature>"
        f"<TimeStamp>{stamp}</TimeStamp><Nonce><![CDATA[{_cdata(nonce)}]]></Nonce></xml>"
    )


# --- XML in -----------------------------------------------------------------------------------


#: How deep WeChat nests a message's elements: ``<xml>`` and its fields are 2 levels, the
#: deepest (a PUBLISHJOBFINISH's ``PublishEventInfo/article_detail/item/idx``, a
#: MASSSENDJOBFINISH's ``ArticleUrlResult/ResultList/item/ArticleIdx``) 5. Anything deeper is
#: not a WeChat message, and is refused before it is built.
MAX_XML_DEPTH = 8


def parse_xml(body: bytes) -> dict[str, Any]:
    """Return the children of a message's root element as data (repeated names as lists).

    :raises MalformedMessage: for a body that is not UTF-8, holds a DTD, is nested deeper than
        ``MAX_XML_DEPTH`` or is not XML.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedMessage("body is not UTF-8") from None
    builder = _FieldsBuilder()
    # expat reports a DOCTYPE, an entity declaration or an external reference wherever it
    # sits, and defusedxml refuses each as it is reported: nothing is declared or expanded.
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(text)
        parser.close()
    except DefusedXmlException:
        raise MalformedMessage(
            "malformed XML: DTDs and entity declarations are not accepted"
        ) from None
    except ET.ParseError as exc:
        raise MalformedMessage(f"malformed XML: {exc}") from None
    if not isinstance(builder.root, dict):
        raise MalformedMessage("the root element has no fields")
    return builder.root


class _FieldsBuilder:
    """Build the data of a document as expat reports its elements, with no recursion.

    An element with children becomes a dict (a repeated name collects a list), one without
    becomes its text. Nesting deeper than ``MAX_XML_DEPTH`` stops the parse at once.
    """

    def __init__(self) -> None:
        self.root: dict[str, Any] | str | None = None
        self._open: list[tuple[str, dict[str, Any], list[str]]] = []

    def start(self, tag: str, attrib: Mapping[str, str]) -> None:
        if len(self._open) >= MAX_XML_DEPTH:
            raise MalformedMessage(f"malformed XML: nested deeper than {MAX_XML_DEPTH} levels")
        self._open.append((tag, {}, []))

    def data(self, text: str) -> None:
        if self._open:
            self._open[-1][2].append(text)

    def end(self, tag: str) -> None:
        _, children, texts = self._open.pop()
        value: dict[str, Any] | str = children if children else "".join(texts)
        if not self._open:
            self.root = value
            return
        siblings = self._open[-1][1]
        if tag in siblings:
            known = siblings[tag]
            siblings[tag] = [*known, value] if isinstance(known, list) else [known, value]
        else:
            siblings[tag] = value

    def close(self) -> dict[str, Any] | str | None:
        return self.root


def message_from_fields(fields: Mapping[str, Any]) -> Message:
    """Return the message the fields of a callback body describe.

    :raises MalformedMessage: when a required field is missing.
    """
    try:
        msg_type = _text(fields, "MsgType").lower()
        create_time = int(_text(fields, "CreateTime") or 0)
        to_user, from_user = _text(fields, "ToUserName"), _text(fields, "FromUserName")
    except (KeyError, ValueError) as exc:
        raise MalformedMessage(f"missing or bad field {exc}") from None
    if not msg_type or not from_user:
        raise MalformedMessage("missing MsgType or FromUserName")
    content = _text(fields, "Content")
    if msg_type == "voice":
        content = _text(fields, "Recognition")
    event = _text(fields, "Event").upper() if msg_type == "event" else ""
    job: JobEvent | None = None
    if event == "PUBLISHJOBFINISH":
        job = _publish_job(fields, create_time)
    elif event == "MASSSENDJOBFINISH":
        job = _mass_send_job(fields, create_time)
    return Message(
        to_user=to_user,
        from_user=from_user,
        create_time=create_time,
        msg_type=msg_type,
        msg_id="" if msg_type == "event" else _text(fields, "MsgId"),
        content=content,
        event=event,
        event_key=_text(fields, "EventKey"),
        job=job,
    )


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    return value if isinstance(value, list) else [value]


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def _publish_job(fields: Mapping[str, Any], create_time: int) -> PublishJobFinish:
    info = fields.get("PublishEventInfo")
    if not isinstance(info, dict):
        raise MalformedMessage("PUBLISHJOBFINISH without PublishEventInfo")
    detail = info.get("article_detail")
    items = _as_list(detail.get("item")) if isinstance(detail, dict) else []
    return PublishJobFinish(
        publish_id=_text(info, "publish_id"),
        publish_status=_int(info.get("publish_status"), -1),
        article_id=_text(info, "article_id"),
        articles=tuple(
            ArticleUrl(_int(i.get("idx")), _text(i, "article_url"))
            for i in items
            if isinstance(i, dict)
        ),
        fail_idx=tuple(_int(i) for i in _as_list(info.get("fail_idx")) if isinstance(i, str)),
        create_time=create_time,
    )


def _mass_send_job(fields: Mapping[str, Any], create_time: int) -> MassSendJobFinish:
    result = fields.get("ArticleUrlResult")
    listing = result.get("ResultList") if isinstance(result, dict) else None
    items = _as_list(listing.get("item")) if isinstance(listing, dict) else []
    return MassSendJobFinish(
        msg_id=_text(fields, "MsgID") or _text(fields, "MsgId"),
        status=_text(fields, "Status"),
        total_count=_int(fields.get("TotalCount")),
        filter_count=_int(fields.get("FilterCount")),
        sent_count=_int(fields.get("SentCount")),
        error_count=_int(fields.get("ErrorCount")),
        articles=tuple(
            ArticleUrl(_int(i.get("ArticleIdx")), _text(i, "ArticleUrl"))
            for i in items
            if isinstance(i, dict)
        ),
        create_time=create_time,
    )


# --- XML out ----------------------------------------------------------------------------------


def _cdata(text: str) -> str:
    return text.replace("]]>", "]]]]><![CDATA[>")


def _header(message: Message, msg_type: str, create_time: int) -> str:
    return (
        f"<ToUserName><![CDATA[{_cdata(message.from_user)}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(message.to_user)}]]></FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
    )


def text_reply(message: Message, content: str, create_time: int) -> str:
    """Return the XML of a text reply to ``message``."""
    return (
        f"<xml>{_header(message, 'text', create_time)}"
        f"<Content><![CDATA[{_cdata(content)}]]></Content></xml>"
    )


def news_reply(
    message: Message, title: str, description: str, picurl: str, url: str, create_time: int
) -> str:
    """Return the XML of a one-article news reply to ``message``."""
    return (
        f"<xml>{_header(message, 'news', create_time)}"
        f"<ArticleCount>{NEWS_REPLY_MAX_ARTICLES}</ArticleCount><Articles><item>"
        f"<Title><![CDATA[{_cdata(title)}]]></Title>"
        f"<Description><![CDATA[{_cdata(description)}]]></Description>"
        f"<PicUrl><![CDATA[{_cdata(picurl)}]]></PicUrl>"
        f"<Url><![CDATA[{_cdata(url)}]]></Url>"
        f"</item></Articles></xml>"
    )
