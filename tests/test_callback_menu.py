"""Menu clicks and the welcome, through the real signed callback.

https://developers.weixin.qq.com/doc/service/guide/product/menu/Custom_Menu_Push_Events.html
"点击菜单拉取消息时的事件推送 … Event 事件类型，CLICK;
EventKey 事件KEY值，与自定义菜单接口中KEY值对应".
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from conftest import make_runtime
from test_callback import NOW, WeChatSender, reply_fields, wechat_config

from wxbot.app import create_app
from wxbot.config import Settings
from wxbot.runtime import Runtime

#: The fixture's archive: 2026-06-13 and 2026-06-25; the clock says 2026-06-26 in Shanghai.
LATEST, EARLIER = "2026-06-25", "2026-06-13"
WELCOME = "你好，这里是测试日报。"

#: Events are deduplicated by FromUserName + CreateTime: each click gets its own second.
_SECONDS = itertools.count(int(NOW.timestamp()))


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration with a callback token, a fixed clock and a welcome."""
    return app_config | {
        "clock": lambda: NOW,
        "wechat": {"token": "wxbot-callback-token"},
        "search": {"cache_seconds": 0.0},
        "callback": {"log_flush_seconds": 0.0, "welcome_text": WELCOME},
        "menu": {
            "buttons": [
                {"name": "最新一期", "type": "click", "key": "LATEST"},
                {
                    "name": "往期",
                    "sub_buttons": [
                        {"name": "软银", "type": "click", "key": "SEARCH:软银"},
                        {"name": "数据要素", "type": "click", "key": "SEARCH:数据要素"},
                        {"name": "帮助", "type": "click", "key": "HELP"},
                    ],
                },
            ]
        },
    }


@pytest.fixture
def wechat(client: Any, archive: Runtime) -> WeChatSender:
    """Return a sender to the app, whose archive holds both sample issues."""
    return WeChatSender(client)


def event(sender: WeChatSender, name: str, key: str = "") -> dict[str, Any]:
    response = sender.post(sender.event_xml(name, key, create_time=next(_SECONDS)))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_data(as_text=True) != "success", f"{name} {key} got no answer"
    return reply_fields(response)


def test_every_click_key_of_the_default_menu_is_answered(wechat: WeChatSender) -> None:
    for key in Settings().menu.click_keys():
        reply = event(wechat, "CLICK", key)
        assert reply["MsgType"] in ("news", "text"), key


def test_every_click_key_of_the_configured_menu_is_answered(
    wechat: WeChatSender, archive: Runtime
) -> None:
    keys = archive.settings.menu.click_keys()
    assert keys == ["LATEST", "SEARCH:软银", "SEARCH:数据要素", "HELP"]
    latest, search, _, help_text = (event(wechat, "CLICK", key) for key in keys)
    assert latest["Articles"]["item"]["Url"].endswith(LATEST)
    # SEARCH:<keywords> answers as typing the keywords would.
    assert search["Articles"]["item"]["Url"].endswith(LATEST)
    assert "软银" in search["Articles"]["item"]["Title"] + search["Articles"]["item"]["Description"]
    assert search == wechat.send("软银") | {"CreateTime": search["CreateTime"]}
    assert "最新" in help_text["Content"]


def test_a_search_key_that_lists_issues_answers_with_the_list(wechat: WeChatSender) -> None:
    reply = event(wechat, "CLICK", "SEARCH:数据要素")
    assert reply["MsgType"] == "text"
    assert f"/issues/{LATEST}" in reply["Content"] and f"/issues/{EARLIER}" in reply["Content"]


@pytest.mark.parametrize("key", ["UNKNOWN", "SEARCH:", "", "SEARCH:低空经济"])
def test_a_key_no_menu_of_ours_holds_gets_the_help(wechat: WeChatSender, key: str) -> None:
    # SEARCH:低空经济 is a key the callback could answer, but the account's menu has none.
    assert "最新" in event(wechat, "CLICK", key)["Content"]


def test_opening_a_menu_link_says_nothing(wechat: WeChatSender) -> None:
    # "点击菜单跳转链接时的事件推送": the phone opens the page; a reply would only interrupt.
    response = wechat.post(wechat.event_xml("VIEW", "http://wxbot.test/issues"))
    assert response.get_data(as_text=True) == "success"


def test_the_welcome_is_the_latest_issues_card_carrying_the_welcome_text(
    wechat: WeChatSender,
) -> None:
    reply = event(wechat, "subscribe")
    # One passive reply, one article: the card of the latest issue.
    assert reply["MsgType"] == "news" and reply["ArticleCount"] == "1"
    card = reply["Articles"]["item"]
    assert isinstance(card, dict)
    assert card["Url"].endswith(f"/issues/{LATEST}")
    assert card["Title"].startswith("6月25日｜")
    assert card["PicUrl"]
    assert card["Description"].startswith(WELCOME)
    assert "帮助" in card["Description"]


def test_before_the_first_issue_the_welcome_is_text(client: Any) -> None:
    reply = event(WeChatSender(client), "subscribe")
    assert reply["MsgType"] == "text"
    assert reply["Content"].startswith(WELCOME)
    assert "帮助" in reply["Content"]


def test_in_safe_mode_clicks_and_the_welcome_arrive_encrypted(
    app_config: dict[str, Any], archive: Runtime
) -> None:
    runtime = make_runtime(app_config | {"wechat": wechat_config("safe")})
    app = create_app(runtime)
    try:
        sender = WeChatSender(app.test_client())
        for name, key in (("subscribe", ""), ("CLICK", "SEARCH:软银")):
            xml = sender.event_xml(name, key, create_time=next(_SECONDS))
            card = sender.open_reply(sender.post_encrypted(xml))["Articles"]["item"]
            assert card["Url"].endswith(f"/issues/{LATEST}"), name
    finally:
        app.extensions["wxbot.callback"].close()
        runtime.close()
