"""What an operator reads and does over /sandbox: state, the request log, reset, time, followers."""

from __future__ import annotations

import requests

from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.sandbox.testing import SandboxApi, image_bytes


def test_request_log_masks_secrets(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    token = sandbox_api.token
    sandbox_api.post(
        "stable_token",
        {"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET},
        token="",
    )
    sandbox_api.post("draft/count", method="GET")
    response = requests.get(f"{sandbox.base_url}/sandbox/log", timeout=5)
    assert SANDBOX_SECRET not in response.text
    assert token not in response.text
    entries = response.json()["entries"]
    assert [e["path"] for e in entries] == [
        "/cgi-bin/token",
        "/cgi-bin/stable_token",
        "/cgi-bin/draft/count",
    ]
    assert entries[0]["query"]["secret"] == "***"
    assert entries[1]["request"]["secret"] == "***"
    assert entries[2]["query"] == {"access_token": "***"}
    later = requests.get(
        f"{sandbox.base_url}/sandbox/log", params={"since": entries[1]["seq"]}, timeout=5
    )
    assert [e["path"] for e in later.json()["entries"]] == ["/cgi-bin/draft/count"]


def test_request_log_summarises_bodies(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox_api.upload("media/uploadimg", image_bytes(), "photo.jpg")
    sandbox_api.draft(sandbox_api.article(content="<p>" + "长" * 200 + "</p>"))
    upload, draft = sandbox.log.entries("media/uploadimg") + sandbox.log.entries("draft/add")
    assert upload["request"]["media"]["filename"] == "photo.jpg"
    assert draft["request"]["articles"][0]["content"] == "<207 chars>"


def test_state_counts(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox_api.draft()
    sandbox_api.upload("media/uploadimg", image_bytes())
    state = requests.get(f"{sandbox.base_url}/sandbox/state", timeout=5).json()
    assert state["tokens"]["token_calls"] == 1
    assert len(state["materials"]) == 1 and len(state["uploadimg"]) == 1
    assert state["drafts"][0]["titles"] == ["标题"]
    assert state["account"]["appid"] == SANDBOX_APPID
    assert state["account"]["mode"] == "safe"


def test_reset_forgets_everything(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox_api.draft()
    assert requests.post(f"{sandbox.base_url}/sandbox/reset", timeout=5).json() == {"reset": True}
    assert sandbox_api.post("draft/count", method="GET")["errcode"] == 40001
    assert sandbox.state.drafts == {}
    assert [e["path"] for e in sandbox.log.entries()] == ["/cgi-bin/draft/count"]


def test_clock_over_http(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    token = sandbox_api.token
    moved = requests.post(f"{sandbox.base_url}/sandbox/clock", json={"advance": 7200}, timeout=5)
    assert moved.json()["offset"] == 7200
    assert sandbox_api.post("draft/count", method="GET", token=token)["errcode"] == 42001
    bad = requests.post(f"{sandbox.base_url}/sandbox/clock", json={"advance": -1}, timeout=5)
    assert bad.status_code == 400


def test_followers_and_tags_over_http(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    url = f"{sandbox.base_url}/sandbox/followers"
    requests.post(url, json={"tag_id": 7, "name": "测试组"}, timeout=5)
    answer = requests.post(url, json={"openid": "oNewFollower", "tags": [7]}, timeout=5).json()
    assert answer["followers"] == 4
    body = {
        "filter": {"is_to_all": False, "tag_id": 7},
        "mpnews": {"media_id": sandbox_api.draft()},
        "msgtype": "mpnews",
    }
    assert sandbox_api.post("message/mass/sendall", body)["errcode"] == 0
    assert sandbox.state.mass_sends[0].recipients == ["oNewFollower"]
    unknown = requests.post(url, json={"openid": "oOther", "tags": [8]}, timeout=5)
    assert unknown.status_code == 400


def test_unsimulated_api(sandbox_api: SandboxApi) -> None:
    assert sandbox_api.post("menu/addconditional", {})["errcode"] == 48001
