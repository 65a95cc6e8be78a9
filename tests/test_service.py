"""Running the service: `wxbot serve` under gunicorn (`wxbot demo`: test_demo.py)."""

from __future__ import annotations

import os
import subprocess
import sys
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

TOKEN = "wxbot-serve-token"
#: A phrase with no exact hit: answering it needs jieba to split it into words.
NEEDS_JIEBA = "新质生产力政策与产业资本动向"
#: Loaded by every Python process started with it on PYTHONPATH: jieba's dictionary takes
#: seconds to load, so a server that starts loading it before gunicorn forks surely forks
#: while the loading thread holds the lock (issue 14's deadlocked worker).
SLOW_JIEBA = """
import time
import jieba

_initialize = jieba.initialize


def slow_initialize(*args, **kwargs):
    time.sleep(3)
    return _initialize(*args, **kwargs)


jieba.initialize = slow_initialize
"""


def wait_for(url: str, seconds: float = 20) -> requests.Response:
    """Return the first answer from ``url``, polling while the server starts."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return requests.get(url, timeout=2)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_serve_answers_over_http(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    ingest_paths(make_runtime({"storage.database_url": database}), SAMPLES)
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "WXBOT_STORAGE__DATABASE_URL": database,
        "WXBOT_SERVER__PORT": str(port),
        "WXBOT_SERVER__SECRET_KEY": "test-secret-key",
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "wxbot.cli", "serve"], env=env, stdout=log, stderr=log
    )
    try:
        page = wait_for(f"http://127.0.0.1:{port}/issues/2026-06-13")
        assert page.status_code == 200
        assert "国家数据局推动行业高质量数据集建设" in page.text
        assert (
            requests.get(f"http://127.0.0.1:{port}/issues/1999-01-01", timeout=5).status_code == 404
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[str]:
    """Return the URL of `wxbot serve` (two workers, jieba slow to load) over both samples."""
    database = f"sqlite:///{tmp_path / 'serve.sqlite3'}"
    ingest_paths(make_runtime({"storage.database_url": database}), SAMPLES)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_JIEBA, encoding="utf-8")
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(hooks), *sys.path]),
        "WXBOT_STORAGE__DATABASE_URL": database,
        "WXBOT_SERVER__PORT": str(port),
        "WXBOT_SERVER__SECRET_KEY": "test-secret-key",
        "WXBOT_WECHAT__TOKEN": TOKEN,
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "wxbot.cli", "serve", "--workers", "2"],
        env=env,
        stdout=log,
        stderr=log,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/issues/2026-06-13")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def ask(base_url: str, query: str, msg_id: int) -> str:
    """Send a follower's signed text message and return the reply's content."""
    ts, nonce = str(int(time.time())), f"n{msg_id}"
    signed = {"signature": crypto.signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
    body = (
        "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
        f"<FromUserName><![CDATA[oFollower{msg_id}]]></FromUserName>"
        f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{query}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    ).encode()
    reply = requests.post(f"{base_url}/wechat", params=signed, data=body, timeout=15)
    assert reply.status_code == 200, reply.text
    fields = parse_xml(reply.content)
    return str(fields.get("Content") or fields.get("Articles") or fields)


def test_serve_answers_phrases_that_need_jieba_in_every_worker(serving: str) -> None:
    # Connections alternate between the two workers; each must answer, none may hang.
    for msg_id in range(1, 9):
        reply = ask(serving, NEEDS_JIEBA, msg_id)
        assert "没有找到" not in reply and "2026-06" in reply, reply


#: Loaded only by what answers followers (`wxbot serve`, `wxbot search`, the web app).
FOLLOWER_MODULES = ("jieba", "wxbot.callback.service", "wxbot.app")
LOADED = """
import json, sys
from wxbot.cli import cli
cli(sys.argv[1:], standalone_mode=False)
print(json.dumps(sorted(m for m in {modules} if m in sys.modules)))
"""


@pytest.mark.parametrize(
    "command",
    [["issues"], ["show", "2026-06-13"], ["jobs"], ["worker", "--once"], ["config"]],
    ids=lambda command: command[0],
)
def test_commands_that_do_not_answer_followers_load_nothing_of_the_callback(
    tmp_path: Path, command: list[str]
) -> None:
    database = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    ingest_paths(make_runtime({"storage.database_url": database}), SAMPLES)
    env = {**os.environ, "WXBOT_STORAGE__DATABASE_URL": database}
    script = LOADED.format(modules=FOLLOWER_MODULES)
    done = subprocess.run(
        [sys.executable, "-c", script, *command],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.splitlines()[-1] == "[]", done.stdout


def test_the_root_package_imports_nothing() -> None:
    script = (
        "import sys, wxbot; print(sorted(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
