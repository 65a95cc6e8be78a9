"""The originality check of a mass send: send_ignore_reprint decides what a reprint does.

https://developers.weixin.qq.com/doc/service/api/notify/message/api_sendall
"当 send_ignore_reprint 参数设置为1时，若文章被判定为转载，且原创文允许转载时，将继续进行群发操作。
当 send_ignore_reprint 参数设置为0时，若文章被判定为转载，将停止群发操作。"
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import EventSink, SandboxApi

ORIGINAL_URL = "https://mp.weixin.qq.com/s/original"

# (in the original library?, reprints allowed?, send_ignore_reprint, msg_status, Status, CheckState)
VERDICTS = [
    (False, True, 0, "SEND_SUCCESS", "send success", "1"),  # not a reprint: sent either way
    (False, True, 1, "SEND_SUCCESS", "send success", "1"),
    (True, True, 0, "SEND_FAIL", "err(30003)", "3"),  # a reprint, 0: the send stops
    (True, True, 1, "SEND_SUCCESS", "send success", "2"),  # a reprint, 1: sent as a reprint
    (True, False, 1, "SEND_FAIL", "err(30002)", "3"),  # the original forbids it: stops anyway
]


@pytest.mark.parametrize(
    ("listed", "can_reprint", "ignore", "msg_status", "status", "check_state"), VERDICTS
)
def test_a_send_judged_a_reprint_follows_send_ignore_reprint(
    sandbox_factory: Callable[..., SandboxServer],
    event_sink: EventSink,
    listed: bool,
    can_reprint: bool,
    ignore: int,
    msg_status: str,
    status: str,
    check_state: str,
) -> None:
    server = sandbox_factory(callback_url=event_sink.url, message_mode="plaintext")
    if listed:
        server.add_original("转载的文章", ORIGINAL_URL, can_reprint=can_reprint)
    api = SandboxApi(server.base_url)
    media_id = api.draft(api.article(title="转载的文章"))
    body = {
        "filter": {"is_to_all": True},
        "mpnews": {"media_id": media_id},
        "msgtype": "mpnews",
        "send_ignore_reprint": ignore,
        "clientmsgid": f"reprint-{ignore}",
    }
    answer = api.post("message/mass/sendall", body)
    assert answer["errcode"] == 0  # the check is asynchronous: the submission is accepted
    (post,) = event_sink.wait(1)
    asked = api.post("message/mass/get", {"msg_id": str(answer["msg_id"])})
    assert asked["msg_status"] == msg_status
    root = ET.fromstring(post.body)
    assert root.findtext("Status") == status
    assert root.findtext("CopyrightCheckResult/CheckState") == check_state
    if listed:
        assert root.findtext("CopyrightCheckResult/ResultList/item/OriginalArticleUrl") == (
            ORIGINAL_URL
        )
        assert root.findtext("CopyrightCheckResult/ResultList/item/CanReprint") == str(
            int(can_reprint)
        )
    article_published = msg_status == "SEND_SUCCESS"
    assert bool(server.state.mass_sends[0].article_id) == article_published
