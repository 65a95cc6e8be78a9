"""``message/custom/send`` as documented, and the follower messages that open its window.

https://developers.weixin.qq.com/doc/service/api/customer/message/api_sendcustommessage
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import EventSink, SandboxApi

FOLLOWER = "oSbx000000000000000000000002"

TEXT = {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "晚到的回答"}}


def news(count: int) -> dict[str, Any]:
    """Return a news message of ``count`` articles."""
    article = {"title": "6月13日", "description": "d", "url": "https://example.org/a", "picurl": ""}
    return {"touser": FOLLOWER, "msgtype": "news", "news": {"articles": [article] * count}}


@pytest.fixture
def server(sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink) -> SandboxServer:
    """Return a sandbox delivering followers' messages (plaintext) to a sink answering success."""
    return sandbox_factory(callback_url=event_sink.url, message_mode="plaintext")


def deliver(server: SandboxServer, **message: Any) -> dict[str, Any]:
    """Have the follower write to the account (through the callback path)."""
    answer = requests.post(
        f"{server.base_url}/sandbox/messages", json={"openid": FOLLOWER} | message, timeout=10
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.mark.parametrize(
    ("interaction", "wait", "sends", "errcode"),
    [
        # "开发者可以在一段时间内（目前为48小时）调用客服接口"
        ({"content": "hi"}, 48 * 3600 - 2, 1, 0),
        ({"content": "hi"}, 48 * 3600 + 1, 1, 45015),
        # 下发规则: 用户发送消息 5条 48小时
        ({"content": "hi"}, 0, 5, 0),
        ({"content": "hi"}, 0, 6, 45047),
        # 点击自定义菜单 3条 1分钟; 关注公众号 3条 1分钟
        ({"event": "CLICK", "event_key": "LATEST"}, 58, 3, 0),
        ({"event": "CLICK", "event_key": "LATEST"}, 61, 1, 45015),
        ({"event": "CLICK", "event_key": "LATEST"}, 0, 4, 45047),
        ({"event": "subscribe"}, 0, 4, 45047),
        # A VIEW event opens no window ("仅有点击推事件…会触发客服接口").
        ({"event": "VIEW", "event_key": "https://example.org/"}, 0, 1, 45015),
    ],
)
def test_the_window_a_follower_opens(
    server: SandboxServer,
    interaction: dict[str, Any],
    wait: float,
    sends: int,
    errcode: int,
) -> None:
    deliver(server, **interaction)
    server.advance(wait)
    api = SandboxApi(server.base_url)
    answers = [api.post("message/custom/send", TEXT) for _ in range(sends)]
    assert [a["errcode"] for a in answers[:-1]] == [0] * (sends - 1)
    assert answers[-1]["errcode"] == errcode, answers[-1]
    delivered = sum(a["errcode"] == 0 for a in answers)
    sent = requests.get(f"{server.base_url}/sandbox/custom-messages", timeout=5).json()["messages"]
    assert len(sent) == delivered
    if errcode == 45015:
        assert answers[-1]["errmsg"].startswith(
            "response out of time limit or subscription is canceled"
        )


def test_a_new_message_opens_a_new_window(server: SandboxServer) -> None:
    deliver(server, content="hi")
    server.advance(48 * 3600 + 1)
    api = SandboxApi(server.base_url)
    assert api.post("message/custom/send", TEXT)["errcode"] == 45015
    deliver(server, content="还在吗")
    assert api.post("message/custom/send", TEXT)["errcode"] == 0


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        (TEXT, 45015),  # the follower never wrote
        (TEXT | {"touser": "oSbxNobody"}, 40003),
        (news(1), 0),
        (news(2), 45008),  # one article per news message since 2018
        (news(0), 44003),
        ({"touser": FOLLOWER, "msgtype": "text", "text": {}}, 40097),
        ({"touser": FOLLOWER, "msgtype": "telegram"}, 40008),
    ],
)
def test_bodies_are_checked_as_documented(
    server: SandboxServer, body: dict[str, Any], errcode: int
) -> None:
    if errcode not in (45015, 40003):
        deliver(server, content="hi")
    assert SandboxApi(server.base_url).post("message/custom/send", body)["errcode"] == errcode


def test_delivered_messages_reach_the_callback_as_wechat_sends_them(
    server: SandboxServer, event_sink: EventSink
) -> None:
    first = deliver(server, content="数据要素")
    retry = deliver(server, msg_id=first["msg_id"])
    assert (first["reply"], retry["reply"]) == ("success", "success")
    one, two = event_sink.wait(2)
    assert one.body == two.body  # a retry is the same XML: same MsgId, same CreateTime
    assert f"<MsgId>{first['msg_id']}</MsgId>" in one.body.decode()
    assert "<Content><![CDATA[数据要素]]></Content>" in one.body.decode()
