"""The follower callback's protocol: handshake, modes, keys, bad requests, dedupe, events.

Requests are signed and encrypted with the sandbox's own implementation of WeChat's
algorithm (wxbot.sandbox.crypto), not with the code under test.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import make_runtime
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

import wxbot.publishing
from wxbot.app import create_app
from wxbot.runtime import Runtime, get_runtime
from wxbot.sandbox import crypto
from wxbot.storage import followers, issue_links
from wxbot.wechat.events import ArticleUrl, MassSendJobFinish, PublishJobFinish
from wxbot.wechat.messages import CallbackKeys, decrypt, encrypt, parse_xml

TOKEN = "wxbot-callback-token"
APPID = "wx0123456789abcdef"
KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
OTHER_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
#: 10:00 on 26 June 2026 in Shanghai, the day after the second sample issue.
NOW = dt.datetime(2026, 6, 26, 2, 0, tzinfo=dt.UTC)


#: MsgIds are unique across followers, as WeChat's are.
_MSG_IDS = itertools.count(10**9)
#: WeChat signs each push with a fresh nonce.
_NONCES = itertools.count(1)


@dataclass
class WeChatSender:
    """Send callback requests as WeChat does: signed, in plaintext or encrypted."""

    client: FlaskClient
    token: str = TOKEN
    appid: str = APPID
    key: str = KEY
    now: dt.datetime = NOW
    openid: str = "oFollower0001"
    #: The account's callback URL: ``/wechat`` (the default account) or ``/wechat/<name>``.
    path: str = "/wechat"

    def query(
        self,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        encrypted: str | None = None,
    ) -> dict[str, str]:
        """Return a signed query string (with msg_signature when ``encrypted`` is given)."""
        ts = str(int(self.now.timestamp()) if timestamp is None else timestamp)
        nonce = nonce or f"nonce{next(_NONCES)}"
        query = {
            "signature": crypto.signature(self.token, ts, nonce),
            "timestamp": ts,
            "nonce": nonce,
            "openid": self.openid,
        }
        if encrypted is not None:
            query["encrypt_type"] = "aes"
            query["msg_signature"] = crypto.signature(self.token, ts, nonce, encrypted)
        return query

    def text_xml(self, content: str, msg_id: int | None = None, openid: str | None = None) -> str:
        """Return a follower's text message."""
        return (
            f"<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid or self.openid}]]></FromUserName>"
            f"<CreateTime>{int(self.now.timestamp())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{next(_MSG_IDS) if msg_id is None else msg_id}</MsgId></xml>"
        )

    def event_xml(self, event: str, key: str = "", create_time: int | None = None) -> str:
        """Return an event from the follower."""
        when = int(self.now.timestamp()) if create_time is None else create_time
        return (
            f"<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{when}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
        )

    def post(self, xml: str | bytes, query: dict[str, str] | None = None) -> TestResponse:
        """POST a body as is."""
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        return self.client.post(self.path, query_string=query or self.query(), data=body)

    def post_encrypted(
        self, xml: str, *, key: str | None = None, compatible: bool = False
    ) -> TestResponse:
        """POST a message encrypted with ``key`` (safe mode; ``compatible`` keeps the fields)."""
        ciphertext = crypto.encrypt(key or self.key, self.appid, xml.encode("utf-8"))
        if compatible:
            body = xml.removesuffix("</xml>") + f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
        else:
            body = (
                f"<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
                f"<Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
            )
        return self.post(body, self.query(encrypted=ciphertext))

    def send(self, content: str, **kwargs: Any) -> dict[str, Any]:
        """Send a text message in plaintext and return the reply's fields."""
        response = self.post(self.text_xml(content, **kwargs))
        assert response.status_code == 200, response.get_data(as_text=True)
        return reply_fields(response)

    def open_reply(self, response: TestResponse, key: str | None = None) -> dict[str, Any]:
        """Check an encrypted reply's signature, decrypt it, and return its fields."""
        outer = parse_xml(response.get_data())
        expected = crypto.signature(
            self.token, outer["TimeStamp"], outer["Nonce"], outer["Encrypt"]
        )
        assert outer["MsgSignature"] == expected
        plain, appid = crypto.decrypt(key or self.key, outer["Encrypt"])
        assert appid == self.appid
        return parse_xml(plain)


def reply_fields(response: TestResponse) -> dict[str, Any]:
    """Return the fields of a plaintext reply."""
    return parse_xml(response.get_data())


def wechat_config(mode: str = "plaintext", **extra: str) -> dict[str, str]:
    """Return a ``[wechat]`` table for the callback in ``mode``."""
    table = {"token": TOKEN, "appid": APPID, "message_mode": mode}
    if mode != "plaintext":
        table["encoding_aes_key"] = KEY
    return table | extra


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration with a callback token, a fixed clock and no cache delay."""
    return app_config | {
        "clock": lambda: NOW,
        "wechat": wechat_config(),
        "search": {"cache_seconds": 0.0},
        "callback": {"log_flush_seconds": 0.0},
    }


@pytest.fixture
def wechat(client: FlaskClient, archive: Runtime) -> WeChatSender:
    """Return a sender to the app, whose archive holds both sample issues."""
    return WeChatSender(client)


@pytest.fixture
def app_with(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Return a function making another app (another worker) on the same database."""
    apps: list[Flask] = []

    def make(clock: Callable[[], dt.datetime] | None = None, **sections: dict[str, Any]) -> Flask:
        config = dict(app_config)
        for name, table in sections.items():
            config[name] = dict(config.get(name, {})) | table
        if clock is not None:
            config["clock"] = clock
        apps.append(create_app(make_runtime(config)))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["wxbot.callback"].close()
        get_runtime(app).close()


def logged(runtime: Runtime) -> list[followers.LoggedMessage]:
    """Return the query log, newest first."""
    with runtime.db.begin() as conn:
        return followers.recent_messages(conn, 100)


# --- handshake and signatures ------------------------------------------------------------------


def test_handshake_answers_echostr(client: FlaskClient) -> None:
    query = WeChatSender(client).query() | {"echostr": "5837397749010387271"}
    response = client.get("/wechat", query_string=query)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "5837397749010387271"


@pytest.mark.parametrize(
    "change",
    [
        {"signature": "0" * 40},
        {"signature": ""},
        {"timestamp": "1"},
        {"nonce": "another"},
    ],
    ids=["wrong", "empty", "other-timestamp", "other-nonce"],
)
def test_handshake_with_a_bad_signature_is_forbidden(
    client: FlaskClient, change: dict[str, str]
) -> None:
    query = WeChatSender(client).query() | {"echostr": "abc"} | change
    response = client.get("/wechat", query_string=query)
    assert response.status_code == 403
    assert "abc" not in response.get_data(as_text=True)


def test_handshake_without_signature_is_forbidden(client: FlaskClient) -> None:
    assert client.get("/wechat", query_string={"echostr": "abc"}).status_code == 403


# --- the official sample vector and the AES envelope --------------------------------------------


def test_official_sample_vector() -> None:
    keys = CallbackKeys(
        token="pamtest",
        appid="wxb11529c136998cb6",
        encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        mode="safe",
    )
    vector = (
        "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
    )
    assert encrypt(keys, "我是中文abcd123", random_prefix="aaaabbbbccccdddd") == vector
    assert decrypt(keys, vector) == "我是中文abcd123"


@pytest.mark.parametrize(
    ("mode", "encrypted", "status"),
    [
        ("plaintext", False, 200),
        ("compatible", False, 200),
        ("compatible", True, 200),
        ("safe", True, 200),
        ("safe", False, 403),
    ],
)
def test_message_modes(
    app_with: Callable[..., Flask], archive: Runtime, mode: str, encrypted: bool, status: int
) -> None:
    app = app_with(wechat=wechat_config(mode))
    sender = WeChatSender(app.test_client())
    xml = sender.text_xml("软银")
    if encrypted:
        response = sender.post_encrypted(xml, compatible=mode == "compatible")
    else:
        response = sender.post(xml)
    assert response.status_code == status
    if status == 200:
        fields = sender.open_reply(response) if encrypted else reply_fields(response)
        assert fields["MsgType"] == "news"
        assert fields["ToUserName"] == sender.openid
        assert fields["Articles"]["item"]["Url"].endswith("/issues/2026-06-25")


@pytest.mark.parametrize(
    ("sent_with", "status"),
    [(KEY, 200), (OLD_KEY, 200), (OTHER_KEY, 400)],
    ids=["current-key", "previous-key", "unknown-key"],
)
def test_the_previous_key_still_opens_messages_during_rotation(
    app_with: Callable[..., Flask], archive: Runtime, sent_with: str, status: int
) -> None:
    config = wechat_config("safe", previous_encoding_aes_key=OLD_KEY)
    sender = WeChatSender(app_with(wechat=config).test_client())
    response = sender.post_encrypted(sender.text_xml("最新"), key=sent_with)
    assert response.status_code == status
    if status == 200:  # the reply is always sealed with the current key
        assert sender.open_reply(response, key=KEY)["MsgType"] == "news"


# --- bad requests ------------------------------------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
    "<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>2</MsgId></xml>"
)
PLAIN_DOCTYPE = '<!doctype xml SYSTEM "http://127.0.0.1:9/x.dtd"><xml><MsgType>text</MsgType></xml>'


def _bad_requests(sender: WeChatSender) -> list[tuple[str, dict[str, str] | None, bytes, int]]:
    good = sender.text_xml("软银").encode("utf-8")
    stale = int(NOW.timestamp()) - 3600
    return [
        ("wrong signature", sender.query() | {"signature": "f" * 40}, good, 403),
        ("no signature", {"timestamp": sender.query()["timestamp"], "nonce": "x"}, good, 403),
        ("stale timestamp", sender.query(timestamp=stale), good, 403),
        ("future timestamp", sender.query(timestamp=stale + 7200), good, 403),
        ("timestamp not a number", sender.query() | {"timestamp": "soon"}, good, 403),
        ("not XML", None, b"<xml><Content>unclosed</xml", 400),
        ("not UTF-8", None, "<xml>数据</xml>".encode("gbk"), 400),
        ("empty body, no Content-Length", None, b"", 411),
        ("no fields", None, b"<xml></xml>", 400),
        ("billion laughs", None, BILLION_LAUGHS.encode(), 400),
        ("external entity", None, EXTERNAL_ENTITY.encode(), 400),
        ("doctype", None, PLAIN_DOCTYPE.encode(), 400),
        ("over the size limit", None, b"<xml>" + b"x" * 70_000 + b"</xml>", 413),
    ]


def test_bad_requests_are_refused_and_the_next_good_one_is_served(
    wechat: WeChatSender, archive: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    for name, query, body, status in _bad_requests(wechat):
        caplog.clear()
        started = time.monotonic()
        response = wechat.post(body, query)
        assert response.status_code == status, name
        assert time.monotonic() - started < 2, name
        assert any("refused" in r.getMessage() for r in caplog.records), name
        reply = wechat.send("软银")  # the service goes on answering
        assert reply["MsgType"] == "news", name
    # only the good messages were logged
    assert {m.query for m in logged(archive)} == {"软银"}


@pytest.mark.parametrize(
    "inner",
    [
        EXTERNAL_ENTITY,
        BILLION_LAUGHS,
        "not xml at all",
    ],
    ids=["external-entity", "billion-laughs", "not-xml"],
)
def test_bad_encrypted_payloads_are_refused(
    app_with: Callable[..., Flask], archive: Runtime, inner: str
) -> None:
    sender = WeChatSender(app_with(wechat=wechat_config("safe")).test_client())
    assert sender.post_encrypted(inner).status_code == 400
    assert sender.open_reply(sender.post_encrypted(sender.text_xml("最新")))["MsgType"] == "news"


def test_a_wrong_msg_signature_is_forbidden(
    app_with: Callable[..., Flask], archive: Runtime
) -> None:
    sender = WeChatSender(app_with(wechat=wechat_config("safe")).test_client())
    ciphertext = crypto.encrypt(KEY, APPID, sender.text_xml("最新").encode())
    body = f"<xml><Encrypt><![CDATA[{ciphertext}]]></Encrypt></xml>"
    query = sender.query(encrypted=ciphertext) | {"msg_signature": "0" * 40}
    assert sender.post(body, query).status_code == 403


def test_markup_inside_a_followers_text_is_just_text(wechat: WeChatSender) -> None:
    reply = wechat.send("<!DOCTYPE x> &amp; ]]")
    assert reply["MsgType"] == "text"
    assert "没有找到" in reply["Content"]


def test_the_timestamp_window_can_be_switched_off(
    app_with: Callable[..., Flask], archive: Runtime
) -> None:
    sender = WeChatSender(app_with(callback={"timestamp_window": 0}).test_client())
    response = sender.post(sender.text_xml("最新"), sender.query(timestamp=1))
    assert response.status_code == 200


# --- dedupe ------------------------------------------------------------------------------------


def _wait_until_logged(runtime: Runtime, key: str) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with runtime.db.begin() as conn:
            if followers.count_messages(conn, key):
                return
        time.sleep(0.01)
    raise AssertionError(f"{key} was never logged")


@pytest.mark.parametrize("flush_seconds", [0.0, 0.05], ids=["written-at-once", "written-behind"])
def test_a_retry_gets_the_same_answer_and_is_logged_once(
    app_with: Callable[..., Flask], archive: Runtime, flush_seconds: float
) -> None:
    now = [NOW]
    workers = [
        app_with(clock=lambda: now[0], callback={"log_flush_seconds": flush_seconds})
        for _ in range(2)
    ]
    sender = WeChatSender(workers[0].test_client())
    xml = sender.text_xml("数据要素", msg_id=777)
    first = sender.post(xml)
    assert first.status_code == 200
    # WeChat retries after waiting 5 s; meanwhile the answer would change
    now[0] = NOW + dt.timedelta(seconds=5)
    with archive.db.begin() as conn:
        issue_links.set_article_url(conn, "2026-06-25", "https://mp.weixin.qq.com/s/x", "t", NOW)
    again_here = sender.post(xml, sender.query(nonce="retry1"))  # pending or written
    _wait_until_logged(archive, "msg:777")
    now[0] = NOW + dt.timedelta(seconds=10)
    elsewhere = (
        workers[1]
        .test_client()
        .post("/wechat", query_string=sender.query(nonce="retry2"), data=xml.encode())
    )
    assert again_here.get_data() == first.get_data()
    assert elsewhere.get_data() == first.get_data()
    assert [m.query for m in logged(archive)] == ["数据要素"]
    # a new message does see the change
    assert "mp.weixin.qq.com" in sender.send("数据要素")["Content"]


def test_an_event_retry_is_deduplicated_by_sender_and_time(wechat: WeChatSender) -> None:
    xml = wechat.event_xml("subscribe", create_time=1782439000)
    first, second = wechat.post(xml), wechat.post(xml)
    assert first.get_data() == second.get_data()
    later = wechat.post(wechat.event_xml("subscribe", create_time=1782439001))
    assert later.status_code == 200
    runtime = get_runtime(wechat.client.application)
    assert [m.query for m in logged(runtime)] == ["SUBSCRIBE", "SUBSCRIBE"]


# --- signed URLs carry one message -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "event"])
def test_a_signed_url_replayed_with_another_message_is_refused_in_every_worker(
    app_with: Callable[..., Flask], archive: Runtime, kind: str
) -> None:
    workers = [app_with() for _ in range(2)]
    sender = WeChatSender(workers[0].test_client())
    if kind == "text":
        carried, forged = sender.text_xml("最新"), sender.text_xml("数据要素")
    else:
        carried = sender.event_xml("subscribe", create_time=1782439000)
        forged = sender.event_xml("subscribe", create_time=1782439001)
    url = sender.query()
    first = sender.post(carried, url)
    assert first.status_code == 200
    # WeChat's own retry on the same URL, whichever worker it reaches: the same answer
    for worker in workers:
        retry = worker.test_client().post("/wechat", query_string=url, data=carried.encode())
        assert (retry.status_code, retry.get_data()) == (200, first.get_data())
    # the URL read from a log, carrying another message: refused by every worker
    for worker in workers:
        replay = worker.test_client().post("/wechat", query_string=url, data=forged.encode())
        assert replay.status_code == 403, replay.get_data(as_text=True)
    assert len(logged(archive)) == 1


def test_a_signed_url_is_free_again_once_its_window_has_closed(
    app_with: Callable[..., Flask], archive: Runtime
) -> None:
    now = [NOW]
    worker = app_with(clock=lambda: now[0], callback={"timestamp_window": 0.0})
    sender = WeChatSender(worker.test_client())
    url = sender.query()
    assert sender.post(sender.text_xml("最新"), url).status_code == 200
    assert sender.post(sender.text_xml("最新"), url).status_code == 403
    now[0] = NOW + dt.timedelta(days=2)  # no window: a URL stays bound for a day
    assert sender.post(sender.text_xml("最新"), url).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["<a href='tel:1'>龘靐</a>", "<b>龘靐</b>", "<b>数据</b>要素 龘靐"],
    ids=["link-found-nothing", "tags-found-nothing", "tags-listed"],
)
def test_a_followers_query_is_echoed_without_markup(wechat: WeChatSender, query: str) -> None:
    reply = wechat.send(query)
    assert reply["MsgType"] == "text", reply
    content = str(reply["Content"])
    assert "<a href='tel:1'>" not in content and "<b>" not in content
    assert "＜" in content, content


# --- events ------------------------------------------------------------------------------------

PUBLISH_FINISHED = (
    "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
    "<FromUserName><![CDATA[oOperator]]></FromUserName><CreateTime>1782439100</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event>"
    "<PublishEventInfo><publish_id>2247503051</publish_id><publish_status>0</publish_status>"
    "<article_id><![CDATA[Art_1]]></article_id><article_detail><count>2</count>"
    "<item><idx>1</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/one]]></article_url></item>"
    "<item><idx>2</idx><article_url><![CDATA[https://mp.weixin.qq.com/s/two]]></article_url></item>"
    "</article_detail></PublishEventInfo></xml>"
)
MASS_SEND_FINISHED = (
    "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
    "<FromUserName><![CDATA[oOperator]]></FromUserName><CreateTime>1782439100</CreateTime>"
    "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event>"
    "<MsgID>1000001625</MsgID><Status><![CDATA[send success]]></Status>"
    "<TotalCount>100</TotalCount><FilterCount>80</FilterCount><SentCount>75</SentCount>"
    "<ErrorCount>5</ErrorCount><CopyrightCheckResult><Count>0</Count><ResultList/>"
    "<CheckState>1</CheckState></CopyrightCheckResult><ArticleUrlResult><Count>1</Count>"
    "<ResultList><item><ArticleIdx>1</ArticleIdx>"
    "<ArticleUrl><![CDATA[https://mp.weixin.qq.com/s/mass]]></ArticleUrl></item>"
    "</ResultList></ArticleUrlResult></xml>"
)


@pytest.fixture
def handed_over(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Return the job events given to wxbot.publishing.on_wechat_event."""
    received: list[object] = []
    monkeypatch.setattr(wxbot.publishing, "on_wechat_event", lambda rt, e: received.append(e))
    return received


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (
            PUBLISH_FINISHED,
            PublishJobFinish(
                publish_id="2247503051",
                publish_status=0,
                article_id="Art_1",
                articles=(
                    ArticleUrl(1, "https://mp.weixin.qq.com/s/one"),
                    ArticleUrl(2, "https://mp.weixin.qq.com/s/two"),
                ),
                create_time=1782439100,
            ),
        ),
        (
            MASS_SEND_FINISHED,
            MassSendJobFinish(
                msg_id="1000001625",
                status="send success",
                total_count=100,
                filter_count=80,
                sent_count=75,
                error_count=5,
                articles=(ArticleUrl(1, "https://mp.weixin.qq.com/s/mass"),),
                create_time=1782439100,
            ),
        ),
    ],
    ids=["PUBLISHJOBFINISH", "MASSSENDJOBFINISH"],
)
def test_job_events_are_handed_to_publishing_once(
    wechat: WeChatSender, handed_over: list[object], xml: str, expected: object
) -> None:
    for _ in range(3):  # WeChat's three tries
        response = wechat.post(xml)
        assert response.status_code == 200
        assert response.get_data(as_text=True) == "success"
    assert handed_over == [expected]


def test_a_job_event_whose_handling_fails_is_redone_on_retry(
    wechat: WeChatSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def flaky(runtime: Runtime, event: object) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise RuntimeError("database went away")

    monkeypatch.setattr(wxbot.publishing, "on_wechat_event", flaky)
    assert wechat.post(PUBLISH_FINISHED).status_code == 500
    assert wechat.post(PUBLISH_FINISHED).get_data(as_text=True) == "success"
    assert wechat.post(PUBLISH_FINISHED).get_data(as_text=True) == "success"
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("event", "key", "check"),
    [
        ("subscribe", "", lambda f: "欢迎关注" in f["Articles"]["item"]["Description"]),
        ("CLICK", "LATEST", lambda f: f["Articles"]["item"]["Title"].startswith("6月25日")),
        ("CLICK", "HELP", lambda f: "最新" in f["Content"]),
        ("CLICK", "UNKNOWN", lambda f: "最新" in f["Content"]),  # an old menu's key: the help
        ("unsubscribe", "", None),
        ("VIEW", "https://example.com", None),
        ("LOCATION", "", None),
    ],
)
def test_events(
    wechat: WeChatSender, event: str, key: str, check: Callable[[dict[str, Any]], bool] | None
) -> None:
    response = wechat.post(wechat.event_xml(event, key))
    assert response.status_code == 200
    if check is None:
        assert response.get_data(as_text=True) == "success"
    else:
        assert check(reply_fields(response))


def test_a_message_without_text_gets_the_menu(wechat: WeChatSender) -> None:
    xml = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>oF</FromUserName>"
        "<CreateTime>1782439200</CreateTime><MsgType>image</MsgType>"
        "<PicUrl>http://x/y.jpg</PicUrl><MediaId>m</MediaId><MsgId>55</MsgId></xml>"
    )
    assert "最新" in reply_fields(wechat.post(xml))["Content"]


def test_a_voice_message_is_searched_by_its_recognised_text(wechat: WeChatSender) -> None:
    xml = (
        "<xml><ToUserName>gh</ToUserName><FromUserName>oF</FromUserName>"
        "<CreateTime>1782439200</CreateTime><MsgType>voice</MsgType><MediaId>m</MediaId>"
        "<Format>amr</Format><Recognition><![CDATA[软银]]></Recognition><MsgId>56</MsgId></xml>"
    )
    assert reply_fields(wechat.post(xml))["MsgType"] == "news"


def test_a_failed_log_write_is_retried_without_waiting_for_another_message(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wxbot.callback.message_log import MessageLog

    real_write = followers.log_messages
    failures = iter([True])

    def flaky(conn: Any, rows: Any) -> None:
        if next(failures, False):
            raise OSError("database briefly unavailable")
        real_write(conn, rows)

    monkeypatch.setattr(followers, "log_messages", flaky)
    log = MessageLog(runtime.db, 0.05)
    row = followers.LoggedMessage(
        "msg-1", "oFollower", "text", "数据要素", "search", "list", True, "[]", "<xml/>",
        dt.datetime(2026, 6, 25, tzinfo=dt.UTC),
    )  # fmt: skip
    log.record(row)
    deadline = time.monotonic() + 3
    while not logged(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)
    written = [m.dedupe_key for m in logged(runtime)]  # before close(), which flushes anyway
    log.close()
    assert written == ["msg-1"]
