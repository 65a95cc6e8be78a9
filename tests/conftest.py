"""Shared fixtures: an app on a temporary database, its runtime, a CLI runner, the samples."""

from __future__ import annotations

import datetime as dt
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime, load_runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.sandbox.testing import EventSink, SandboxApi
from wxbot.search.archive_search import ArchiveSearch
from wxbot.storage import Database

# The inputs editors' tools make (bench/editor_inputs.py) serve the benches and the tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from editor_inputs import CHROMIUM, CHROMIUM_FLAGS  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS"]

SAMPLES = sample_issues()

#: Keys of a test configuration that are not settings.
RUNTIME_OPTIONS = ("instance_path", "clock")


def make_runtime(test_config: Mapping[str, Any]) -> Runtime:
    """Build a runtime as wxbot does: settings overrides, plus ``instance_path`` and ``clock``."""
    overrides = {k: v for k, v in test_config.items() if k not in RUNTIME_OPTIONS}
    options = {k: v for k, v in test_config.items() if k in RUNTIME_OPTIONS}
    return load_runtime(overrides=overrides, **options)


@pytest.fixture(autouse=True)
def close_databases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Close every database a test opened (PostgreSQL connections must not be left to GC)."""
    opened: list[Database] = []
    original = Database.__init__

    def tracking_init(self: Database, url: str) -> None:
        original(self, url)
        opened.append(self)

    monkeypatch.setattr(Database, "__init__", tracking_init)
    yield
    for database in opened:
        database.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Return a fresh database: a schema of its own on WXBOT_TEST_POSTGRES_URL, else SQLite."""
    server = os.environ.get("WXBOT_TEST_POSTGRES_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(server)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in server else "?"
    yield f"{server}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, Any]:
    """Return the test configuration: a temporary instance folder and database."""
    return {
        "instance_path": tmp_path / "instance",
        "storage": {"database_url": database_url},
        "server": {"public_base_url": "http://wxbot.test", "secret_key": "test-secret-key"},
    }


@pytest.fixture
def runtime(app_config: dict[str, Any]) -> Iterator[Runtime]:
    """Return the runtime (settings, database, clock) of an empty temporary database."""
    made = make_runtime(app_config)
    yield made
    made.close()


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    """Return the web app over the runtime."""
    return create_app(runtime)


@pytest.fixture
def archive(runtime: Runtime) -> Runtime:
    """Return the runtime with both sample issues ingested."""
    results = ingest_paths(runtime, SAMPLES)
    assert [r.status for r in results] == ["added", "added"], results
    return runtime


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """Return a test client for the app."""
    return app.test_client()


@pytest.fixture
def run_cli(app_config: dict[str, Any]) -> Iterator[Callable[..., Result]]:
    """Return a function that runs a ``wxbot`` command against the test configuration."""
    envs: list[CliEnv] = []

    def run(*args: str, input: str | None = None) -> Result:
        envs.append(CliEnv(test_config=dict(app_config)))
        return CliRunner().invoke(
            cli, list(args), obj=envs[-1], input=input, catch_exceptions=False
        )

    yield run
    for env in envs:  # PostgreSQL connections must be closed, not left to the collector
        env.close()


# --- WeChat API sandbox (wxbot.sandbox) ------------------------------------------------------

#: Jobs complete and failed callbacks retry within a fraction of a second in tests.
SANDBOX_TEST_SETTINGS: dict[str, Any] = {
    "publish_delay": 0.05,
    "mass_send_delay": 0.05,
    "callback_retry_interval": 0.05,
    "callback_timeout": 2.0,
}


@pytest.fixture
def sandbox_factory() -> Iterator[Callable[..., SandboxServer]]:
    """Return a function starting a sandbox with other settings; every one stops after the test."""
    servers: list[SandboxServer] = []

    def start(**overrides: Any) -> SandboxServer:
        server = SandboxServer(**(SANDBOX_TEST_SETTINGS | overrides)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return a running WeChat API sandbox with the built-in credentials (SANDBOX_APPID…)."""
    return sandbox_factory()


@pytest.fixture
def sandbox_api(sandbox: SandboxServer) -> SandboxApi:
    """Return a bare requests-based caller of the sandbox's /cgi-bin endpoints."""
    return SandboxApi(sandbox.base_url)


@pytest.fixture
def event_sink() -> Iterator[EventSink]:
    """Return a local HTTP endpoint that records the events POSTed to it and answers success."""
    with EventSink() as sink:
        yield sink


# --- wxbot's own WeChat client against the sandbox (wxbot.wechat, wxbot.publishing) -----------


@pytest.fixture
def wechat_config(app_config: dict[str, Any], sandbox: SandboxServer) -> dict[str, Any]:
    """Return the test configuration pointed at the sandbox, with fast retries and polls."""
    return app_config | {
        "wechat": {
            "appid": SANDBOX_APPID,
            "secret": SANDBOX_SECRET,
            "api_base_url": sandbox.base_url,
            "retry_backoff": 0.01,
        },
        "publish": {"poll_interval": 0.02, "wait_timeout": 5.0},
    }


@pytest.fixture
def runtime_factory() -> Iterator[Callable[[dict[str, Any]], Runtime]]:
    """Return a function making another app's runtime (another process, say) from a config."""
    made: list[Runtime] = []

    def make(config: dict[str, Any]) -> Runtime:
        made.append(make_runtime(config))
        return made[-1]

    yield make
    for runtime in made:  # PostgreSQL connections must be closed, not collected
        runtime.close()


@pytest.fixture
def wechat_runtime(
    wechat_config: dict[str, Any], runtime_factory: Callable[[dict[str, Any]], Runtime]
) -> Runtime:
    """Return a runtime that calls the sandbox, with both sample issues archived."""
    runtime = runtime_factory(wechat_config)
    results = ingest_paths(runtime, SAMPLES)
    assert all(r.ok for r in results), results
    return runtime


@pytest.fixture
def wechat_cli(
    wechat_config: dict[str, Any], wechat_runtime: Runtime
) -> Iterator[Callable[..., Result]]:
    """Return a function that runs a ``wxbot`` command against the sandbox configuration."""
    envs: list[CliEnv] = []

    def run(*args: str) -> Result:
        envs.append(CliEnv(test_config=dict(wechat_config)))
        return CliRunner().invoke(cli, list(args), obj=envs[-1], catch_exceptions=False)

    yield run
    for env in envs:
        env.close()


# --- waiting on work that happens beside the test -------------------------------------------


def dated_copies(folder: Path, days: int) -> list[Path]:
    """Write ``days`` copies of the first sample, one a day from 2020-01-01, as a year's files."""
    text = SAMPLES[0].read_text(encoding="utf-8")
    paths = []
    for n in range(days):
        day = dt.date(2020, 1, 1) + dt.timedelta(days=n)
        path = folder / f"{day}.txt"
        dated = f"{day.year} 年 {day.month} 月 {day.day} 日"
        path.write_text(text.replace("2026 年 6 月 13 日", dated), encoding="utf-8")
        paths.append(path)
    return paths


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """Serve ``app`` over HTTP on 127.0.0.1 (``port``, or a free one); yield its base URL.

    On leaving: stop serving, then close the follower callback's threads and message log.
    """
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["wxbot.callback"].close()


def wait_for(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """Return ``check()`` once it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture
def slow_search(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make every archive search wait until the returned event is set."""
    release = threading.Event()
    search = ArchiveSearch.search

    def slow(self: ArchiveSearch, query: str, top: int = 5) -> Any:
        assert release.wait(30), "the test never released the search"
        return search(self, query, top)

    monkeypatch.setattr(ArchiveSearch, "search", slow)
    return release
