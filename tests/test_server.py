"""The bundled server (`wxbot serve`): slow clients take no thread; the access log keeps no secret.

Real sockets on 127.0.0.1 against a real `wxbot serve` subprocess.
"""

from __future__ import annotations

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import SAMPLES, make_runtime

from wxbot.archive import ingest_paths
from wxbot.demo import free_port
from wxbot.sandbox import crypto
from wxbot.wechat.messages import parse_xml

TOKEN = "wxbot-server-token"
#: Slow connections held open beside the followers' messages (issue 14: 32).
SLOW_CLIENTS = 32
#: How long the slow clients trickle, a byte every half second.
TRICKLE_SECONDS = 8.0


def signed(nonce: str) -> dict[str, str]:
    """Return a query string signed for now."""
    ts = str(int(time.time()))
    return {"signature": crypto.signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}


def text_message(query: str, msg_id: int) -> bytes:
    """Return a follower's text message."""
    return (
        "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
        f"<FromUserName><![CDATA[oFollower{msg_id}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{query}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()


ROOT = Path(__file__).resolve().parents[1]


def procfile_web(port: int) -> list[str]:
    """Return the Procfile's web command with two workers, bound to 127.0.0.1:``port``."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("web:")
    )
    line = re.sub(r"\$\{WEB_CONCURRENCY:-\d+\}", "2", line)
    line = re.sub(r"0\.0\.0\.0:\$\{PORT:-\d+\}", f"127.0.0.1:{port}", line)
    return [sys.executable, "-m", *shlex.split(line)]


@pytest.fixture(params=["wxbot serve"])
def serving(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Return the URL of `wxbot serve` (or the Procfile's web) over both samples, and its log."""
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    ingest_paths(make_runtime({"storage.database_url": database}), SAMPLES)
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "WXBOT_STORAGE__DATABASE_URL": database,
        "WXBOT_SERVER__PORT": str(port),
        "WXBOT_SERVER__SECRET_KEY": "test-secret-key",
        "WXBOT_WECHAT__TOKEN": TOKEN,
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        command = [sys.executable, "-m", "wxbot.cli", "serve"]
        if request.param == "Procfile":
            command = procfile_web(port)
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/issues/2026-06-13", timeout=2)
                    break
                except (requests.ConnectionError, requests.Timeout):  # still starting: workers
                    # build the app after the fork, which takes seconds on a busy machine
                    assert time.monotonic() < deadline, log_path.read_text()
                    time.sleep(0.1)
            yield f"http://127.0.0.1:{port}", log_path
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # gunicorn's graceful stop, over its patience
                server.kill()
                server.wait(timeout=5)


def _slow_request(n: int) -> tuple[bytes, bytes]:
    """Return what a slow client sends at once, and what it then trickles."""
    if n % 2:  # headers, a byte at a time
        return b"", b"POST /wechat HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"x" * 64
    query = "&".join(f"{k}={v}" for k, v in signed(f"slow{n}").items())
    head = (
        f"POST /wechat?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n\r\n"
    ).encode()
    return head, text_message("最新", 10_000 + n)  # a signed URL, its body a byte at a time


def _trickle(port: int, stop: threading.Event) -> None:
    clients = []
    for n in range(SLOW_CLIENTS):
        sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        head, rest = _slow_request(n)
        if head:
            sock.sendall(head)
        clients.append((sock, rest))
    try:
        step = 0
        while not stop.wait(0.5):
            for sock, rest in clients:
                if step < len(rest):
                    try:
                        sock.send(rest[step : step + 1])
                    except OSError:  # the server gave up on it: as it should
                        pass
            step += 1
    finally:
        for sock, _ in clients:
            sock.close()


@pytest.mark.parametrize("serving", ["wxbot serve", "Procfile"], indirect=True)
def test_slow_clients_do_not_keep_followers_waiting(serving: tuple[str, Path]) -> None:
    base, _log = serving
    port = int(base.rsplit(":", 1)[1])
    stop = threading.Event()
    slow = threading.Thread(target=_trickle, args=(port, stop), daemon=True)
    slow.start()
    try:
        time.sleep(1)  # every slow client is connected and sending
        for msg_id in range(1, 9):
            # WeChat waits 5 s for an answer; a follower's message must not wait behind them
            reply = requests.post(
                f"{base}/wechat",
                params=signed(f"n{msg_id}"),
                data=text_message("最新", msg_id),
                timeout=4,
            )
            assert reply.status_code == 200, reply.text
            assert parse_xml(reply.content)["MsgType"] in {"news", "text"}
            time.sleep(TRICKLE_SECONDS / 10)
    finally:
        stop.set()
        slow.join(10)


def test_the_access_log_keeps_no_signature_or_nonce(serving: tuple[str, Path]) -> None:
    base, log = serving
    query = signed("secretnonce")
    reply = requests.post(f"{base}/wechat", params=query, data=text_message("最新", 1), timeout=5)
    assert reply.status_code == 200
    requests.get(f"{base}/issues/2026-06-13", params={"signature": "x", "q": "kept"}, timeout=5)
    deadline = time.monotonic() + 5
    while "q=kept" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    written = log.read_text()
    assert "POST /wechat?timestamp=" in written, written  # the request is logged …
    assert "q=kept" in written
    for secret in (query["signature"], "secretnonce", "signature="):
        assert secret not in written  # … without what would let a reader replay it
