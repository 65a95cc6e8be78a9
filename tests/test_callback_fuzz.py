"""Hostile traffic on ``/wechat`` in every mode: never a 5xx, never a traceback, still serving.

Hypothesis draws random bytes, random XML, random signatures and timestamps, validly signed
encrypted garbage, deep nesting and declarations in every hiding place; after each request a
real follower message must still be answered. Examples are few and derandomized, so the suite
stays quick and CI sees the same inputs every run. Requests are signed and encrypted with the
sandbox's own implementation of WeChat's algorithm (wxbot.sandbox.crypto).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import pytest
import xmltodict
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import TestResponse

from wxbot.runtime import Runtime
from wxbot.sandbox import crypto
from wxbot.storage import followers
from wxbot.wechat.messages import MAX_XML_DEPTH, parse_xml

TOKEN = "wxbot-fuzz-token"
APPID = "wx0123456789abcdef"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OTHER_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
NOW = dt.datetime(2026, 6, 26, 2, 0, tzinfo=dt.UTC)
WINDOW = 300
MODES = ("plaintext", "compatible", "safe")
#: What an expanded entity would put into a reply or the log.
MARK = "ENTITY-EXPANDED"

#: Few examples, the same every run: the suite stays quick and CI stable.
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Callback:
    """Post to ``/wechat`` as WeChat would (or would not), and check the service holds."""

    client: FlaskClient
    mode: str
    caplog: pytest.LogCaptureFixture
    nonces: Iterator[int] = field(default_factory=itertools.count)
    msg_ids: Iterator[int] = field(default_factory=lambda: itertools.count(10**9))

    def query(
        self, *, timestamp: str | None = None, ciphertext: str | None = None
    ) -> dict[str, str]:
        """Return a validly signed query, fresh nonce (``ciphertext``: with msg_signature)."""
        ts = str(int(NOW.timestamp())) if timestamp is None else timestamp
        nonce = f"n{next(self.nonces)}"
        query = {"signature": crypto.signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
        if ciphertext is not None:
            query["encrypt_type"] = "aes"
            query["msg_signature"] = crypto.signature(TOKEN, ts, nonce, ciphertext)
        return query

    def post(self, body: bytes, query: dict[str, str] | None = None) -> TestResponse:
        """POST a body as is, signed unless ``query`` is given."""
        signed = self.query() if query is None else query
        # Every HTTP client sends the length of a POST, 0 included (werkzeug's leaves 0 out).
        length = {"CONTENT_LENGTH": str(len(body))}
        return self.client.post("/wechat", query_string=signed, data=body, environ_overrides=length)

    def post_encrypted(self, payload: bytes, *, key: str = KEY, appid: str = APPID) -> TestResponse:
        """POST ``payload`` in an AES envelope, validly signed."""
        return self.post_ciphertext(crypto.encrypt(key, appid, payload))

    def post_ciphertext(self, ciphertext: str) -> TestResponse:
        """POST an ``Encrypt`` value, whatever it holds, with a valid msg_signature."""
        body = (
            f"<xml><ToUserName>gh_wxbot</ToUserName><Encrypt>{escape(ciphertext)}</Encrypt></xml>"
        )
        return self.post(body.encode("utf-8"), self.query(ciphertext=ciphertext))

    def post_message(self, payload: bytes, encrypted: bool) -> TestResponse:
        """POST a message in plaintext or encrypted."""
        return self.post_encrypted(payload) if encrypted else self.post(payload)

    def held(self, response: TestResponse, *statuses: int) -> None:
        """Check the answer was one of ``statuses``, nothing failed, and a follower is served."""
        assert response.status_code in statuses, (response.status_code, response.get_data())
        failures = [r for r in self.caplog.records if r.levelno >= logging.ERROR]
        assert not failures, [r.getMessage() for r in failures]
        self.answers_a_follower()

    def answers_a_follower(self) -> None:
        """Send a real follower's message in the mode's usual form; it gets its news reply."""
        xml = text_message("软银", next(self.msg_ids)).encode("utf-8")
        response = self.post_message(xml, encrypted=self.mode == "safe")
        assert response.status_code == 200, response.get_data()
        fields = parse_xml(response.get_data())
        if self.mode == "safe":
            plain, appid = crypto.decrypt(KEY, fields["Encrypt"])
            assert appid == APPID
            fields = parse_xml(plain)
        assert fields["MsgType"] == "news"


def text_message(content: str, msg_id: int, openid: str = "oFuzzFollower") -> str:
    """Return a follower's text message as WeChat sends it."""
    return (
        f"<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(NOW.timestamp())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{content}</Content><MsgId>{msg_id}</MsgId></xml>"
    )


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    """Return the message mode the app runs in."""
    return str(request.param)


@pytest.fixture
def app_config(app_config: dict[str, Any], mode: str) -> dict[str, Any]:
    """Return the test configuration with the callback in ``mode`` and a fixed clock."""
    wechat = {"token": TOKEN, "appid": APPID, "message_mode": mode}
    if mode != "plaintext":
        wechat["encoding_aes_key"] = KEY
    return app_config | {
        "clock": lambda: NOW,
        "wechat": wechat,
        "search": {"cache_seconds": 0.0},
        "callback": {"log_flush_seconds": 0.0, "timestamp_window": WINDOW},
    }


@pytest.fixture(autouse=True)
def no_xmltodict(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Fail if wechatpy's xmltodict parser is ever handed a request body."""
    handed: list[str] = []

    def parse(xml_input: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(repr(xml_input)[:80])
        raise AssertionError("xmltodict must not parse callback bodies")

    monkeypatch.setattr(xmltodict, "parse", parse)
    yield handed
    assert not handed


@pytest.fixture
def callback(
    client: FlaskClient, archive: Runtime, mode: str, caplog: pytest.LogCaptureFixture
) -> Callback:
    """Return a poster to the app (both samples archived), which answers a follower."""
    caplog.set_level(logging.WARNING)
    poster = Callback(client, mode, caplog)
    poster.answers_a_follower()
    return poster


def logged_queries(runtime: Runtime) -> list[str]:
    """Return every logged follower query."""
    with runtime.db.begin() as conn:
        return [m.query for m in followers.recent_messages(conn, 1000)]


# --- strategies ---------------------------------------------------------------------------------

#: The names WeChat's messages use, so that drawn documents reach the message's fields.
FIELD_NAMES = (
    "ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event",
    "EventKey", "Recognition", "Encrypt", "PublishEventInfo", "publish_id", "publish_status",
    "article_id", "article_detail", "item", "idx", "article_url", "fail_idx",
    "ArticleUrlResult", "ResultList", "ArticleIdx", "ArticleUrl", "MsgID", "Status",
    "TotalCount", "FilterCount", "SentCount", "ErrorCount",
)  # fmt: skip
MSG_TYPES = ("text", "voice", "image", "event", "link", "location")
EVENTS = ("subscribe", "unsubscribe", "CLICK", "VIEW", "PUBLISHJOBFINISH", "MASSSENDJOBFINISH")

#: Markup that is text, a reference or a mistake, never a declaration the parser may act on.
FRAGMENTS = (
    "&amp;", "&lt;", "&#x41;", "&#20013;", "&#0;", "&e;", "&", "<", ">", "]]>", "<a", "</b>",
    f"<![CDATA[<!DOCTYPE x [<!ENTITY e '{MARK}'>]>]]>", f"<!-- <!ENTITY e '{MARK}'> -->",
    "<?pi <![CDATA[ ?>", "<![CDATA[ <?pi ]]>", "<!-- ]]> -->", "\x00", "\x1b", "\uffff",
    "<!DOCTYPE x>", f"<!ENTITY e '{MARK}'>", "<![CDATA[", "-->", "?>", "软银",
)  # fmt: skip

texts = st.text(max_size=12).map(escape)
contents = st.lists(st.one_of(texts, st.sampled_from(FRAGMENTS)), max_size=2).map("".join)
tags = st.one_of(
    st.sampled_from(FIELD_NAMES), st.from_regex(r"[A-Za-z_][\w.-]{0,8}", fullmatch=True)
)


def _element(tag: str, inside: str) -> str:
    return f"<{tag}>{inside}</{tag}>"


elements = st.recursive(
    st.builds(_element, tags, contents),
    lambda inner: st.builds(
        _element, tags, st.lists(st.one_of(inner, contents), max_size=4).map("".join)
    ),
    max_leaves=12,
)


@st.composite
def messages(draw: st.DrawFn) -> str:
    """Draw a message of WeChat's shape with drawn values and extra fields."""
    fields = {
        "ToUserName": draw(st.one_of(st.just("gh_wxbot"), contents)),
        "FromUserName": draw(st.one_of(st.just("oFuzz"), contents)),
        "CreateTime": draw(st.one_of(st.integers(-(2**70), 2**70).map(str), contents)),
        "MsgType": draw(st.one_of(st.sampled_from(MSG_TYPES), contents)),
        "Event": draw(st.one_of(st.sampled_from(EVENTS), contents)),
        "MsgId": draw(st.one_of(st.integers(0, 2**64).map(str), contents)),
        "Content": draw(contents),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    parts = [_element(name, fields[name]) for name in chosen] + draw(st.lists(elements, max_size=3))
    return _element("xml", "".join(draw(st.permutations(parts))))


numbers = st.one_of(st.integers(-(2**70), 2**70).map(str), contents)


@st.composite
def job_events(draw: st.DrawFn) -> str:
    """Draw a PUBLISHJOBFINISH or MASSSENDJOBFINISH event with drawn values."""
    item = st.builds(
        lambda idx, url: _element("item", _element("idx", idx) + _element("ArticleIdx", idx) + url),
        numbers,
        st.sampled_from(["article_url", "ArticleUrl"]).flatmap(
            lambda name: contents.map(lambda url: _element(name, url))
        ),
    )
    items = "".join(draw(st.lists(item, max_size=3)))
    if draw(st.booleans()):
        event = "PUBLISHJOBFINISH"
        info = "".join(
            _element(name, draw(numbers))
            for name in ("publish_id", "publish_status", "article_id", "fail_idx")
        ) + _element("article_detail", _element("count", draw(numbers)) + items)
        body = _element("PublishEventInfo", info)
    else:
        event = "MASSSENDJOBFINISH"
        body = "".join(
            _element(name, draw(numbers))
            for name in ("MsgID", "Status", "TotalCount", "FilterCount", "SentCount", "ErrorCount")
        ) + _element("ArticleUrlResult", _element("ResultList", items))
    return _element(
        "xml",
        "<ToUserName>gh_wxbot</ToUserName><FromUserName>oFuzzOperator</FromUserName>"
        f"<CreateTime>{draw(numbers)}</CreateTime><MsgType>event</MsgType>"
        f"<Event>{event}</Event>{body}",
    )


documents = st.one_of(
    messages(),
    job_events(),
    st.builds(_element, st.just("xml"), st.lists(elements, max_size=5).map("".join)),
    elements,
    contents,
)


# --- random bytes, XML, signatures, timestamps ----------------------------------------------------


def test_random_bytes_are_refused(callback: Callback) -> None:
    @FUZZ
    @given(body=st.binary(max_size=2000), encrypted=st.booleans())
    def check(body: bytes, encrypted: bool) -> None:
        query = callback.query(ciphertext=body.hex() if encrypted else None)
        callback.held(callback.post(body, query), 400, 403)

    check()


def test_random_xml_is_answered_or_refused(callback: Callback) -> None:
    @FUZZ
    @given(document=documents, encrypted=st.booleans())
    def check(document: str, encrypted: bool) -> None:
        response = callback.post_message(document.encode("utf-8"), encrypted)
        refused_unencrypted = callback.mode == "safe" and not encrypted
        callback.held(response, *((400, 403) if refused_unencrypted else (200, 400)))

    check()


ARG_NAMES = ("signature", "timestamp", "nonce", "msg_signature", "encrypt_type", "openid")


def test_random_signatures_are_forbidden(callback: Callback) -> None:
    @FUZZ
    @given(query=st.dictionaries(st.sampled_from(ARG_NAMES), st.text(max_size=48)))
    def check(query: dict[str, str]) -> None:
        body = text_message("软银", next(callback.msg_ids)).encode("utf-8")
        callback.held(callback.post(body, query), 403)

    check()


def test_signed_timestamps_are_taken_only_within_the_window(callback: Callback) -> None:
    now = int(NOW.timestamp())

    @FUZZ
    @given(
        timestamp=st.one_of(
            st.integers(now - 3 * WINDOW, now + 3 * WINDOW).map(str),
            st.integers(-(2**70), 2**70).map(str),
            st.text(max_size=12),
        )
    )
    def check(timestamp: str) -> None:
        try:
            within = abs(int(timestamp) - now) <= WINDOW
        except ValueError:
            within = False
        xml = text_message("软银", next(callback.msg_ids)).encode("utf-8")
        if callback.mode == "safe":
            ciphertext = crypto.encrypt(KEY, APPID, xml)
            body = f"<xml><Encrypt>{ciphertext}</Encrypt></xml>".encode()
            query = callback.query(timestamp=timestamp, ciphertext=ciphertext)
        else:
            body, query = xml, callback.query(timestamp=timestamp)
        callback.held(callback.post(body, query), 200 if within else 403)

    check()


# --- encrypted garbage ---------------------------------------------------------------------------

ciphertexts = st.one_of(
    # no CR: XML reads it as LF, and the msg_signature would no longer match
    st.text(st.characters(exclude_characters="\r"), max_size=200),
    st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
    st.binary(max_size=300).map(lambda raw: crypto.encrypt(KEY, APPID, raw)),
    st.builds(
        lambda raw, appid: crypto.encrypt(KEY, appid, raw),
        st.binary(max_size=60),
        st.text(max_size=20),
    ),
    st.binary(max_size=60).map(lambda raw: crypto.encrypt(OTHER_KEY, APPID, raw)),
    st.binary(min_size=32, max_size=64).map(
        lambda raw: base64.b64encode(raw[:-1] + bytes([0])).decode()
    ),
)


def test_validly_signed_encrypted_garbage_is_refused(callback: Callback) -> None:
    @FUZZ
    @given(ciphertext=ciphertexts)
    def check(ciphertext: str) -> None:
        callback.held(callback.post_ciphertext(ciphertext), 400)

    check()


# --- deep nesting (item 5 of issue 14) ----------------------------------------------------------


def nested(depth: int) -> str:
    """Return a message whose Content holds ``depth`` nested elements."""
    return text_message("<a>" * depth + "</a>" * depth, 1)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plaintext", "encrypted"])
def test_deep_nesting_is_malformed_xml(callback: Callback, encrypted: bool) -> None:
    if callback.mode == "safe" and not encrypted:
        pytest.skip("safe mode refuses plaintext messages")
    if callback.mode == "plaintext" and encrypted:
        pytest.skip("plaintext mode opens no encrypted payload")
    response = callback.post_message(nested(5000).encode("utf-8"), encrypted)
    assert response.status_code == 400
    assert "malformed XML" in response.get_data(as_text=True)
    callback.held(response, 400)


def test_nesting_of_any_depth_is_answered_or_refused(callback: Callback) -> None:
    @FUZZ
    @given(depth=st.integers(0, 4000), encrypted=st.booleans())
    def check(depth: int, encrypted: bool) -> None:
        encrypted = {"plaintext": False, "compatible": encrypted, "safe": True}[callback.mode]
        response = callback.post_message(nested(depth).encode("utf-8"), encrypted)
        # <xml> and <Content> are two levels above the nested ones
        callback.held(response, 200 if depth + 2 <= MAX_XML_DEPTH else 400)

    check()


# --- declarations in every hiding place (item 6 of issue 14) ------------------------------------

DECLARATIONS = {
    "internal entity": f'<!DOCTYPE xml [<!ENTITY e "{MARK}">]>',
    "parameter entity": f"<!DOCTYPE xml [<!ENTITY % p \"<!ENTITY e '{MARK}'>\"> %p;]>",
    "external entity": '<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
    "external DTD": '<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/x.dtd">',
    "public DTD": '<!DOCTYPE xml PUBLIC "-//x//y" "http://127.0.0.1:9/x.dtd">',
    "billion laughs": (
        f'<!DOCTYPE xml [<!ENTITY l "{MARK}"><!ENTITY e "&l;&l;&l;&l;&l;&l;&l;&l;&l;&l;">]>'
    ),
    "bare entity": f'<!ENTITY e "{MARK}">',
    "lower-case doctype": f'<!doctype xml [<!ENTITY e "{MARK}">]>',
}
#: Where a declaration can stand before the root, each wrapping ``{}``.
HIDING_PLACES = {
    "first": "{}",
    "after the XML declaration": '<?xml version="1.0" encoding="UTF-8"?>{}',
    "after a byte-order mark": "\ufeff{}",
    "after a comment": "<!-- a comment -->{}",
    "after a processing instruction": "<?wx x?>\n{}",
    "between PIs hiding it as CDATA": "<?a <![CDATA[ ?>{}<?b ]]> ?>",
    "between PIs hiding it as a comment": "<?a <!-- ?>{}<?b --> ?>",
    "after a comment hiding CDATA": "<!-- <![CDATA[ -->{}<!-- ]]> -->",
    "after a comment with a bad end": "<!-- --!>{}",
}
CARRIERS = ("body", "encrypted payload", "outer body of an encrypted message")


def hostile(prefix: str) -> str:
    """Return a text message after ``prefix`` whose Content refers to the entity ``e``."""
    return prefix + text_message("&e;", 77)


def post_hostile(callback: Callback, document: str, carrier: str) -> TestResponse:
    """POST ``document`` as the body, inside the AES envelope, or around a good envelope."""
    if carrier == "body":
        return callback.post(document.encode("utf-8"))
    if carrier == "encrypted payload":
        return callback.post_encrypted(document.encode("utf-8"))
    ciphertext = crypto.encrypt(KEY, APPID, text_message("软银", 78).encode("utf-8"))
    outer = document.replace("</xml>", f"<Encrypt>{ciphertext}</Encrypt></xml>")
    return callback.post(outer.encode("utf-8"), callback.query(ciphertext=ciphertext))


def test_the_reported_scanner_bypass_is_refused(callback: Callback, archive: Runtime) -> None:
    carrier = "encrypted payload" if callback.mode == "safe" else "body"
    document = hostile(f'<?a <![CDATA[ ?><!DOCTYPE xml [<!ENTITY e "{MARK}">]><?b ]]> ?>')
    response = post_hostile(callback, document, carrier)
    assert response.status_code == 400
    assert MARK not in response.get_data(as_text=True)
    callback.held(response, 400)
    assert not any(MARK in query for query in logged_queries(archive))


def test_declarations_are_refused_wherever_they_hide(callback: Callback) -> None:
    opened = {
        "plaintext": ("body", "outer body of an encrypted message"),
        "compatible": CARRIERS,
        "safe": ("encrypted payload",),
    }[callback.mode]
    for carrier, place, declaration in itertools.product(opened, HIDING_PLACES, DECLARATIONS):
        prefix = HIDING_PLACES[place].format(DECLARATIONS[declaration])
        response = post_hostile(callback, hostile(prefix), carrier)
        case = (declaration, place, carrier, response.get_data(as_text=True))
        assert response.status_code == 400, case
        assert MARK not in response.get_data(as_text=True), case
        callback.held(response, 400)


misc = st.one_of(
    st.sampled_from(sorted(HIDING_PLACES.values())).map(lambda place: place.format("")),
    st.builds(lambda text: f"<!--{text}-->", st.sampled_from(["", " <![CDATA[ ", " ]]> ", "?>"])),
    st.builds(lambda text: f"<?pi {text}?>", st.sampled_from(["", "<![CDATA[", "]]>", "<!--"])),
    st.sampled_from([" ", "\n", "\t"]),
)


def test_drawn_prologs_never_let_a_declaration_through(callback: Callback) -> None:
    @FUZZ
    @given(
        before=st.lists(misc, max_size=4),
        after=st.lists(misc, max_size=4),
        declaration=st.sampled_from(sorted(DECLARATIONS.values())),
        encrypted=st.booleans(),
    )
    def check(before: list[str], after: list[str], declaration: str, encrypted: bool) -> None:
        document = hostile("".join(before) + declaration + "".join(after))
        response = callback.post_message(document.encode("utf-8"), encrypted)
        assert MARK not in response.get_data(as_text=True)
        refused_unencrypted = callback.mode == "safe" and not encrypted
        callback.held(response, *((400, 403) if refused_unencrypted else (400,)))

    check()
