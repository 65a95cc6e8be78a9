"""Several official accounts: each answered at its own callback URL, by its own keys and rules.

``/wechat`` is the default account's (``[wechat]``), ``/wechat/second`` the
``[accounts.second]``'s. Requests are signed and encrypted with the sandbox's own
implementation of WeChat's algorithm (as in test_callback.py), with each account's keys.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from conftest import SAMPLES, make_runtime, serving, wait_for
from console_support import post_form, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from test_callback import APPID, KEY, NOW, TOKEN, WeChatSender, reply_fields, wechat_config
from test_late_answers import FOLLOWER, Clock

import wxbot.publishing
from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.callback import keyword_rules
from wxbot.demo import free_port
from wxbot.runtime import Runtime, get_runtime
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
)
from wxbot.storage import followers
from wxbot.storage import late_answers as late_store
from wxbot.wechat.client import account_key
from wxbot.wechat.events import MassSendJobFinish

SECOND_APPID = "wxsecond0000000001"
SECOND_SECRET = "secondsecret000000000000000000000"
SECOND_TOKEN = "second-callback-token"
SECOND_KEY = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"

#: The two accounts' menus: each has a search key the other's lacks.
DEFAULT_MENU = {"buttons": [{"name": "软银", "type": "click", "key": "SEARCH:软银"}]}
SECOND_MENU = {"buttons": [{"name": "数据要素", "type": "click", "key": "SEARCH:数据要素"}]}

#: Events are deduplicated by FromUserName + CreateTime: each click gets its own second.
_SECONDS = itertools.count(int(NOW.timestamp()))


def second_account(mode: str = "plaintext") -> dict[str, Any]:
    """Return ``[accounts.second]``: its own appid, token, AES key and menu."""
    table: dict[str, Any] = {
        "appid": SECOND_APPID,
        "token": SECOND_TOKEN,
        "message_mode": mode,
        "menu": SECOND_MENU,
    }
    if mode != "plaintext":
        table["encoding_aes_key"] = SECOND_KEY
    return table


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration with the default account and ``second``, a fixed clock."""
    return app_config | {
        "clock": lambda: NOW,
        "wechat": wechat_config(),
        "menu": DEFAULT_MENU,
        "accounts": {"second": second_account()},
        "search": {"cache_seconds": 0.0},
        "callback": {"log_flush_seconds": 0.0},
    }


@pytest.fixture
def app_with(app_config: dict[str, Any]) -> Iterator[Callable[..., Flask]]:
    """Return a function making an app over the archive with some sections changed."""
    apps: list[Flask] = []

    def make(**sections: Any) -> Flask:
        app = create_app(make_runtime(app_config | sections))
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["wxbot.callback"].close()
        get_runtime(app).close()


def sender(client: FlaskClient, account: str) -> WeChatSender:
    """Return a sender signing as WeChat does for ``account`` (its URL, token, appid, key)."""
    if account == "default":
        return WeChatSender(client)
    return WeChatSender(
        client, token=SECOND_TOKEN, appid=SECOND_APPID, key=SECOND_KEY, path="/wechat/second"
    )


@pytest.fixture
def senders(client: FlaskClient, archive: Runtime) -> dict[str, WeChatSender]:
    """Return a sender per account to the app, whose archive holds both sample issues."""
    return {name: sender(client, name) for name in ("default", "second")}


def logged(runtime: Runtime) -> list[followers.LoggedMessage]:
    with runtime.db.begin() as conn:
        return followers.recent_messages(conn, 100)


def click(wechat: WeChatSender, key: str) -> dict[str, Any]:
    response = wechat.post(wechat.event_xml("CLICK", key, create_time=next(_SECONDS)))
    assert response.status_code == 200, response.get_data(as_text=True)
    return reply_fields(response)


# --- each account's keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "token", "status"),
    [
        ("/wechat", TOKEN, 200),
        ("/wechat/second", SECOND_TOKEN, 200),
        ("/wechat", SECOND_TOKEN, 403),  # the other account's token
        ("/wechat/second", TOKEN, 403),
        ("/wechat/second", "forged-token", 403),
    ],
)
def test_the_handshake_of_each_account_is_verified_with_its_own_token(
    client: FlaskClient, path: str, token: str, status: int
) -> None:
    query = WeChatSender(client, token=token).query() | {"echostr": "5837397749010387271"}
    response = client.get(path, query_string=query)
    assert response.status_code == status
    assert (response.get_data(as_text=True) == "5837397749010387271") == (status == 200)


@pytest.mark.parametrize(("account", "other"), [("default", "second"), ("second", "default")])
def test_a_message_signed_with_the_other_accounts_token_is_refused_as_a_forged_one(
    senders: dict[str, WeChatSender], archive: Runtime, account: str, other: str
) -> None:
    wechat = senders[account]
    xml = wechat.text_xml("软银")
    crossed = wechat.post(xml, senders[other].query())
    forged = wechat.post(xml, WeChatSender(wechat.client, token="forged-token").query())
    assert (crossed.status_code, crossed.get_data()) == (forged.status_code, forged.get_data())
    assert crossed.status_code == 403
    assert logged(archive) == []
    assert wechat.send("软银")["MsgType"] == "news"  # signed with its own token: answered


@pytest.mark.parametrize(
    ("key", "appid", "status"),
    [
        (SECOND_KEY, SECOND_APPID, 200),
        (KEY, SECOND_APPID, 400),  # the default account's AES key
        (SECOND_KEY, APPID, 400),  # sealed for the default account's appid
    ],
    ids=["its-own-key", "other-key", "other-appid"],
)
def test_an_accounts_messages_are_opened_with_its_own_aes_key_and_appid(
    app_with: Callable[..., Flask], archive: Runtime, key: str, appid: str, status: int
) -> None:
    app = app_with(wechat=wechat_config("safe"), accounts={"second": second_account("safe")})
    wechat = sender(app.test_client(), "second")
    wechat.appid = appid
    response = wechat.post_encrypted(wechat.text_xml("最新"), key=key)
    assert response.status_code == status, response.get_data(as_text=True)
    if status == 200:  # sealed with the account's own key, for its own appid
        wechat.appid = SECOND_APPID
        assert wechat.open_reply(response, key=SECOND_KEY)["MsgType"] == "news"


@pytest.mark.parametrize(
    "path", ["/wechat/third", "/wechat/", "/wechat/second/x", "/wechat/SECOND"]
)
def test_an_unknown_account_is_404_and_nothing_is_touched(
    senders: dict[str, WeChatSender], archive: Runtime, path: str
) -> None:
    wechat = senders["second"]
    for response in (
        wechat.client.post(path, query_string=wechat.query(), data=wechat.text_xml("最新")),
        wechat.client.get(path, query_string=wechat.query() | {"echostr": "abc"}),
    ):
        assert response.status_code == 404
        assert "abc" not in response.get_data(as_text=True)
    assert logged(archive) == []


def test_with_only_wechat_there_is_no_other_callback_url(
    app_with: Callable[..., Flask], archive: Runtime
) -> None:
    app = app_with(accounts={})
    default, second = sender(app.test_client(), "default"), sender(app.test_client(), "second")
    assert default.send("最新")["MsgType"] == "news"
    assert second.post(second.text_xml("最新")).status_code == 404


def test_a_signed_url_of_one_account_carries_no_second_message(
    senders: dict[str, WeChatSender], archive: Runtime
) -> None:
    wechat = senders["second"]
    query = wechat.query()
    first = wechat.post(wechat.text_xml("最新", msg_id=7001), query)
    assert first.status_code == 200
    assert wechat.post(wechat.text_xml("最新", msg_id=7001), query).data == first.data  # retry
    assert wechat.post(wechat.text_xml("软银", msg_id=7002), query).status_code == 403


# --- each account's dedupe, rules and menu -----------------------------------------------------


def test_the_same_msgid_on_two_accounts_is_two_messages_each_answered(
    senders: dict[str, WeChatSender], archive: Runtime
) -> None:
    replies = {name: s.send("最新", msg_id=424242) for name, s in senders.items()}
    for reply in replies.values():
        assert reply["MsgType"] == "news"
    rows = logged(archive)
    assert sorted(r.account for r in rows) == ["default", "second"]
    # WeChat's retry to one account gets that account's reply, and no new row.
    assert senders["second"].send("最新", msg_id=424242) == replies["second"]
    assert len(logged(archive)) == 2


RULES = [
    ("default", "暗号", "甲的暗号"),
    ("second", "暗号", "乙的暗号"),
    ("default", "只有甲", "甲独有"),
]


@pytest.mark.parametrize(
    ("account", "text", "answer"),
    [
        ("default", "暗号", "甲的暗号"),
        ("second", "暗号", "乙的暗号"),
        ("default", "只有甲", "甲独有"),
        ("second", "只有甲", None),  # another account's rule: the search answers
    ],
)
def test_each_account_answers_by_its_own_keyword_rules(
    senders: dict[str, WeChatSender], archive: Runtime, account: str, text: str, answer: str | None
) -> None:
    for owner, keyword, reply in RULES:
        keyword_rules.add_rule(archive.for_account(owner), keyword, reply)
    reply = senders[account].send(text)
    if answer is None:
        assert reply.get("Content", "") not in {r for _, _, r in RULES}
        (row,) = logged(archive)
        assert (row.account, row.handler) == (account, "search")
    else:
        assert (reply["MsgType"], reply["Content"]) == ("text", answer)
        (row,) = logged(archive)
        assert (row.account, row.handler) == (account, "rule")


@pytest.mark.parametrize(("account", "other"), [("default", "second"), ("second", "default")])
def test_the_keywords_command_edits_the_rules_of_the_account_named(
    run_cli: Callable[..., Any], senders: dict[str, WeChatSender], account: str, other: str
) -> None:
    added = run_cli("--account", account, "keywords", "add", "暗号", f"{account}的暗号")
    assert added.exit_code == 0, added.output
    assert f"{account}的暗号" in run_cli("--account", account, "keywords", "list").output
    assert "no keyword rules" in run_cli("--account", other, "keywords", "list").output
    assert senders[account].send("暗号")["Content"] == f"{account}的暗号"
    assert senders[other].send("暗号").get("Content") != f"{account}的暗号"


@pytest.mark.parametrize(
    ("account", "key", "answered"),
    [
        ("default", "SEARCH:软银", True),
        ("second", "SEARCH:数据要素", True),
        ("default", "SEARCH:数据要素", False),  # the other account's menu: the help
        ("second", "SEARCH:软银", False),
    ],
)
def test_each_account_answers_the_click_keys_of_its_own_menu(
    senders: dict[str, WeChatSender], account: str, key: str, answered: bool
) -> None:
    reply = click(senders[account], key)
    typed = senders[account].send(key.removeprefix("SEARCH:"))
    if answered:  # as typing the keywords would
        assert reply == typed | {"CreateTime": reply["CreateTime"]}
    else:
        assert reply["MsgType"] == "text" and "最新" in reply["Content"]
        assert reply != typed | {"CreateTime": reply["CreateTime"]}


def test_a_mass_send_finished_at_an_accounts_url_is_handed_over_as_that_account(
    senders: dict[str, WeChatSender], archive: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[tuple[str, str, object]] = []

    def record(runtime: Runtime, event: object) -> None:
        received.append((runtime.account, account_key(runtime.settings.wechat), event))

    monkeypatch.setattr(wxbot.publishing, "on_wechat_event", record)
    xml = (
        "<xml><ToUserName><![CDATA[gh_second]]></ToUserName>"
        "<FromUserName><![CDATA[oOperator]]></FromUserName><CreateTime>1782439100</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event>"
        "<MsgID>1000001625</MsgID><Status><![CDATA[send success]]></Status>"
        "<TotalCount>100</TotalCount><FilterCount>80</FilterCount><SentCount>80</SentCount>"
        "<ErrorCount>0</ErrorCount></xml>"
    )
    for name in ("second", "second", "default"):  # a retry to second, then the same to default
        assert senders[name].post(xml).get_data(as_text=True) == "success"
    # The publishing records are keyed by account_key: second's sends are found as second's.
    assert [(a, k) for a, k, _ in received] == [
        ("second", account_key(archive.for_account("second").settings.wechat)),
        ("default", account_key(archive.settings.wechat)),
    ]
    assert SECOND_APPID in received[0][1] and APPID in received[1][1]
    assert all(isinstance(e, MassSendJobFinish) for _, _, e in received)


# --- the console's rules editor, per account ---------------------------------------------------


def test_the_console_lists_and_edits_the_rules_of_the_account_chosen(
    app: Flask, archive: Runtime
) -> None:
    admin = signed_in_client(app.test_client(), archive, "admin", "admin")
    keyword_rules.add_rule(archive, "暗号", "甲的暗号")
    page = admin.get("/console/followers?account=second").get_data(as_text=True)
    assert "甲的暗号" not in page and "Keyword rules of account second" in page
    form = {"account": "second", "keyword": "暗号", "match": "exact", "answer": "text"}
    page_of_second = "/console/followers?account=second"
    response = post_form(
        admin, "/console/followers/rules", form | {"reply": "乙的暗号"}, page=page_of_second
    )
    assert response.status_code == 302
    assert response.location.endswith("/console/followers?account=second#rules")
    (rule,) = keyword_rules.list_rules(archive.for_account("second"))
    assert rule.reply == "乙的暗号"
    assert [r.reply for r in keyword_rules.list_rules(archive)] == ["甲的暗号"]
    assert "乙的暗号" in admin.get(page_of_second).get_data(as_text=True)
    # Removing it from the default account's page finds no such rule there.
    remove = f"/console/followers/rules/{rule.id}/remove"
    post_form(admin, remove, {"account": "default"}, page="/console/followers")
    assert keyword_rules.list_rules(archive.for_account("second")) == [rule]
    post_form(admin, remove, {"account": "second"}, page=page_of_second)
    assert keyword_rules.list_rules(archive.for_account("second")) == []
    default_page = admin.get("/console/followers").get_data(as_text=True)
    assert "甲的暗号" in default_page and "乙的暗号" not in default_page


# --- late answers go by the account's own API ----------------------------------------------------


@pytest.fixture
def two_sandboxes(
    sandbox_factory: Callable[..., SandboxServer], app_config: dict[str, Any]
) -> Iterator[tuple[Runtime, SandboxServer, SandboxServer]]:
    """Serve wxbot (budget 0.3 s) to two sandboxes: the default account's and second's."""
    port = free_port("127.0.0.1")
    base = f"http://127.0.0.1:{port}/wechat"
    first = sandbox_factory(callback_url=base, callback_timeout=5.0)
    second = sandbox_factory(
        appid=SECOND_APPID,
        secret=SECOND_SECRET,
        token=SECOND_TOKEN,
        encoding_aes_key=SECOND_KEY,
        callback_url=f"{base}/second",
        callback_timeout=5.0,
    )
    wechat = {
        "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "token": SANDBOX_TOKEN,
        "encoding_aes_key": SANDBOX_AES_KEY, "api_base_url": first.base_url,
        "retry_backoff": 0.01,
    }  # fmt: skip
    account = {
        "appid": SECOND_APPID, "secret": SECOND_SECRET, "token": SECOND_TOKEN,
        "encoding_aes_key": SECOND_KEY, "api_base_url": second.base_url,
    }  # fmt: skip
    config = {
        "wechat": wechat,
        "accounts": {"second": account},
        "callback": {"late_answer_budget": 0.3},
        "clock": Clock(),
    }
    runtime = make_runtime(app_config | config)
    ingest_paths(runtime, SAMPLES)
    with serving(create_app(runtime), port):
        yield runtime, first, second
    runtime.close()


def say(sandbox: SandboxServer, content: str) -> dict[str, Any]:
    """Deliver a follower's text to wxbot as the sandbox's WeChat does."""
    answer = requests.post(
        f"{sandbox.base_url}/sandbox/messages",
        json={"openid": FOLLOWER, "content": content},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def received(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """Return the customer-service messages the follower got from that sandbox's account."""
    answer = requests.get(
        f"{sandbox.base_url}/sandbox/custom-messages", params={"touser": FOLLOWER}, timeout=10
    )
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


def test_a_late_answer_of_an_account_is_sent_by_that_accounts_api(
    two_sandboxes: tuple[Runtime, SandboxServer, SandboxServer],
    slow_search: threading.Event,  # noqa: F811
) -> None:
    runtime, first, second = two_sandboxes
    asked = say(second, "数据要素")
    assert (asked["reply"], asked["statuses"]) == ("success", ["200"])  # late: answered later
    slow_search.set()
    (sent,) = wait_for(lambda: received(second))
    assert sent["msgtype"] in ("news", "text")
    assert received(first) == []
    assert first.log.entries("/cgi-bin/message/custom/send") == []
    # Accepted by second's WeChat, which takes only the access tokens it gave second.
    (call,) = second.log.entries("/cgi-bin/message/custom/send")
    assert call["errcode"] in (0, None)

    def recorded_sent() -> late_store.LateAnswer | None:  # marked just after WeChat took it
        with runtime.db.begin() as conn:
            (late,) = late_store.recent(conn)
        return late if late.state == "sent" else None

    assert wait_for(recorded_sent).account == "second"


def test_the_query_log_shows_the_account_each_message_came_to(
    app: Flask, senders: dict[str, WeChatSender], archive: Runtime
) -> None:
    senders["second"].send("低空经济")
    admin = signed_in_client(app.test_client(), archive, "admin", "admin")
    page = admin.get("/console/followers").get_data(as_text=True)
    log = page[page.index('class="list query-log"') :]
    assert "<th>Account</th>" in log
    assert "<td>second</td><td>低空经济</td>" in log


def test_wxbot_queries_names_the_account_each_message_came_to(
    run_cli: Callable[..., Any], senders: dict[str, WeChatSender]
) -> None:
    senders["second"].send("低空经济")
    senders["default"].send("软银")
    lines = run_cli("queries").output.splitlines()
    asked = {line.split()[-1]: line.split(")  ")[1].split()[0] for line in lines}
    assert asked == {"软银": "default", "低空经济": "second"}
