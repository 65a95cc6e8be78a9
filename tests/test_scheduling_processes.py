"""Real ``wxbot worker`` processes: killed with SIGKILL at each step of a send, and two at once.

The sandbox runs in the test process, so it outlives the workers and counts the sends it
accepted (a repeat answered 45065 is not a send).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_runtime

from wxbot.archive import ingest_paths
from wxbot.demo import free_port
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.scheduling import (
    Job,
    get_job,
    job_history,
    list_jobs,
    reschedule_job,
    run_due_jobs,
    schedule_send,
)
from wxbot.states import JobState

#: Bounds on waiting for a worker process to do something (it starts in about a second).
TIMEOUT = 60.0


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return a sandbox that allows many sends a day and a repeat soon after the first."""
    return sandbox_factory(mass_daily_quota=1000, clientmsgid_retry_interval=0.2)


@pytest.fixture
def settings(database_url: str, sandbox: SandboxServer) -> dict[str, Any]:
    """Return the configuration the test and its workers share."""
    return {
        "storage": {"database_url": database_url},
        "wechat": {
            "appid": SANDBOX_APPID,
            "secret": SANDBOX_SECRET,
            "api_base_url": sandbox.base_url,
            "retry_backoff": 0.01,
        },
        "schedule": {
            "min_lead": 0,
            "daily_quota": 0,
            "poll_interval": 0.05,
            # Short, so a killed worker's job is taken over quickly; long enough that a
            # preparation on a loaded machine finishes within it (else a second worker
            # rightly takes over and makes a second draft).
            "lease": 4.0,
            "retry_interval": 0.3,
            "status_interval": 0.2,
        },
    }


@pytest.fixture
def rt(settings: dict[str, Any], tmp_path: Path) -> Iterator[Runtime]:
    runtime = make_runtime(settings | {"instance_path": tmp_path / "instance"})
    assert all(r.ok for r in ingest_paths(runtime, sample_issues()))
    yield runtime
    runtime.close()


class Workers:
    """Start ``wxbot worker`` processes on a config file; stop whatever is left at the end."""

    def __init__(self, folder: Path, settings: dict[str, Any]) -> None:
        self.folder = folder
        self.config = folder / "worker.toml"
        self.config.write_text(_toml(settings), encoding="utf-8")
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, crash_at: str = "") -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
        env["WXBOT_CONFIG"] = str(self.config)
        if crash_at:
            env["WXBOT_TEST_CRASH_AT"] = crash_at
        log = (self.folder / f"worker-{len(self.started)}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "wxbot.cli", "worker"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
        )  # fmt: skip
        log.close()
        self.started.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.folder.glob("worker-*.log"))
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _toml(settings: dict[str, Any]) -> str:
    lines = []
    for section, table in settings.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture
def workers(tmp_path: Path, settings: dict[str, Any]) -> Iterator[Workers]:
    started = Workers(tmp_path, settings)
    yield started
    started.stop_all()


def wait_until(
    check: Callable[[], bool], what: str, workers: Workers, timeout: float = TIMEOUT
) -> None:
    """Poll ``check`` until it holds; fail with the workers' logs after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting until {what}\n{workers.logs()}")
        time.sleep(0.05)


def sends(sandbox: SandboxServer, job: Job) -> int:
    """Return how many sends with the job's clientmsgid the sandbox accepted."""
    with sandbox.account.lock:
        return sum(m.clientmsgid == job.clientmsgid for m in sandbox.state.mass_sends)


def due_prepared_job(rt: Runtime) -> Job:
    """Schedule the issue of the 25th, prepare its draft here, and make it due at once."""
    job = schedule_send(rt, "2026-06-25", rt.now() + dt.timedelta(minutes=10))
    assert [r.action for r in run_due_jobs(rt)] == ["prepared"]
    return reschedule_job(rt, job.id, rt.now() + dt.timedelta(milliseconds=100))


@pytest.mark.parametrize(
    ("step", "state_after_kill", "sends_after_kill"),
    [
        ("before_claim", JobState.SCHEDULED, 0),
        ("after_claim", JobState.CLAIMED, 0),
        ("during_call", JobState.CLAIMED, 1),  # WeChat took it; the answer never reached the worker
        ("after_call", JobState.CLAIMED, 1),  # the answer came; the worker died before recording it
    ],
)
def test_a_killed_worker_is_followed_by_exactly_one_send(
    rt: Runtime,
    sandbox: SandboxServer,
    workers: Workers,
    step: str,
    state_after_kill: str,
    sends_after_kill: int,
) -> None:
    job = due_prepared_job(rt)
    if step == "during_call":
        # WeChat accepts the send, then holds the answer: the worker is killed mid-request
        sandbox.faults.inject("message/mass/sendall", when="after", delay=15)
        first = workers.start()
        wait_until(lambda: sends(sandbox, job) == 1, "the sandbox has the send", workers)
        first.send_signal(signal.SIGKILL)
    else:
        first = workers.start(crash_at=step)
    assert first.wait(timeout=TIMEOUT) == -signal.SIGKILL, workers.logs()
    killed = get_job(rt, job.id)
    assert (killed.state, sends(sandbox, job)) == (state_after_kill, sends_after_kill)

    workers.start()
    wait_until(lambda: get_job(rt, job.id).msg_id is not None, "the job is recorded", workers)
    job = get_job(rt, job.id)
    with sandbox.account.lock:
        [send] = sandbox.state.mass_sends
    assert (send.clientmsgid, str(send.msg_id)) == (job.clientmsgid, job.msg_id)
    assert job.duplicate is (sends_after_kill == 1)
    workers.stop_all()
    assert sends(sandbox, job) == 1


def test_two_workers_send_fifty_due_jobs_exactly_once(
    rt: Runtime, sandbox: SandboxServer, workers: Workers
) -> None:
    for tag_id in range(1, 51):
        sandbox.account.add_tag(tag_id, f"标签{tag_id}")
    # Each due 3 s after it is scheduled: scheduling fifty takes a while on a loaded machine.
    jobs = [
        schedule_send(rt, "2026-06-25", rt.now() + dt.timedelta(seconds=3), tag_id=t)
        for t in range(1, 51)
    ]
    first, second = workers.start(), workers.start()
    # Fifty drafts are made one after the other (each send consumes its draft): a longer bound.
    wait_until(
        lambda: all(j.msg_id for j in list_jobs(rt)), "every job is recorded as sent", workers,
        timeout=3 * TIMEOUT,
    )  # fmt: skip
    workers.stop_all()
    assert first.returncode == second.returncode == 0, workers.logs()
    with sandbox.account.lock:
        accepted = [m.clientmsgid for m in sandbox.state.mass_sends]
        media_ids = [m.media_id for m in sandbox.state.mass_sends]
        drafts = len(sandbox.state.drafts)
    assert sorted(accepted) == sorted(j.clientmsgid for j in jobs)  # each once, none lost
    # Every send consumes its draft (a tag send too): each went out on a draft of its own,
    # made by one worker while the other waited, so no call was spent on a draft just taken.
    assert len(set(media_ids)) == drafts == len(jobs)
    assert len(sandbox.log.entries("message/mass/sendall")) == len(jobs)
    senders = {
        entry.worker.split(":")[1]
        for job in jobs
        for entry in job_history(rt, job.id)
        if entry.event == "submitted"
    }
    assert senders == {str(first.pid), str(second.pid)}


def test_serve_sends_scheduled_jobs_in_process(
    rt: Runtime, sandbox: SandboxServer, workers: Workers, tmp_path: Path
) -> None:
    job = due_prepared_job(rt)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    env |= {"WXBOT_CONFIG": str(workers.config), "WXBOT_SERVER__PORT": str(free_port("127.0.0.1"))}
    env["WXBOT_SERVER__SECRET_KEY"] = "test-secret-key"
    log = (tmp_path / "worker-serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "wxbot.cli", "serve"], env=env, stdout=log, stderr=log
    )
    log.close()
    workers.started.append(server)
    wait_until(lambda: get_job(rt, job.id).msg_id is not None, "serve sent the job", workers)
    assert sends(sandbox, job) == 1
