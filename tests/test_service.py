"""Running the service: `wxbot serve` under gunicorn (`wxbot demo`: test_demo.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import SAMPLES

from wxbot import create_app, get_runtime
from wxbot.archive import ingest_paths
from wxbot.demo import free_port


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
    ingest_paths(get_runtime(create_app({"storage.database_url": database})), SAMPLES)
    port = free_port("127.0.0.1")
    env = {
        **os.environ,
        "WXBOT_STORAGE__DATABASE_URL": database,
        "WXBOT_SERVER__PORT": str(port),
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
