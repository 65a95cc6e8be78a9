"""A flood of previews never keeps followers from their answers (served as the Procfile does)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from test_callback_http import TOKEN, signed_query, text_message

from wxbot.runtime import Runtime
from wxbot.wechat.messages import parse_xml

#: Connections flooding the pages: sixteen times the threads of the one worker serving them.
FLOOD_CONNECTIONS = 64

#: Follower messages sent, one after another, while the flood runs.
FOLLOWER_MESSAGES = 8

#: WeChat's deadline: a reply later than this is no reply.
WECHAT_DEADLINE_SECONDS = 5

ISSUES = ("2026-06-13", "2026-06-25")


def flood_paths() -> Iterator[str]:
    """Yield the issue pages and covers over and over, and now and then a new search."""
    for n in itertools.count():
        yield from [f"/issues/{ISSUES[i % 2]}" + ("/cover.jpg" if i % 3 else "") for i in range(7)]
        yield f"/issues?q=数据要素{n}"


@pytest.fixture
def served(app_config: dict[str, Any], archive: Runtime, tmp_path: Path) -> Iterator[str]:
    """Serve the app as the Procfile does, one worker of four threads, on 127.0.0.1."""
    toml = tmp_path / "wxbot.toml"
    toml.write_text(
        f"[storage]\ndatabase_url = {json.dumps(app_config['storage']['database_url'])}\n"
        f'[wechat]\ntoken = "{TOKEN}"\n',
        encoding="utf-8",
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    command = [
        sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "4",
        "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "wxbot.app:create_app()",
    ]  # fmt: skip
    env = os.environ | {"WXBOT_CONFIG": str(toml), "WXBOT_SERVER__SECRET_KEY": "test-secret-key"}
    process = subprocess.Popen(
        command, env=env, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the server exited"
            try:
                requests.get(f"{url}/issues", timeout=1)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, f"{url} never answered"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def test_followers_are_answered_in_time_during_a_flood_of_pages(served: str) -> None:
    stop = threading.Event()
    statuses: Counter[int] = Counter()
    paths = flood_paths()
    lock = threading.Lock()

    def flood() -> None:
        with requests.Session() as http:
            while not stop.is_set():
                with lock:
                    path = next(paths)
                try:
                    status = http.get(served + path, timeout=30).status_code
                except requests.RequestException:
                    status = 0
                with lock:
                    statuses[status] += 1

    flooders = [threading.Thread(target=flood) for _ in range(FLOOD_CONNECTIONS)]
    for thread in flooders:
        thread.start()
    answered: list[str] = []
    try:
        while sum(statuses.values()) < FLOOD_CONNECTIONS:  # the flood is under way
            time.sleep(0.05)
        with requests.Session() as http:
            for msg_id in range(1, FOLLOWER_MESSAGES + 1):
                try:  # a reply after WeChat's deadline is no reply
                    reply = http.post(
                        f"{served}/wechat",
                        params=signed_query(nonce=f"flood{msg_id}"),
                        data=text_message("软银", msg_id),
                        timeout=WECHAT_DEADLINE_SECONDS,
                    )
                except requests.Timeout:
                    answered.append("not in time")
                    continue
                answered.append(parse_xml(reply.content)["Articles"]["item"]["Url"][-10:])
    finally:
        stop.set()
        for thread in flooders:
            thread.join(60)
    assert answered == ["2026-06-25"] * FOLLOWER_MESSAGES
    assert statuses[200] > 0  # the pages were served meanwhile, those refused were told so
    assert set(statuses) <= {200, 503}, statuses
