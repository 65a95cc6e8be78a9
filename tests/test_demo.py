"""`wxbot demo`: its database visible to other commands, its steps shown, --no-serve honest."""

from __future__ import annotations

import os
import queue
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from conftest import make_runtime
from test_scheduling_rules import START, Clock, local

from wxbot.archive import ingest_paths, list_issues
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.demo import free_port, history_lengths, new_job_steps
from wxbot.publishing import on_wechat_event
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling import list_jobs, run_due_jobs, schedule_send
from wxbot.wechat.events import MassSendJobFinish

#: The command the demo prints for looking at its database from another terminal.
SEE_IT = re.compile(r"`(wxbot --config \S+) issues`")


def run_wxbot(command: str) -> Result:
    """Run a printed ``wxbot …`` command line in-process, closing its database afterwards."""
    args = shlex.split(command)[1:]
    env = CliEnv(config_path=args[1])
    try:
        return CliRunner().invoke(cli, args[2:], obj=env, catch_exceptions=False)
    finally:
        env.close()


def test_no_serve_announces_nothing_it_will_not_do(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    port = free_port("127.0.0.1")
    result = CliRunner().invoke(
        cli, ["demo", "--no-serve", "--folder", str(folder), "--port", str(port)]
    )
    assert result.exit_code == 0, result.output
    assert "added     2026-06-13" in result.output
    assert f"127.0.0.1:{port}" not in result.output  # no archive page, preview or callback
    assert "article: http" not in result.output  # the sandbox stops with the command
    assert "scheduled a mass send" not in result.output
    assert "nothing is served and no send is scheduled" in result.output
    runtime = make_runtime({"storage.database_url": f"sqlite:///{folder}/demo.sqlite3"})
    assert [row.id for row in list_issues(runtime)] == ["2026-06-25", "2026-06-13"]
    assert list_jobs(runtime) == []
    runtime.close()
    # the printed command sees the demo's database, its account included
    [command] = SEE_IT.findall(result.output)
    assert command == f"wxbot --config {shlex.quote(str(folder / 'demo.toml'))}"
    shown = run_wxbot(f"{command} issues")
    assert shown.exit_code == 0, shown.output
    assert [line.split()[:4] for line in shown.output.splitlines()] == [
        ["2026-06-25", "rev", "1", "archived"],
        ["2026-06-13", "rev", "1", "published"],
    ]
    # a second run starts from a fresh demo database, as the sandbox does
    again = CliRunner().invoke(cli, ["demo", "--no-serve", "--folder", str(folder)])
    assert again.exit_code == 0, again.output
    assert "publishing failed" not in again.output


@pytest.fixture
def demo_process(tmp_path: Path) -> Iterator[Callable[[str, float], str]]:
    """Start ``wxbot demo``; return a function waiting for an output line matching a pattern."""
    port = free_port("127.0.0.1")
    process = subprocess.Popen(
        [sys.executable, "-m", "wxbot.cli", "demo", "--folder", str(tmp_path / "demo"),
         "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout], daemon=True)
    reader.start()
    seen: list[str] = []

    def wait_for(pattern: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                assert process.poll() is None, "\n".join(seen)
                continue
            seen.append(line.rstrip())
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(seen))

    yield wait_for
    process.terminate()
    assert process.wait(timeout=20) == 0
    reader.join(timeout=5)
    process.stdout.close()


def test_the_printed_command_sees_the_demo_while_it_runs(
    demo_process: Callable[[str, float], str],
) -> None:
    [command] = SEE_IT.findall(demo_process("see it from another terminal", 60))
    scheduled = demo_process(r"^scheduled a mass send of 2026-06-25 at", 60)
    assert re.search(r"at \d{4}-\d\d-\d\d \d\d:\d\d CST \(Asia/Shanghai\) \(job 1\)", scheduled)
    demo_process("^follower callback: http", 10)
    jobs = run_wxbot(f"{command} jobs")
    assert jobs.exit_code == 0, jobs.output
    assert jobs.output.splitlines()[0] == "upcoming:"
    assert jobs.output.splitlines()[1].split()[5:8] == ["scheduled", "2026-06-25", "everyone"]
    # the in-process scheduler prepares the draft at once (the send is within prepare_ahead),
    # and the demo's terminal says so as it happens
    demo_process(r"^job 1 \(2026-06-25\) prepared  revision 1, draft \S+ \(added\)", 60)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def demo_runtime(
    wechat_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    clock: Clock,
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> tuple[Runtime, SandboxServer]:
    sandbox = sandbox_factory(clock=clock)
    config = wechat_config | {
        "clock": clock,
        "wechat": wechat_config["wechat"] | {"api_base_url": sandbox.base_url},
    }
    runtime = runtime_factory(config)
    assert all(r.ok for r in ingest_paths(runtime, sample_issues()))
    return runtime, sandbox


def test_each_job_step_is_printed_once_as_it_happens(
    demo_runtime: tuple[Runtime, SandboxServer], clock: Clock
) -> None:
    runtime, sandbox = demo_runtime
    job = schedule_send(runtime, "2026-06-25", local("2026-06-25 07:10"))
    seen = history_lengths(runtime)
    assert new_job_steps(runtime, seen) == []  # "scheduled" was printed by the demo itself
    run_due_jobs(runtime)
    assert new_job_steps(runtime, seen) == [
        f"job {job.id} (2026-06-25) prepared  revision 1, draft "
        f"{sandbox.state.live_drafts()[0].media_id} (added)  [2026-06-25 07:00 CST (Asia/Shanghai)]"
    ]
    clock.advance(minutes=10)
    run_due_jobs(runtime)
    [send] = sandbox.state.mass_sends
    claimed, submitted = new_job_steps(runtime, seen)
    assert (
        claimed
        == f"job {job.id} (2026-06-25) claimed  claim 1  [2026-06-25 07:10 CST (Asia/Shanghai)]"
    )
    assert submitted.startswith(f"job {job.id} (2026-06-25) submitted  msg_id {send.msg_id}")
    on_wechat_event(runtime, MassSendJobFinish(str(send.msg_id), "send success", 3, 0, 3, 0, ()))
    sent = "sent 3/3, errors 0  [2026-06-25 07:10 CST (Asia/Shanghai)]"  # the event finishes it
    assert new_job_steps(runtime, seen) == [f"job {job.id} (2026-06-25) sent  {sent}"]
    clock.advance(minutes=1)
    run_due_jobs(runtime)
    assert new_job_steps(runtime, seen) == []


def test_the_printed_chat_simulator_answers_through_the_demo(
    demo_process: Callable[[str, float], str],
) -> None:
    callback = demo_process("^follower callback: http", 90).split()[2]
    url = demo_process("^chat simulator: http", 10).split()[2]
    deadline = time.monotonic() + 30
    while True:  # the demo prints its addresses, then starts serving
        try:
            requests.get(callback, timeout=5)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"{callback} never answered"
            time.sleep(0.2)
    session = requests.get(f"{url}/session", timeout=10).json()
    assert session["mode"] == "safe"  # the demo's callback takes encrypted messages only
    # the configured menu, as the sandbox's get_current_selfmenu_info answers it
    latest, _, site = session["menu"]
    assert latest == {"name": "最新一期", "type": "click", "key": "LATEST"}
    assert site == {"name": "官网", "type": "view", "url": callback.replace("/wechat", "/issues")}
    follower = session["followers"][0]["openid"]
    answer = requests.post(
        f"{url}/send", json={"openid": follower, "kind": "click", "value": "LATEST"}, timeout=30
    ).json()
    assert len(answer["replies"]) == 1, answer
    [news] = answer["replies"]
    card_url = news["articles"][0]["url"]
    assert card_url.endswith("/issues/2026-06-25")
    assert requests.get(card_url, timeout=10).status_code == 200
