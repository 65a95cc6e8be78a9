"""The shared access_token: one fetch for many processes, refreshed ahead of expiry, leases."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.storage import wechat_tokens
from wxbot.wechat import WeChatApi, account_key

#: A process that builds its runtime on the shared database, says "ready", waits for "go" and
#: prints the token it gets.
PROCESS = """
import json, sys
from wxbot.runtime import load_runtime
from wxbot.wechat import WeChatApi
runtime = load_runtime(overrides=json.loads(sys.argv[1]))
api = WeChatApi(runtime)
print("ready", flush=True)
sys.stdin.readline()
print(api.tokens.get(), flush=True)
"""

RuntimeFactory = Callable[[dict[str, Any]], Runtime]


def stable_token_fetches(sandbox: SandboxServer) -> int:
    return sum(f.endpoint == "stable_token" for f in sandbox.state.token_fetches)


def test_processes_needing_a_token_at_once_fetch_it_once(
    wechat_config: dict[str, Any], sandbox: SandboxServer, runtime_factory: RuntimeFactory
) -> None:
    config = json.dumps({k: v for k, v in wechat_config.items() if k != "instance_path"})
    runtime_factory(wechat_config)  # the schema exists before the race
    # The fetch is slow, so the others surely arrive while it is under way.
    sandbox.faults.inject("stable_token", delay=0.5)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS, config],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(3)
    ]
    try:
        for process in processes:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        tokens = [process.communicate(timeout=60)[0].strip() for process in processes]
    finally:
        for process in processes:
            process.kill()
    assert [p.returncode for p in processes] == [0, 0, 0]
    assert len(set(tokens)) == 1 and tokens[0]
    assert stable_token_fetches(sandbox) == 1


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 13, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_the_token_is_refreshed_ahead_of_expiry(
    wechat_config: dict[str, Any], sandbox: SandboxServer, runtime_factory: RuntimeFactory
) -> None:
    clock = Clock()
    runtime = runtime_factory(wechat_config | {"clock": clock})
    api = WeChatApi(runtime)
    first = api.tokens.get()
    clock.now += dt.timedelta(seconds=7000)
    assert api.tokens.get() == first  # 200 s left: still good
    assert stable_token_fetches(sandbox) == 1
    clock.now += dt.timedelta(seconds=100)
    sandbox.advance(7100)  # both sides agree: 100 s left, inside WeChat's own 5-minute renewal
    second = api.tokens.get()
    assert second != first
    assert stable_token_fetches(sandbox) == 2


def test_a_lease_left_by_a_dead_process_expires(
    wechat_config: dict[str, Any], sandbox: SandboxServer, runtime_factory: RuntimeFactory
) -> None:
    runtime = runtime_factory(wechat_config)
    now = runtime.now()
    with runtime.db.begin() as conn:  # a process claimed the refresh, then died
        held = wechat_tokens.claim_lease(
            conn,
            account_key(runtime.settings.wechat),
            "dead-process",
            now,
            now + dt.timedelta(seconds=0.4),
        )
    assert held
    started = time.monotonic()
    token = WeChatApi(runtime).tokens.get()
    assert token
    assert time.monotonic() - started >= 0.3
    assert stable_token_fetches(sandbox) == 1
