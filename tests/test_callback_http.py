"""The callback over real HTTP, served by werkzeug and by gunicorn as the Procfile serves it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import make_runtime, serving

from wxbot.app import create_app
from wxbot.runtime import Runtime
from wxbot.sandbox import crypto
from wxbot.storage import followers
from wxbot.wechat.messages import parse_xml

TOKEN = "wxbot-http-token"


#: WeChat signs each push with a fresh nonce.
_NONCES = itertools.count(1)


def signed_query(timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """Return a query string signed for now (or ``timestamp``)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or f"n{next(_NONCES)}"
    return {"signature": crypto.signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def text_message(content: str, msg_id: int) -> bytes:
    """Return a follower's text message."""
    return (
        "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
        "<FromUserName><![CDATA[oHttpFollower]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr and process.stderr.read()!r}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered")


@pytest.fixture(params=["werkzeug", "gunicorn"])
def served(
    request: pytest.FixtureRequest, app_config: dict[str, Any], archive: Runtime, tmp_path: Path
) -> Iterator[str]:
    """Return the base URL of the app, with both samples archived, served on 127.0.0.1."""
    config = app_config | {"wechat": {"token": TOKEN}, "callback": {"max_body_bytes": 4096}}
    if request.param == "werkzeug":
        runtime = make_runtime(config)
        with serving(create_app(runtime)) as url:
            yield url
        runtime.close()
        return
    toml = tmp_path / "wxbot.toml"
    toml.write_text(
        f"[storage]\ndatabase_url = {json.dumps(config['storage']['database_url'])}\n"
        f'[wechat]\ntoken = "{TOKEN}"\n[callback]\nmax_body_bytes = 4096\n',
        encoding="utf-8",
    )
    port = _free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4",
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "wxbot.app:create_app()",
    ]  # fmt: skip
    env = os.environ | {"WXBOT_CONFIG": str(toml), "WXBOT_SERVER__SECRET_KEY": "test-secret-key"}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        _wait_for(f"http://127.0.0.1:{port}/wechat", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr:
            process.stderr.close()


def test_the_callback_over_http(served: str, archive: Runtime) -> None:
    url = f"{served}/wechat"
    with requests.Session() as http:  # one keep-alive connection, like WeChat's
        echo = http.get(url, params=signed_query() | {"echostr": "hello"}, timeout=5)
        assert (echo.status_code, echo.text) == (200, "hello")

        def good(msg_id: int) -> None:
            reply = http.post(
                url, params=signed_query(), data=text_message("软银", msg_id), timeout=5
            )
            assert reply.status_code == 200, reply.text
            assert parse_xml(reply.content)["Articles"]["item"]["Url"].endswith("2026-06-25")

        good(1)
        bad = [
            (signed_query() | {"signature": "0" * 40}, text_message("软银", 2), 403),
            (signed_query(timestamp=int(time.time()) - 86_400), text_message("软银", 3), 403),
            (signed_query(), b"<xml><unclosed></xml>", 400),
            (signed_query(), b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml/>', 400),
            (signed_query(), b"<xml>" + b"x" * 10_000 + b"</xml>", 413),
        ]
        for n, (query, body, status) in enumerate(bad, start=10):
            assert http.post(url, params=query, data=body, timeout=5).status_code == status
            good(n)  # served normally right after, on the same connection
    # a retry of message 1 gets the same answer; each good message was logged once
    retry = requests.post(url, params=signed_query(nonce="again"), data=text_message("软银", 1))
    assert parse_xml(retry.content)["Articles"]["item"]["Url"].endswith("2026-06-25")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with archive.db.begin() as conn:
            if followers.count_messages(conn) == 6:
                break
        time.sleep(0.05)
    with archive.db.begin() as conn:
        assert followers.count_messages(conn) == 6
        assert followers.count_messages(conn, "msg:1") == 1


def test_the_timestamp_window_uses_the_server_clock(served: str) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    reply = requests.post(
        f"{served}/wechat",
        params=signed_query(timestamp=int(old.timestamp())),
        data=text_message("最新", 99),
        timeout=5,
    )
    assert reply.status_code == 403
