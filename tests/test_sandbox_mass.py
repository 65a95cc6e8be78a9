"""Mass send: statuses, clientmsgid dedupe, quota, rate limit, the dropped-answer case, preview."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi

EDITORS_TAG = 100  # the seeded first follower carries it


@pytest.fixture
def server(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return a sandbox whose sends take a minute of sandbox time, quota 5 a day."""
    return sandbox_factory(mass_send_delay=60, mass_daily_quota=5)


@pytest.fixture
def api(server: SandboxServer) -> SandboxApi:
    return SandboxApi(server.base_url)


def sendall(
    api: SandboxApi,
    media_id: str,
    clientmsgid: str | None = None,
    *,
    to_all: bool = True,
    **kwargs: Any,
) -> dict[str, Any]:
    scope: dict[str, Any] = {"is_to_all": True} if to_all else {"is_to_all": False}
    if not to_all:
        scope["tag_id"] = EDITORS_TAG
    body: dict[str, Any] = {
        "filter": scope,
        "mpnews": {"media_id": media_id},
        "msgtype": "mpnews",
        "send_ignore_reprint": 0,
    }
    if clientmsgid is not None:
        body["clientmsgid"] = clientmsgid
    return api.post("message/mass/sendall", body, **kwargs)


def msg_status(api: SandboxApi, msg_id: int) -> str:
    return str(api.post("message/mass/get", {"msg_id": str(msg_id)})["msg_status"])


def test_send_to_all_then_success(server: SandboxServer, api: SandboxApi) -> None:
    media_id = api.draft()
    answer = sendall(api, media_id, "issue-2025-01-01")
    assert answer["errcode"] == 0 and answer["errmsg"] == "send job submission success"
    assert msg_status(api, answer["msg_id"]) == "SENDING"
    server.advance(60)
    assert msg_status(api, answer["msg_id"]) == "SEND_SUCCESS"
    assert server.state.mass_sends[0].recipients == sorted(server.state.followers)


def test_a_send_to_all_consumes_the_draft(api: SandboxApi) -> None:
    media_id = api.draft()
    sendall(api, media_id, "first")
    assert api.post("draft/get", {"media_id": media_id})["errcode"] == 40007
    assert sendall(api, media_id, "second")["errcode"] == 40007


def test_a_tag_send_reaches_the_tag_only_and_consumes_the_draft(
    server: SandboxServer, api: SandboxApi
) -> None:
    """ "被群发或发布后，该素材将从草稿箱中移除": the documentation excludes no tag send."""
    media_id = api.draft()
    assert sendall(api, media_id, "editors", to_all=False)["errcode"] == 0
    assert len(server.state.mass_sends[0].recipients) == 1
    assert api.post("draft/get", {"media_id": media_id})["errcode"] == 40007
    assert sendall(api, media_id, "editors-again", to_all=False)["errcode"] == 40007


def test_same_clientmsgid_gets_the_first_msg_id(server: SandboxServer, api: SandboxApi) -> None:
    media_id = api.draft()
    first = sendall(api, media_id, "issue-42", to_all=False)
    assert sendall(api, media_id, "issue-42", to_all=False)["errcode"] == 45066  # too fast
    server.advance(61)
    repeat = sendall(api, media_id, "issue-42", to_all=False)
    assert repeat["errcode"] == 45065
    assert repeat["msg_id"] == first["msg_id"]
    server.advance(24 * 3600)
    api.renew_token()
    assert sendall(api, api.draft(), "issue-42", to_all=False)["errcode"] == 0


def test_default_clientmsgid_is_scope_and_content(server: SandboxServer, api: SandboxApi) -> None:
    media_id = api.draft()
    first = sendall(api, media_id, to_all=False)
    server.advance(61)
    assert sendall(api, media_id, to_all=False) == {
        "errcode": 45065,
        "errmsg": "clientmsgid exist",
        "msg_id": first["msg_id"],
    }


@pytest.mark.parametrize(
    ("clientmsgid", "errcode"),
    [
        ("a" * 32, 0),
        ("a" * 33, 0),
        ("a" * 34, 45067),  # refused in the field although 64 bytes are documented
        ("a" * 36, 45067),
        ("a" * 64, 45067),
        ("期" * 11, 0),  # 11 characters, 33 bytes: 33 bytes pass…
        ("期" * 12, 45067),  # …36 bytes do not
    ],
)
def test_clientmsgid_lengths(api: SandboxApi, clientmsgid: str, errcode: int) -> None:
    assert sendall(api, api.draft(), clientmsgid)["errcode"] == errcode


def test_daily_quota(sandbox_factory: Callable[..., SandboxServer]) -> None:
    start = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    server = sandbox_factory(clock=lambda: start)  # quota: 1 a day, the default
    api = SandboxApi(server.base_url)
    assert sendall(api, api.draft(), "day-1")["errcode"] == 0
    spare = api.draft()
    assert sendall(api, spare, "day-1-again")["errcode"] == 45028
    server.advance(13 * 3600)  # 23:00 Beijing time: still the same day
    api.renew_token()
    assert sendall(api, spare, "day-1-late")["errcode"] == 45028
    server.advance(3600)  # past midnight in Beijing
    assert sendall(api, spare, "day-2")["errcode"] == 0


def test_sixty_requests_a_minute(server: SandboxServer, api: SandboxApi) -> None:
    for _ in range(60):
        assert sendall(api, "no-such-draft", "x")["errcode"] == 40007
    assert sendall(api, "no-such-draft", "x")["errcode"] == 45011
    server.advance(60)
    assert sendall(api, "no-such-draft", "x")["errcode"] == 40007


def test_dropped_answer_after_the_send(server: SandboxServer, api: SandboxApi) -> None:
    """The send happened but the client never heard: a retry must not send twice."""
    media_id = api.draft()
    server.faults.inject("message/mass/sendall", drop=True, when="after")
    with pytest.raises(requests.ConnectionError):
        sendall(api, media_id, "issue-7")
    assert len(server.state.mass_sends) == 1
    server.advance(61)
    retry = sendall(api, media_id, "issue-7")
    assert retry["errcode"] == 45065
    assert retry["msg_id"] == server.state.mass_sends[0].msg_id
    assert len(server.state.mass_sends) == 1


def test_slow_answer_after_the_send(server: SandboxServer, api: SandboxApi) -> None:
    """A client that times out has still sent: the send is recorded once."""
    server.faults.inject("message/mass/sendall", delay=0.3, when="after")
    with pytest.raises(requests.Timeout):
        sendall(api, api.draft(), "issue-9", timeout=0.1)
    assert [m.clientmsgid for m in server.state.mass_sends] == ["issue-9"]


def test_dropped_connection_before_the_send(server: SandboxServer, api: SandboxApi) -> None:
    media_id = api.draft()
    server.faults.inject("message/mass/sendall", drop=True)
    with pytest.raises(requests.ConnectionError):
        sendall(api, media_id, "issue-8")
    assert server.state.mass_sends == []
    assert sendall(api, media_id, "issue-8")["errcode"] == 0


def test_injected_send_failure(server: SandboxServer, api: SandboxApi) -> None:
    server.faults.fail_mass_send("err(30003)")
    msg_id = sendall(api, api.draft(), "bad")["msg_id"]
    server.advance(60)
    assert msg_status(api, msg_id) == "SEND_FAIL"


def test_refused_requests(api: SandboxApi) -> None:
    media_id = api.draft()
    text = api.post(
        "message/mass/sendall",
        {"filter": {"is_to_all": True}, "text": {"content": "hi"}, "msgtype": "text"},
    )
    assert text["errcode"] == 40008
    unknown_tag = api.post(
        "message/mass/sendall",
        {
            "filter": {"is_to_all": False, "tag_id": 999},
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
        },
    )
    assert unknown_tag["errcode"] == 40050
    assert api.post("message/mass/get", {"msg_id": "1"})["errcode"] == 40059


def test_mass_get_takes_the_msg_id_as_a_string(server: SandboxServer, api: SandboxApi) -> None:
    """The page: msg_id "string 是 群发消息后返回的消息id"; 40059 "参数 msg_id 传参有误"."""
    msg_id = sendall(api, api.draft(), "issue-2025-01-02")["msg_id"]
    assert api.post("message/mass/get", {"msg_id": str(msg_id)}) == {
        "msg_id": msg_id, "msg_status": "SENDING",
    }  # fmt: skip
    assert api.post("message/mass/get", {"msg_id": msg_id})["errcode"] == 40059
    assert api.post("message/mass/get", {})["errcode"] == 40059


def test_preview_goes_to_one_follower(server: SandboxServer, api: SandboxApi) -> None:
    media_id = api.draft()
    follower = next(iter(server.state.followers))
    body = {"mpnews": {"media_id": media_id}, "msgtype": "mpnews"}
    answer = api.post("message/mass/preview", body | {"touser": follower})
    assert answer["errcode"] == 0 and answer["errmsg"] == "preview success"
    by_name = api.post("message/mass/preview", body | {"towxname": "editor-wechat-id"})
    assert by_name["errcode"] == 0
    stranger = api.post("message/mass/preview", body | {"touser": "oNotAFollower"})
    assert stranger["errcode"] == 40003
    assert [p.touser or p.towxname for p in server.state.previews] == [
        follower,
        "editor-wechat-id",
    ]
    assert server.state.mass_sends == []  # previews use no quota and keep the draft
    assert "news_item" in api.post("draft/get", {"media_id": media_id})


def test_delete_a_sent_message(server: SandboxServer, api: SandboxApi) -> None:
    msg_id = sendall(api, api.draft(), "to-delete")["msg_id"]
    assert api.post("message/mass/delete", {"msg_id": msg_id})["errcode"] == 40097  # sending
    server.advance(60)
    assert api.post("message/mass/delete", {"msg_id": msg_id})["errcode"] == 0
    assert msg_status(api, msg_id) == "DELETE"
