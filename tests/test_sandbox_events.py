"""Completion events POSTed to the callback: signed, encrypted in safe mode, retried."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest
from wechat_docs import documented_decrypt, documented_signature

from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_ORIGINAL_ID,
    SANDBOX_TOKEN,
    SandboxServer,
)
from wxbot.sandbox.testing import EventSink, ReceivedPost, SandboxApi


def assert_signed(post: ReceivedPost) -> None:
    q = post.query
    assert q["signature"] == documented_signature(SANDBOX_TOKEN, q["timestamp"], q["nonce"])
    assert q["openid"]


def publish_and_wait(server: SandboxServer) -> str:
    api = SandboxApi(server.base_url)
    publish_id = api.post("freepublish/submit", {"media_id": api.draft()})["publish_id"]
    server.advance(1)
    assert server.wait_for_events()
    return str(publish_id)


def test_publish_event_in_plaintext_mode(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    server = sandbox_factory(callback_url=event_sink.url, message_mode="plaintext")
    publish_id = publish_and_wait(server)
    (post,) = event_sink.wait(1)
    assert_signed(post)
    assert "encrypt_type" not in post.query
    root = ET.fromstring(post.body)
    assert root.findtext("ToUserName") == SANDBOX_ORIGINAL_ID
    assert root.findtext("MsgType") == "event"
    assert root.findtext("Event") == "PUBLISHJOBFINISH"
    info = root.find("PublishEventInfo")
    assert info is not None
    assert info.findtext("publish_id") == publish_id
    assert info.findtext("publish_status") == "0"
    api = SandboxApi(server.base_url)
    status = api.post("freepublish/get", {"publish_id": publish_id})
    assert info.findtext("article_id") == status["article_id"]
    assert info.findtext("article_detail/count") == "1"
    assert info.findtext("article_detail/item/idx") == "1"
    expected_url = status["article_detail"]["item"][0]["article_url"]
    assert info.findtext("article_detail/item/article_url") == expected_url


def test_mass_event_in_safe_mode_is_encrypted(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    server = sandbox_factory(callback_url=event_sink.url)  # a key and no mode: safe
    api = SandboxApi(server.base_url)
    body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": api.draft()}, "msgtype": "mpnews"}
    answer = api.post("message/mass/sendall", body)
    server.advance(1)
    (post,) = event_sink.wait(1)
    q = post.query
    assert_signed(post)
    assert q["encrypt_type"] == "aes"
    envelope = ET.fromstring(post.body)
    assert [child.tag for child in envelope] == ["ToUserName", "Encrypt"]
    encrypted = envelope.findtext("Encrypt") or ""
    assert q["msg_signature"] == documented_signature(
        SANDBOX_TOKEN, q["timestamp"], q["nonce"], encrypted
    )
    xml, appid = documented_decrypt(SANDBOX_AES_KEY, encrypted)
    assert appid == SANDBOX_APPID
    event = ET.fromstring(xml)
    assert event.findtext("Event") == "MASSSENDJOBFINISH"
    # As in the documentation's example: an id of its own, neither msg_id nor msg_data_id.
    assert event.findtext("MsgID") not in (str(answer["msg_id"]), str(answer["msg_data_id"]))
    assert event.findtext("Status") == "send success"
    followers = str(len(server.state.followers))
    assert event.findtext("TotalCount") == followers
    assert event.findtext("SentCount") == followers
    assert event.findtext("ErrorCount") == "0"
    assert event.findtext("ArticleUrlResult/Count") == "1"
    assert event.findtext("ArticleUrlResult/ResultList/item/ArticleIdx") == "1"
    assert (event.findtext("ArticleUrlResult/ResultList/item/ArticleUrl") or "").startswith(
        f"{server.base_url}/s/"
    )


@pytest.mark.parametrize("setting", ["own", "msg_id"])
def test_mass_event_msg_id(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink, setting: str
) -> None:
    """The documented example's MsgID 1000001625 is neither sendall's msg_id nor msg_data_id."""
    server = sandbox_factory(
        callback_url=event_sink.url, message_mode="plaintext", mass_event_msg_id=setting
    )
    api = SandboxApi(server.base_url)
    body = {"filter": {"is_to_all": True}, "mpnews": {"media_id": api.draft()}, "msgtype": "mpnews"}
    answer = api.post("message/mass/sendall", body)
    server.advance(1)
    server.advance(1)  # delivered once, however often time moves on
    (post,) = event_sink.wait(1)
    msg_id = ET.fromstring(post.body).findtext("MsgID") or ""
    sent = {str(answer["msg_id"]), str(answer["msg_data_id"])}
    if setting == "own":
        assert msg_id.isdigit() and msg_id not in sent
    else:
        assert msg_id == str(answer["msg_id"])


def test_compatible_mode_sends_both(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    server = sandbox_factory(callback_url=event_sink.url, message_mode="compatible")
    publish_and_wait(server)
    (post,) = event_sink.wait(1)
    root = ET.fromstring(post.body)
    assert root.findtext("Event") == "PUBLISHJOBFINISH"
    xml, _ = documented_decrypt(SANDBOX_AES_KEY, root.findtext("Encrypt") or "")
    assert ET.fromstring(xml).findtext("Event") == "PUBLISHJOBFINISH"


def test_failed_callbacks_are_retried(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    server = sandbox_factory(callback_url=event_sink.url)
    event_sink.fail_next(2)
    publish_and_wait(server)
    assert len(event_sink.wait(3)) == 3
    (delivery,) = server.state.deliveries
    assert (delivery.outcome, delivery.tries, delivery.statuses) == (
        "delivered",
        3,
        ["500", "500", "200"],
    )


def test_delivery_gives_up_after_three_tries(
    sandbox_factory: Callable[..., SandboxServer], event_sink: EventSink
) -> None:
    server = sandbox_factory(callback_url=event_sink.url)
    event_sink.fail_next(5)
    publish_and_wait(server)
    assert len(event_sink.received) == 3
    assert server.state.deliveries[0].outcome == "failed"


def test_no_callback_url_no_delivery(sandbox: SandboxServer, event_sink: EventSink) -> None:
    publish_and_wait(sandbox)
    assert [d.outcome for d in sandbox.state.deliveries] == ["skipped"]
    assert event_sink.received == []
