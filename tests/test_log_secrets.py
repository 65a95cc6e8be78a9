"""Every log line of a demo run, at DEBUG in every process, holds none of the account's secrets."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from wxbot.demo import free_port
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_ORIGINAL_ID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
)
from wxbot.sandbox.crypto import encrypt, signature

#: ``wxbot`` with every logger of every process (gunicorn's workers included) at DEBUG.
WXBOT_AT_DEBUG = (
    "import logging, sys\n"
    "logging.basicConfig(level=logging.DEBUG, format='%(levelname)s %(name)s: %(message)s')\n"
    "from wxbot.cli import cli\n"
    "cli(sys.argv[1:], prog_name='wxbot')\n"
)

#: The Flask secret key the served demo is given, so that the log can be searched for it.
SECRET_KEY = "flask-secret-key-7f3c9a1e5b"


def wxbot_at_debug(*args: str) -> list[str]:
    """Return the command line running ``wxbot ARGS`` with everything logged."""
    return [sys.executable, "-c", WXBOT_AT_DEBUG, *args]


def access_tokens(folder: Path) -> list[str]:
    """Return the access tokens the sandbox issued, as the demo's database stored them."""
    with sqlite3.connect(folder / "demo.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT access_token FROM wechat_tokens") if row[0]]


def secrets_in(log: str, folder: Path) -> list[str]:
    """Return which secrets appear anywhere in ``log`` (empty when none do)."""
    tokens = access_tokens(folder)
    assert tokens, "the demo fetched no access token: nothing was published"
    secrets = {
        "appsecret": SANDBOX_SECRET,
        "token": SANDBOX_TOKEN,
        "EncodingAESKey": SANDBOX_AES_KEY,
        "secret_key": SECRET_KEY,
    } | {f"access token {i}": token for i, token in enumerate(tokens)}
    return [
        f"{name} in: {line}"
        for line in log.splitlines()
        for name, value in secrets.items()
        if value in line
    ]


@pytest.fixture
def demo_env() -> dict[str, str]:
    """Return the environment of a demo run: the test's own, plus a known Flask secret key.

    Every answer is waited for (late_answer_budget 0): on a loaded machine a cold worker's
    first phrase needing jieba can take over 4 s, and would be answered `success` and sent
    late, where this test wants each reply sealed in safe mode.
    """
    return dict(os.environ) | {
        "WXBOT_SERVER__SECRET_KEY": SECRET_KEY,
        "WXBOT_CALLBACK__LATE_ANSWER_BUDGET": "0",
    }


def test_a_demo_run_logs_no_secret(tmp_path: Path, demo_env: dict[str, str]) -> None:
    folder = tmp_path / "demo"
    port = str(free_port("127.0.0.1"))
    run = subprocess.run(
        wxbot_at_debug("demo", "--no-serve", "--folder", str(folder), "--port", port),
        capture_output=True, text=True, env=demo_env, timeout=120,
    )  # fmt: skip
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "published: http" in log and "DEBUG urllib3" in log  # everything was logged
    assert secrets_in(log, folder) == []


def signed_message(content: str, msg_id: int) -> tuple[dict[str, str], bytes]:
    """Return the query and body WeChat sends for a follower's text in safe mode."""
    timestamp, nonce = str(int(time.time())), f"nonce{msg_id}"
    xml = (
        f"<xml><ToUserName><![CDATA[{SANDBOX_ORIGINAL_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[oFollower{msg_id}]]></FromUserName>"
        f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )
    encrypted = encrypt(SANDBOX_AES_KEY, SANDBOX_APPID, xml.encode("utf-8"))
    query = {
        "signature": signature(SANDBOX_TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": f"oFollower{msg_id}",
        "encrypt_type": "aes",
        "msg_signature": signature(SANDBOX_TOKEN, timestamp, nonce, encrypted),
    }
    body = (
        f"<xml><ToUserName><![CDATA[{SANDBOX_ORIGINAL_ID}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return query, body.encode("utf-8")


@pytest.fixture
def served_demo(tmp_path: Path, demo_env: dict[str, str]) -> Iterator[tuple[str, Path, Path]]:
    """Run ``wxbot demo`` serving; yield its base URL, its folder and the file it logs to."""
    folder, log_path = tmp_path / "demo", tmp_path / "demo.log"
    port = free_port("127.0.0.1")
    with log_path.open("w") as log:
        process = subprocess.Popen(
            wxbot_at_debug("demo", "--folder", str(folder), "--port", str(port)),
            stdout=log, stderr=subprocess.STDOUT, env=demo_env,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while "follower callback: http" not in log_path.read_text():
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        while True:  # the worker may still be starting
            try:
                requests.get(f"{base_url}/issues", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
        yield base_url, folder, log_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_served_demo_logs_no_secret(served_demo: tuple[str, Path, Path]) -> None:
    base_url, folder, log_path = served_demo
    with requests.Session() as http:
        for msg_id, query in enumerate(["软银", "新质生产力政策与产业资本动向", "帮助"], start=1):
            params, body = signed_message(query, msg_id)
            reply = http.post(f"{base_url}/wechat", params=params, data=body, timeout=10)
            assert reply.status_code == 200 and b"<Encrypt>" in reply.content
        forged, body = signed_message("软银", 99)
        forged["msg_signature"] = "0" * 40
        assert http.post(f"{base_url}/wechat", params=forged, data=body, timeout=10).ok is False
        garbage = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
        http.post(f"{base_url}/wechat", params=signed_message("软银", 98)[0], data=garbage)
        for page in ["/issues", "/issues/2026-06-25", "/issues/2026-06-25/cover.jpg"]:
            assert http.get(base_url + page, timeout=30).status_code == 200
    time.sleep(1)  # the access log and the follower log are written behind the replies
    log = log_path.read_text()
    assert "DEBUG wxbot" in log and "POST /wechat" in log  # the worker logged, at DEBUG
    assert secrets_in(log, folder) == []


#: An editor's password, and a near miss of it typed by mistake: neither may be logged.
EDITOR_PASSWORD = "editor-password-3b8e1d"
NEAR_MISS = "editor-password-3b8e1e"


def console_sign_in(http: requests.Session, base_url: str, name: str, password: str) -> int:
    """Sign in through the console's form; return the answer's status."""
    form = http.get(f"{base_url}/console/sign-in", timeout=30).text
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    answer = http.post(
        f"{base_url}/console/sign-in",
        data={"csrf_token": token, "name": name, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    return answer.status_code


def test_editors_passwords_are_never_logged(
    served_demo: tuple[str, Path, Path], demo_env: dict[str, str]
) -> None:
    base_url, folder, log_path = served_demo
    config = str(folder / "demo.toml")
    added = subprocess.run(
        wxbot_at_debug("--config", config, "user", "add", "carol", "--password-stdin"),
        input=f"{EDITOR_PASSWORD}\n", capture_output=True, text=True, env=demo_env, timeout=60,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    changed = subprocess.run(
        wxbot_at_debug("--config", config, "user", "passwd", "carol"),
        input=f"{EDITOR_PASSWORD}\n{EDITOR_PASSWORD}\n", capture_output=True, text=True,
        env=demo_env, timeout=60,
    )  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    with requests.Session() as http:
        assert console_sign_in(http, base_url, "carol", NEAR_MISS) == 401
        assert console_sign_in(http, base_url, "carol", EDITOR_PASSWORD) == 302
        assert http.get(f"{base_url}/console/account", timeout=30).status_code == 200
    time.sleep(1)  # the access log is written behind the replies
    logs = {
        "demo": log_path.read_text(),
        "user add": added.stdout + added.stderr,
        "user passwd": changed.stdout + changed.stderr,
    }
    assert "console: sign-in carol" in logs["demo"]  # the sign-ins were logged, at INFO
    assert "INFO wxbot.editors: account carol added" in logs["user add"]  # it logged
    assert "INFO wxbot.editors: password of carol changed" in logs["user passwd"]
    leaks = [
        f"{password} in the {name} log: {line}"
        for name, log in logs.items()
        for line in log.splitlines()
        for password in (EDITOR_PASSWORD, NEAR_MISS)
        if password in line
    ]
    assert leaks == []
