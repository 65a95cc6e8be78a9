"""Running the service: `wxbot serve` under gunicorn, and `wxbot demo`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests
from click.testing import CliRunner
from conftest import SAMPLES

from wxbot import create_app, get_runtime
from wxbot.archive import ingest_paths, list_issues
from wxbot.cli import cli
from wxbot.demo import free_port
from wxbot.links import issue_links_for
from wxbot.scheduling import list_jobs


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


def test_demo_uses_a_database_of_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--folder", str(folder)])
    assert result.exit_code == 0, result.output
    assert "added     2026-06-13" in result.output
    assert "/issues/2026-06-25/preview" in result.output
    assert "  article: http://127.0.0.1:" in result.output  # published to the sandbox
    assert "scheduled a mass send of 2026-06-25" in result.output
    demo_db = f"sqlite:///{folder / 'demo.sqlite3'}"
    runtime = get_runtime(create_app({"storage.database_url": demo_db}))
    assert [row.id for row in list_issues(runtime)] == ["2026-06-25", "2026-06-13"]
    [job] = list_jobs(runtime)
    assert (job.issue_id, job.state) == ("2026-06-25", "scheduled")
    assert "/s/" in issue_links_for(runtime, ["2026-06-13"])["2026-06-13"]
    # a second run starts from a fresh demo database, as the sandbox does
    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--folder", str(folder)])
    assert again.exit_code == 0, again.output
    assert "scheduling failed" not in again.output
