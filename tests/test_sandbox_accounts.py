"""One sandbox serving several official accounts, each with its own credentials and records."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import CHROMIUM, CHROMIUM_FLAGS
from wechat_docs import documented_decrypt, documented_signature

from wxbot import config
from wxbot.errors import ConfigError
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_ORIGINAL_ID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
    SandboxSettings,
)
from wxbot.sandbox.settings import sandbox_accounts
from wxbot.sandbox.testing import EventSink, ReceivedPost, SandboxApi

#: The second account: other credentials, other followers, another quota.
SECOND_APPID = "wxsecond0000000001"
SECOND_SECRET = "secondsecret000000000000000000000"
SECOND_TOKEN = "secondtoken"
SECOND_AES_KEY = "SecondAccountAESKey0123456789abcdefghijklmn"
SECOND_ORIGINAL_ID = "gh_second000001"

FIRST = SandboxSettings()
SECOND = SandboxSettings(
    appid=SECOND_APPID,
    secret=SECOND_SECRET,
    token=SECOND_TOKEN,
    encoding_aes_key=SECOND_AES_KEY,
    original_id=SECOND_ORIGINAL_ID,
    account_name="第二个公众号",
    followers=5,
    mass_daily_quota=2,
)

#: What each account's events are checked with: its token, AES key, original id.
KEYS = {
    SANDBOX_APPID: (SANDBOX_TOKEN, SANDBOX_AES_KEY, SANDBOX_ORIGINAL_ID),
    SECOND_APPID: (SECOND_TOKEN, SECOND_AES_KEY, SECOND_ORIGINAL_ID),
}


@pytest.fixture
def server(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return one sandbox serving the built-in account first, then the second."""
    return sandbox_factory(accounts=[FIRST, SECOND])


@pytest.fixture
def first(server: SandboxServer) -> SandboxApi:
    return SandboxApi(server.base_url)


@pytest.fixture
def second(server: SandboxServer) -> SandboxApi:
    return SandboxApi.of(server.base_url, server.accounts[SECOND_APPID].settings)


def apis(server: SandboxServer) -> dict[str, SandboxApi]:
    return {
        appid: SandboxApi.of(server.base_url, a.settings) for appid, a in server.accounts.items()
    }


def sendall(api: SandboxApi, clientmsgid: str) -> dict[str, Any]:
    body = {
        "filter": {"is_to_all": True},
        "mpnews": {"media_id": api.draft()},
        "msgtype": "mpnews",
        "send_ignore_reprint": 0,
        "clientmsgid": clientmsgid,
    }
    return api.post("message/mass/sendall", body)


def stable_token(base_url: str, appid: str, secret: str) -> dict[str, Any]:
    body = {"grant_type": "client_credential", "appid": appid, "secret": secret}
    result: dict[str, Any] = requests.post(
        f"{base_url}/cgi-bin/stable_token", json=body, timeout=10
    ).json()
    return result


# --- Tokens: each account's own, by appid ---------------------------------------------------


@pytest.mark.parametrize("endpoint", ["token", "stable_token"])
@pytest.mark.parametrize(
    ("appid", "secret", "errcode"),
    [
        (SANDBOX_APPID, SANDBOX_SECRET, None),
        (SECOND_APPID, SECOND_SECRET, None),
        (SECOND_APPID, SANDBOX_SECRET, 40125),  # the first account's secret is not the second's
        (SANDBOX_APPID, SECOND_SECRET, 40125),
        ("wxunknown000000001", SANDBOX_SECRET, 40013),  # documented: invalid appid
    ],
)
def test_each_account_fetches_its_own_token(
    server: SandboxServer, endpoint: str, appid: str, secret: str, errcode: int | None
) -> None:
    if endpoint == "token":
        answer = SandboxApi(server.base_url, appid, secret).fetch_token()
    else:
        answer = stable_token(server.base_url, appid, secret)
    assert answer.get("errcode") == errcode, answer
    fetched = {a: SandboxApi(server.base_url, a).state()["tokens"]["fetched"] for a in KEYS}
    expected = {a: int(errcode is None and a == appid) for a in KEYS}
    assert fetched == expected


def test_a_token_acts_for_its_own_account_only(
    server: SandboxServer, first: SandboxApi, second: SandboxApi
) -> None:
    media_id = second.draft()
    assert second.post("draft/get", {"media_id": media_id})["news_item"]
    # The first account's token reaches only the first account's draft box.
    refused = first.post("draft/get", {"media_id": media_id})
    assert refused["errcode"] == 40007, refused
    assert first.post("draft/count", method="GET")["total_count"] == 0
    assert second.post("draft/count", method="GET")["total_count"] == 1
    assert second.post("draft/count", method="GET", token="not-a-token")["errcode"] == 40001
    # A token fetched again by one account does not disturb the other's.
    first.renew_token()
    server.advance(server.settings.token_grace + 1)
    assert second.post("draft/count", method="GET")["total_count"] == 1


# --- Records stay per account ---------------------------------------------------------------


def make_draft(api: SandboxApi) -> str:
    return api.draft()


def make_material(api: SandboxApi) -> str:
    return api.thumb()


def make_mass_send(api: SandboxApi) -> str:
    return str(sendall(api, "isolation")["msg_id"])


def make_menu(api: SandboxApi) -> str:
    body = {"button": [{"type": "click", "name": "最新", "key": "LATEST"}]}
    assert api.post("menu/create", body)["errcode"] == 0
    return "最新"


def seen_drafts(state: dict[str, Any]) -> list[str]:
    return [d["media_id"] for d in state["drafts"]]


def seen_materials(state: dict[str, Any]) -> list[str]:
    return [m["media_id"] for m in state["materials"]]


def seen_mass_sends(state: dict[str, Any]) -> list[str]:
    return [str(m["msg_id"]) for m in state["mass_sends"]]


def seen_menu(state: dict[str, Any]) -> list[str]:
    return [b["name"] for b in state["menu"] or []]


@pytest.mark.parametrize(
    ("make", "seen"),
    [
        (make_draft, seen_drafts),
        (make_material, seen_materials),
        (make_mass_send, seen_mass_sends),
        (make_menu, seen_menu),
    ],
    ids=["draft", "material", "mass send", "menu"],
)
@pytest.mark.parametrize("maker", [SANDBOX_APPID, SECOND_APPID])
def test_what_one_account_makes_the_other_does_not_see(
    server: SandboxServer,
    maker: str,
    make: Callable[[SandboxApi], str],
    seen: Callable[[dict[str, Any]], list[str]],
) -> None:
    by_appid = apis(server)
    made = make(by_appid[maker])
    for appid, api in by_appid.items():
        assert (made in seen(api.state())) == (appid == maker), appid


def test_the_request_log_is_per_account(first: SandboxApi, second: SandboxApi) -> None:
    first.draft()
    logged = {
        name: [e["path"] for e in api.admin("GET", "log")["entries"]]
        for name, api in {"first": first, "second": second}.items()
    }
    assert logged == {
        "first": ["/cgi-bin/token", "/cgi-bin/material/add_material", "/cgi-bin/draft/add"],
        "second": [],
    }


# --- Followers, quotas, faults ---------------------------------------------------------------


def test_followers_are_per_account(server: SandboxServer, second: SandboxApi) -> None:
    second.admin("POST", "followers", {"openid": "oSecondOnly0000000000000000x"})
    counts = {appid: api.state()["followers"] for appid, api in apis(server).items()}
    assert counts == {SANDBOX_APPID: FIRST.followers, SECOND_APPID: SECOND.followers + 1}
    sent = sendall(second, "to-all")
    server.advance(SECOND.mass_send_delay + 1)
    (send,) = second.state()["mass_sends"]
    assert (send["msg_id"], send["recipients"]) == (sent["msg_id"], SECOND.followers + 1)


@pytest.mark.parametrize(
    ("appid", "quota"), [(SANDBOX_APPID, FIRST.mass_daily_quota), (SECOND_APPID, 2)]
)
def test_each_account_has_its_own_daily_quota(
    server: SandboxServer, appid: str, quota: int
) -> None:
    by_appid = apis(server)
    answers = [sendall(by_appid[appid], f"send-{n}")["errcode"] for n in range(quota + 1)]
    assert answers == [0] * quota + [45028]
    (other,) = set(by_appid) - {appid}
    assert sendall(by_appid[other], "other-account")["errcode"] == 0


@pytest.mark.parametrize("faulty", [SANDBOX_APPID, SECOND_APPID])
def test_a_fault_hits_its_own_account_only(server: SandboxServer, faulty: str) -> None:
    by_appid = apis(server)
    for api in by_appid.values():
        api.thumb()
    fault = {"path": "draft/add", "errcode": 45009}
    by_appid[faulty].admin("POST", "faults", fault)
    answers = {
        appid: api.post("draft/add", {"articles": [api.article()]})
        for appid, api in by_appid.items()
    }
    assert {appid: a.get("errcode") for appid, a in answers.items()} == {
        appid: 45009 if appid == faulty else None for appid in by_appid
    }
    assert by_appid[faulty].admin("GET", "faults")["faults"] == []
    assert "media_id" in by_appid[faulty].post(
        "draft/add", {"articles": [by_appid[faulty].article()]}
    )


# --- Events: each account's to its own callback, signed with its own keys --------------------


def opened(post: ReceivedPost, appid: str) -> ET.Element:
    """Return the event in ``post`` after checking it with ``appid``'s token and AES key."""
    token, aes_key, _ = KEYS[appid]
    q = post.query
    assert q["signature"] == documented_signature(token, q["timestamp"], q["nonce"])
    encrypted = ET.fromstring(post.body).findtext("Encrypt") or ""
    assert q["msg_signature"] == documented_signature(token, q["timestamp"], q["nonce"], encrypted)
    xml, from_appid = documented_decrypt(aes_key, encrypted)
    assert from_appid == appid
    return ET.fromstring(xml)


@pytest.fixture
def sinks() -> Iterator[dict[str, EventSink]]:
    """Return one callback receiver per account."""
    with EventSink() as a, EventSink() as b:
        yield {SANDBOX_APPID: a, SECOND_APPID: b}


@pytest.fixture
def to_sinks(
    sandbox_factory: Callable[..., SandboxServer], sinks: dict[str, EventSink]
) -> SandboxServer:
    """Return a sandbox of both accounts, each calling back to its own receiver."""
    return sandbox_factory(
        accounts=[
            FIRST.model_copy(update={"callback_url": sinks[SANDBOX_APPID].url}),
            SECOND.model_copy(update={"callback_url": sinks[SECOND_APPID].url}),
        ]
    )


def test_events_go_to_each_accounts_callback_signed_with_its_keys(
    to_sinks: SandboxServer, sinks: dict[str, EventSink]
) -> None:
    server = to_sinks
    sent = {appid: sendall(api, "event")["msg_id"] for appid, api in apis(server).items()}
    server.advance(5)
    assert server.wait_for_events()
    for appid, sink in sinks.items():
        (post,) = sink.wait(1)
        event = opened(post, appid)
        assert event.findtext("Event") == "MASSSENDJOBFINISH"
        assert event.findtext("ToUserName") == KEYS[appid][2]
        status = apis(server)[appid].post("message/mass/get", {"msg_id": str(sent[appid])})
        assert status["msg_status"] == "SEND_SUCCESS"
    # Neither account's key opens the other's event.
    with pytest.raises(AssertionError):
        opened(sinks[SECOND_APPID].received[0], SANDBOX_APPID)


def test_a_follower_message_goes_to_the_chosen_accounts_callback(
    to_sinks: SandboxServer, sinks: dict[str, EventSink]
) -> None:
    server = to_sinks
    url = f"{server.base_url}/sandbox/messages"
    body = {"openid": "oSbx000000000000000000000001", "content": "最新"}
    assert requests.post(url, params={"appid": SECOND_APPID}, json=body, timeout=10).ok
    assert sinks[SANDBOX_APPID].received == []
    (post,) = sinks[SECOND_APPID].wait(1)
    assert opened(post, SECOND_APPID).findtext("Content") == "最新"


# --- Inspection: /sandbox/accounts and ?appid= ----------------------------------------------


def test_accounts_are_listed_in_order(server: SandboxServer) -> None:
    listed = requests.get(f"{server.base_url}/sandbox/accounts", timeout=10).json()["accounts"]
    assert [(a["appid"], a["original_id"], a["account_name"], a["followers"]) for a in listed] == [
        (SANDBOX_APPID, SANDBOX_ORIGINAL_ID, FIRST.account_name, FIRST.followers),
        (SECOND_APPID, SECOND_ORIGINAL_ID, "第二个公众号", 5),
    ]
    shown = requests.get(listed[1]["state_url"], timeout=10).json()["account"]
    assert shown["appid"] == SECOND_APPID


@pytest.mark.parametrize(
    ("query", "status", "appid"),
    [
        ({}, 200, SANDBOX_APPID),  # no ?appid=: the first account, as before
        ({"appid": SANDBOX_APPID}, 200, SANDBOX_APPID),
        ({"appid": SECOND_APPID}, 200, SECOND_APPID),
        ({"appid": "wxunknown000000001"}, 404, None),
    ],
)
def test_state_of_the_account_asked_for(
    server: SandboxServer, query: dict[str, str], status: int, appid: str | None
) -> None:
    response = requests.get(f"{server.base_url}/sandbox/state", params=query, timeout=10)
    assert response.status_code == status
    if appid is None:
        assert "no sandbox account has the appid 'wxunknown000000001'" in response.json()["error"]
    else:
        assert response.json()["account"]["appid"] == appid


def test_chat_session_of_the_account_asked_for(server: SandboxServer) -> None:
    url = f"{server.base_url}/sandbox/chat/session"
    session = requests.get(url, params={"appid": SECOND_APPID}, timeout=10).json()
    assert (session["account"], session["appid"]) == ("第二个公众号", SECOND_APPID)
    assert len([f for f in session["followers"] if f["following"]]) == SECOND.followers
    assert [a["appid"] for a in session["accounts"]] == [SANDBOX_APPID, SECOND_APPID]


def test_an_article_page_shows_its_own_account(server: SandboxServer, second: SandboxApi) -> None:
    publish_id = second.post("freepublish/submit", {"media_id": second.draft()})["publish_id"]
    server.advance(SECOND.publish_delay + 1)
    status = second.post("freepublish/get", {"publish_id": publish_id})
    page = requests.get(status["article_detail"]["item"][0]["article_url"], timeout=10)
    assert page.status_code == 200
    assert "第二个公众号" in page.text and FIRST.account_name not in page.text


@pytest.mark.parametrize("appid", [None, SECOND_APPID])
def test_reset_forgets_every_account_or_the_one_named(
    server: SandboxServer, first: SandboxApi, second: SandboxApi, appid: str | None
) -> None:
    first.draft()
    second.draft()
    params = {"appid": appid} if appid else {}
    requests.post(f"{server.base_url}/sandbox/reset", params=params, timeout=10).raise_for_status()
    drafts = {a.appid: len(a.state()["drafts"]) for a in (first, second)}
    assert drafts == {SANDBOX_APPID: int(appid is not None), SECOND_APPID: 0}


def test_python_api_reaches_each_account(server: SandboxServer, second: SandboxApi) -> None:
    second.draft()
    assert server.accounts[SECOND_APPID].state.drafts and not server.state.drafts
    assert server.settings.appid == SANDBOX_APPID  # server.settings/state/log: the first
    assert list(server.accounts) == [SANDBOX_APPID, SECOND_APPID]


@pytest.mark.parametrize(
    ("accounts", "problem"),
    [
        ([FIRST, FIRST], "two accounts have the appid wx0000000000sandbox"),
        (
            [FIRST, SECOND.model_copy(update={"original_id": "gh_shared000001"})]
            + [SandboxSettings(appid="wxthird00000000001", original_id="gh_shared000001")],
            "two accounts have the original_id gh_shared000001",
        ),
    ],
)
def test_two_accounts_may_not_share_an_id(accounts: list[SandboxSettings], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        SandboxServer(accounts=accounts)


def test_a_further_account_gets_an_original_id_of_its_own(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    third = SandboxSettings(appid="wxthird00000000001", secret="thirdsecret")
    server = sandbox_factory(accounts=[FIRST, third])
    ids = [a.settings.original_id for a in server.accounts.values()]
    assert ids[0] == SANDBOX_ORIGINAL_ID
    assert ids[1].startswith("gh_") and len(ids[1]) == 15 and ids[1] != ids[0]


def test_data_cube_numbers_are_per_account(
    sandbox_factory: Callable[..., SandboxServer],
) -> None:
    now = dt.datetime(2026, 7, 10, 2, 0, tzinfo=dt.UTC)  # yesterday in China: 2026-07-09
    server = sandbox_factory(accounts=[FIRST, SECOND], clock=lambda: now)
    second = SandboxApi.of(server.base_url, SECOND)
    history = {"followers": 1200, "sends": [{"date": "2026-07-08", "titles": ["第二个的第一期"]}]}
    second.admin("POST", "history", history)
    window = {"begin_date": "2026-07-08", "end_date": "2026-07-09"}
    answers = {
        appid: (
            api.post("datacube/getusercumulate", window)["list"][-1]["cumulate_user"],
            [a["title"] for a in api.state()["datacube"]["articles"]],
        )
        for appid, api in apis(server).items()
    }
    assert answers == {
        SANDBOX_APPID: (FIRST.followers, []),
        SECOND_APPID: (1200, ["第二个的第一期"]),
    }


# --- Configuration: [sandbox] first, then one per [accounts.<name>] --------------------------

SECOND_TABLE = {
    "appid": SECOND_APPID,
    "secret": SECOND_SECRET,
    "token": SECOND_TOKEN,
    "encoding_aes_key": SECOND_AES_KEY,
    "display_name": "工业智能算网",
}


@pytest.mark.parametrize(
    ("sandbox", "table", "expected"),
    [
        (
            {"callback_url": "http://127.0.0.1:8000/wechat"},
            SECOND_TABLE,
            ("工业智能算网", "http://127.0.0.1:8000/wechat/second", "safe"),
        ),
        (
            {"callback_url": "http://127.0.0.1:8000/wechat/"},
            SECOND_TABLE | {"message_mode": "compatible"},
            ("工业智能算网", "http://127.0.0.1:8000/wechat/second", "compatible"),
        ),
        (
            {},
            {"appid": SECOND_APPID, "secret": SECOND_SECRET, "token": SECOND_TOKEN},
            ("second", "", "plaintext"),  # no AES key: plaintext, as wxbot answers it
        ),
    ],
)
def test_accounts_from_the_configuration(
    sandbox: dict[str, str], table: dict[str, str], expected: tuple[str, str, str]
) -> None:
    settings = config.load(
        environ={},
        overrides={"wechat": {"appid": "wxfirst00000000001"}, "sandbox": sandbox}
        | {"accounts": {"second": table}},
    )
    first_account, second_account = sandbox_accounts(settings)
    assert first_account.appid == "wxfirst00000000001"
    assert first_account.callback_url == sandbox.get("callback_url", "")
    assert second_account.appid == SECOND_APPID
    assert second_account.secret.get_secret_value() == SECOND_SECRET
    assert second_account.token.get_secret_value() == SECOND_TOKEN
    assert (second_account.account_name, second_account.callback_url, second_account.mode) == (
        expected
    )
    assert second_account.original_id.startswith("gh_")
    assert second_account.original_id != first_account.original_id
    assert sandbox_accounts(settings)[1].original_id == second_account.original_id  # stable


def test_callback_url_option_reaches_every_account() -> None:
    settings = config.load(environ={}, overrides={"accounts": {"second": SECOND_TABLE}})
    urls = [a.callback_url for a in sandbox_accounts(settings, "http://127.0.0.1:9/wechat")]
    assert urls == ["http://127.0.0.1:9/wechat", "http://127.0.0.1:9/wechat/second"]


def test_command_serves_every_configured_account(tmp_path: Path) -> None:
    (tmp_path / "wxbot.toml").write_text(
        "[sandbox]\n"
        'callback_url = "http://127.0.0.1:9/wechat"\n'
        "[accounts.second]\n"
        + "".join(f'{key} = "{value}"\n' for key, value in SECOND_TABLE.items()),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    env["WXBOT_CONFIG"] = str(tmp_path / "wxbot.toml")
    command = [sys.executable, "-c", "from wxbot.cli import cli; cli()", "sandbox", "--port", "0"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
        base_url = first_line.split()[-1]
        shown = [proc.stdout.readline() for _ in range(7)]
        listed = requests.get(f"{base_url}/sandbox/accounts", timeout=5).json()["accounts"]
        answer = SandboxApi(base_url, SECOND_APPID, SECOND_SECRET).fetch_token()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert [(a["appid"], a["callback_url"]) for a in listed] == [
        (SANDBOX_APPID, "http://127.0.0.1:9/wechat"),
        (SECOND_APPID, "http://127.0.0.1:9/wechat/second"),
    ]
    assert "access_token" in answer, answer
    assert shown[0].startswith(f"  appid {SANDBOX_APPID} ")
    assert shown[3].startswith(f"  appid {SECOND_APPID} (工业智能算网, gh_"), shown
    assert f"/sandbox/state?appid={SECOND_APPID}" in shown[4]
    assert f"/sandbox/chat?appid={SECOND_APPID}" in shown[5]


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_chat_page_talks_to_the_account_in_its_url(
    to_sinks: SandboxServer, sinks: dict[str, EventSink]
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")
    server = to_sinks
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.goto(f"{server.base_url}/sandbox/chat?appid={SECOND_APPID}", wait_until="load")
            sync_api.expect(page.locator("#account")).to_have_text("第二个公众号")
            page.fill("#text", "最新")
            page.click("#send")
            (post,) = sinks[SECOND_APPID].wait(1)
            assert opened(post, SECOND_APPID).findtext("Content") == "最新"
            assert sinks[SANDBOX_APPID].received == []
            page.select_option("#accounts", SANDBOX_APPID)  # switch to the first account
            sync_api.expect(page.locator("#account")).to_have_text(FIRST.account_name)
            assert page.url.endswith(f"?appid={SANDBOX_APPID}")
        finally:
            browser.close()
