"""The chat simulator: a follower's messages go through wxbot's real callback; replies come back.

Each test runs wxbot over HTTP on loopback with the sample issues, and a sandbox whose
callback_url points at it, in the message mode the test names.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import serving, wait_for

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.demo import free_port
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_ORIGINAL_ID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
    crypto,
)
from wxbot.sandbox.chat import menu_buttons
from wxbot.sandbox.conversation import (
    UNAVAILABLE,
    ReplyError,
    read_reply,
    text_segments,
)
from wxbot.sandbox.events import to_xml
from wxbot.sandbox.testing import EventSink, SandboxApi

NEWCOMER = "oSbx000000000000000000000004"  # the one the page offers after the 3 followers
FOLLOWER = "oSbx000000000000000000000001"


class Chat:
    """A follower's side of the chat page: the JSON endpoints the page calls."""

    def __init__(self, sandbox: SandboxServer, wxbot_url: str) -> None:
        self.sandbox = sandbox
        self.url = f"{sandbox.base_url}/sandbox/chat"
        self.wxbot_url = wxbot_url

    def session(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/session", timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def inbox(self, openid: str, since: int = 0) -> dict[str, Any]:
        response = requests.get(
            f"{self.url}/inbox", params={"openid": openid, "since": since}, timeout=10
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def send(self, openid: str, kind: str, value: str = "", status: int = 200) -> dict[str, Any]:
        response = requests.post(
            f"{self.url}/send", json={"openid": openid, "kind": kind, "value": value}, timeout=30
        )
        assert response.status_code == status, response.text
        return dict(response.json())


@pytest.fixture
def chat_factory(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> Iterator[Callable[..., Chat]]:
    """Return a function serving wxbot and a sandbox that calls it back in a message mode."""
    served = ExitStack()

    def start(
        mode: str = "safe", wxbot_token: str = SANDBOX_TOKEN, **sections: dict[str, Any]
    ) -> Chat:
        port = free_port("127.0.0.1")
        base_url = f"http://127.0.0.1:{port}"
        sandbox = sandbox_factory(callback_url=f"{base_url}/wechat", message_mode=mode)
        config = (
            app_config
            | {
                "server": {**app_config["server"], "public_base_url": base_url},
                "wechat": {
                    "appid": SANDBOX_APPID,
                    "secret": SANDBOX_SECRET,
                    "token": wxbot_token,
                    "encoding_aes_key": SANDBOX_AES_KEY,
                    "message_mode": mode,
                    "api_base_url": sandbox.base_url,
                    "retry_backoff": 0.01,
                },
            }
            | sections
        )
        runtime = runtime_factory(config)
        assert all(r.ok for r in ingest_paths(runtime, sample_issues()))
        served.enter_context(serving(create_app(runtime), port))
        return Chat(sandbox, base_url)

    with served:
        yield start


def text_of(reply: dict[str, Any]) -> str:
    assert reply["type"] == "text", reply
    return "".join(part["text"] for part in reply["segments"])


def links_of(reply: dict[str, Any]) -> list[str]:
    return [part["href"] for part in reply["segments"] if "href" in part]


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
def test_a_follower_subscribes_searches_and_opens_an_issue(
    chat_factory: Callable[..., Chat], mode: str
) -> None:
    chat = chat_factory(mode)
    people = chat.session()["followers"]
    assert people[-1] == {"openid": NEWCOMER, "following": False}

    welcome = chat.send(NEWCOMER, "subscribe")
    [greeting] = welcome["replies"]
    [latest] = greeting["articles"]
    assert latest["description"].startswith("欢迎关注")
    assert latest["url"] == f"{chat.wxbot_url}/issues/2026-06-25"
    assert {"openid": NEWCOMER, "following": True} in chat.session()["followers"]

    listed = chat.send(NEWCOMER, "text", "数据要素")
    [found] = listed["replies"]
    assert text_of(found).startswith("与“数据要素”相关的日报：\n1. ")
    first_link = links_of(found)[0]

    picked = chat.send(NEWCOMER, "text", "1")
    [news] = picked["replies"]
    assert news["type"] == "news"
    [card] = news["articles"]
    assert card["url"] == first_link
    assert card["title"] and card["description"]
    assert requests.get(card["picurl"], timeout=10).headers["Content-Type"] == "image/jpeg"
    article = requests.get(card["url"], timeout=10)
    assert article.status_code == 200
    assert card["title"].split("｜", 1)[1] in article.text
    # the message went as documented: a text with its MsgId, from the follower to the account
    sent = ET.fromstring(picked["request"])
    assert sent.findtext("MsgType") == "text"
    assert sent.findtext("Content") == "1"
    assert sent.findtext("MsgId") == str(picked["msg_id"])
    assert sent.findtext("FromUserName") == NEWCOMER
    assert sent.findtext("ToUserName") == SANDBOX_ORIGINAL_ID


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
def test_a_menu_click_and_a_menu_link(chat_factory: Callable[..., Chat], mode: str) -> None:
    chat = chat_factory(mode)
    clicked = chat.send(FOLLOWER, "click", "LATEST")
    sent = ET.fromstring(clicked["request"])
    assert (sent.findtext("Event"), sent.findtext("EventKey")) == ("CLICK", "LATEST")
    [news] = clicked["replies"]
    assert news["articles"][0]["url"] == f"{chat.wxbot_url}/issues/2026-06-25"
    viewed = chat.send(FOLLOWER, "view", f"{chat.wxbot_url}/issues")
    assert viewed["replies"] == [] and viewed["notice"] == ""  # `success`: nothing to show
    assert ET.fromstring(viewed["request"]).findtext("Event") == "VIEW"


def test_unsubscribing_leaves_the_followers_and_stops_messages(
    chat_factory: Callable[..., Chat],
) -> None:
    chat = chat_factory("safe")
    gone = chat.send(FOLLOWER, "unsubscribe")
    assert gone["replies"] == [] and gone["notice"] == ""
    assert ET.fromstring(gone["request"]).findtext("Event") == "unsubscribe"
    assert FOLLOWER not in [f["openid"] for f in chat.session()["followers"] if f["following"]]
    refused = chat.send(FOLLOWER, "text", "最新", status=400)
    assert refused["error"] == f"{FOLLOWER} does not follow the account: subscribe first"
    assert chat.sandbox.state.followers.keys() == {
        "oSbx000000000000000000000002",
        "oSbx000000000000000000000003",
    }


def test_a_callback_that_refuses_shows_what_wechat_shows(
    chat_factory: Callable[..., Chat],
) -> None:
    chat = chat_factory("safe", wxbot_token="another-token")
    answer = chat.send(FOLLOWER, "text", "最新")
    assert answer["replies"] == []
    assert answer["notice"] == UNAVAILABLE
    assert answer["problem"] == "no answer after 3 tries: 403, 403, 403"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("<xml><unclosed></xml>", "the reply is not XML"),
        ('<!DOCTYPE x [<!ENTITY e "e">]><xml/>', "the reply is not XML"),
        ("<xml><ToUserName>someone</ToUserName></xml>", "the reply is addressed to 'someone'"),
        (
            f"<xml><ToUserName>{FOLLOWER}</ToUserName><FromUserName>gh_other</FromUserName></xml>",
            "the reply comes from 'gh_other'",
        ),
        (
            f"<xml><ToUserName>{FOLLOWER}</ToUserName><FromUserName>{SANDBOX_ORIGINAL_ID}"
            "</FromUserName><MsgType>image</MsgType></xml>",
            "the simulator does not show image replies",
        ),
        (
            f"<xml><ToUserName>{FOLLOWER}</ToUserName><FromUserName>{SANDBOX_ORIGINAL_ID}"
            "</FromUserName><MsgType>news</MsgType><ArticleCount>2</ArticleCount>"
            "<Articles><item><Title>t</Title></item></Articles></xml>",
            "ArticleCount '2' for 1 items",
        ),
    ],
)
def test_replies_wechat_would_not_show(
    sandbox_factory: Callable[..., SandboxServer], body: str, error: str
) -> None:
    account = sandbox_factory(message_mode="plaintext").account
    with pytest.raises(ReplyError, match=error):
        read_reply(account, body.encode(), FOLLOWER)


def sealed(reply_xml: str, *, token: str = SANDBOX_TOKEN, appid: str = SANDBOX_APPID) -> bytes:
    """Return a reply encrypted and signed as the documentation describes."""
    encrypted = crypto.encrypt(SANDBOX_AES_KEY, appid, reply_xml.encode())
    fields = {
        "Encrypt": encrypted,
        "MsgSignature": crypto.signature(token, "1700000000", "n1", encrypted),
        "TimeStamp": 1700000000,
        "Nonce": "n1",
    }
    return to_xml(fields).encode()


TEXT_REPLY = to_xml(
    {
        "ToUserName": FOLLOWER,
        "FromUserName": SANDBOX_ORIGINAL_ID,
        "CreateTime": 1700000000,
        "MsgType": "text",
        "Content": "你好",
    }
)


@pytest.mark.parametrize(
    ("mode", "body", "error"),
    [
        ("safe", TEXT_REPLY.encode(), "a plaintext reply in safe mode"),
        ("plaintext", sealed(TEXT_REPLY), "an encrypted reply in plaintext mode"),
        ("safe", sealed(TEXT_REPLY, token="other"), "MsgSignature is missing or wrong"),
        ("safe", sealed(TEXT_REPLY, appid="wxother"), "for appid 'wxother'"),
        ("safe", sealed(TEXT_REPLY), ""),
        ("compatible", sealed(TEXT_REPLY), ""),
        ("compatible", TEXT_REPLY.encode(), ""),
        ("plaintext", TEXT_REPLY.encode(), ""),
    ],
)
def test_encrypted_replies_are_checked_by_mode(
    sandbox_factory: Callable[..., SandboxServer], mode: str, body: bytes, error: str
) -> None:
    account = sandbox_factory(message_mode=mode).account
    if error:
        with pytest.raises(ReplyError, match=error):
            read_reply(account, body, FOLLOWER)
        return
    shown = read_reply(account, body, FOLLOWER)
    assert shown is not None
    assert shown[1] == {"type": "text", "segments": [{"text": "你好"}]}


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("纯文本", [{"text": "纯文本"}]),
        (
            '最新一期：<a href="http://x.test/issues/1">6月25日</a>\n回复“帮助”',
            [
                {"text": "最新一期："},
                {"text": "6月25日", "href": "http://x.test/issues/1"},
                {"text": "\n回复“帮助”"},
            ],
        ),
        ("<a href='https://x.test/a'>a</a>", [{"text": "a", "href": "https://x.test/a"}]),
        # only web links are links: anything else is shown as typed
        ('<a href="javascript:alert(1)">x</a>', [{"text": '<a href="javascript:alert(1)">x</a>'}]),
        ("1 < 2 <b>粗</b>", [{"text": "1 < 2 <b>粗</b>"}]),
    ],
)
def test_text_segments(text: str, segments: list[dict[str, str]]) -> None:
    assert text_segments(text) == segments


#: The example answer of get_current_selfmenu_info (查询自定义菜单), API-created menu.
DOCUMENTED_MENU = {
    "is_menu_open": 1,
    "selfmenu_info": {
        "button": [
            {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
            {
                "name": "菜单",
                "sub_button": {
                    "list": [
                        {"type": "view", "name": "搜索", "url": "http://www.soso.com/"},
                        {"type": "click", "name": "赞一下我们", "key": "V1001_GOOD"},
                    ]
                },
            },
        ]
    },
}


@pytest.mark.parametrize(
    ("info", "buttons"),
    [
        (
            DOCUMENTED_MENU,
            [
                {"name": "今日歌曲", "type": "click", "key": "V1001_TODAY_MUSIC"},
                {
                    "name": "菜单",
                    "sub": [
                        {"name": "搜索", "type": "view", "url": "http://www.soso.com/"},
                        {"name": "赞一下我们", "type": "click", "key": "V1001_GOOD"},
                    ],
                },
            ],
        ),
        (DOCUMENTED_MENU | {"is_menu_open": 0}, []),
        ({"is_menu_open": 1}, []),
    ],
)
def test_menu_buttons_from_the_documented_answer(
    info: dict[str, Any], buttons: list[dict[str, Any]]
) -> None:
    assert menu_buttons(info) == buttons


def test_the_page_runs_only_its_own_script(sandbox: SandboxServer) -> None:
    page = requests.get(f"{sandbox.base_url}/sandbox/chat", timeout=10)
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert '<script src="/sandbox/chat/chat.js"' in page.text
    script = requests.get(f"{sandbox.base_url}/sandbox/chat/chat.js", timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(f"{sandbox.base_url}/sandbox/chat/x.py", timeout=10).status_code == 404


def test_without_a_callback_url_the_follower_is_told(sandbox: SandboxServer) -> None:
    answer = Chat(sandbox, "").send(FOLLOWER, "text", "最新")
    assert answer["notice"] == UNAVAILABLE
    assert answer["problem"] == "no callback_url configured: nowhere to deliver the message"


def test_the_page_shows_the_menu_the_account_created(chat_factory: Callable[..., Chat]) -> None:
    chat = chat_factory("safe")
    assert chat.session()["menu"] == []  # no menu/create yet: no menu
    menu = [
        {"type": "click", "name": "最新一期", "key": "LATEST"},
        {"name": "往期检索", "sub_button": [{"type": "click", "name": "帮助", "key": "HELP"}]},
        {"type": "view", "name": "官网", "url": f"{chat.wxbot_url}/issues"},
    ]
    assert SandboxApi(chat.sandbox.base_url).post("menu/create", {"button": menu})["errcode"] == 0
    assert chat.session()["menu"] == [
        {"name": "最新一期", "type": "click", "key": "LATEST"},
        {"name": "往期检索", "sub": [{"name": "帮助", "type": "click", "key": "HELP"}]},
        {"name": "官网", "type": "view", "url": f"{chat.wxbot_url}/issues"},
    ]
    helped = chat.send(FOLLOWER, "click", "HELP")
    assert text_of(helped["replies"][0]).startswith("【")


def test_a_late_answer_reaches_the_chat(
    chat_factory: Callable[..., Chat], slow_search: threading.Event
) -> None:
    chat = chat_factory("safe", callback={"late_answer_budget": 0.3})
    asked = chat.send(FOLLOWER, "text", "数据要素")
    assert (asked["replies"], asked["notice"], asked["statuses"]) == ([], "", ["200"])
    assert chat.inbox(FOLLOWER) == {"messages": [], "next": 0}
    slow_search.set()
    [late] = wait_for(lambda: chat.inbox(FOLLOWER)["messages"])
    # the same list the passive reply would have carried, links and all
    assert text_of(late).startswith("与“数据要素”相关的日报：\n1. ")
    assert links_of(late)[0].startswith(f"{chat.wxbot_url}/issues/")
    assert chat.inbox(FOLLOWER, since=1) == {"messages": [], "next": 1}
    assert chat.inbox("oSbx000000000000000000000002")["messages"] == []


def test_wxbot_sandbox_prints_the_chat_page_for_a_callback_url(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    command = [sys.executable, "-m", "wxbot.cli", "sandbox", "--port", "0"]
    command += ["--callback-url", "http://127.0.0.1:9/wechat"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        base_url = lines[0].split()[-1]
        assert lines[3].strip() == f"chat as a follower: {base_url}/sandbox/chat", lines
        assert requests.get(f"{base_url}/sandbox/chat", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()


def test_what_the_callback_receives_is_signed_and_sealed(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    sandbox = sandbox_factory(callback_url=event_sink.url)  # a key and no mode: safe
    chat = Chat(sandbox, "")
    answer = chat.send(FOLLOWER, "text", "最新")
    assert (answer["replies"], answer["notice"]) == ([], "")  # `success`: nothing to show
    [post] = event_sink.received
    q = post.query
    assert q["signature"] == crypto.signature(SANDBOX_TOKEN, q["timestamp"], q["nonce"])
    assert q["openid"] == FOLLOWER and q["encrypt_type"] == "aes"
    envelope = ET.fromstring(post.body)
    assert [child.tag for child in envelope] == ["ToUserName", "Encrypt"]  # nothing in the clear
    sealed = envelope.findtext("Encrypt") or ""
    assert q["msg_signature"] == crypto.signature(SANDBOX_TOKEN, q["timestamp"], q["nonce"], sealed)
    plain, appid = crypto.decrypt(SANDBOX_AES_KEY, sealed)
    assert (plain.decode(), appid) == (answer["request"], SANDBOX_APPID)

    event_sink.fail_next(3, status=500)
    failed = chat.send(FOLLOWER, "click", "LATEST")
    assert failed["notice"] == UNAVAILABLE
    assert failed["problem"] == "no answer after 3 tries: 500, 500, 500"
    assert len(event_sink.received) == 4
