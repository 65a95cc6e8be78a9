"""The demo: wxbot on embedded defaults with the sandbox standing in for WeChat.

A database of its own under the instance folder (a real deployment's never gets sample
data), the sample issues ingested, and the WeChat sandbox running as ``wxbot sandbox`` in a
process of its own (its threads must not live in a process gunicorn forks). The demo's
configuration is written to ``demo.toml`` beside its database, so that ``wxbot --config
…/demo.toml jobs`` (or any other command) sees what the demo does.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .archive import IngestResult, ingest_paths
from .editors import Role, add_editor
from .errors import WxbotError
from .local_time import local_time
from .publishing import Progress, PublishRecord, publish_issue
from .publishing.accounts import publish_to_accounts
from .resources import sample_issues
from .runtime import Runtime
from .sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
)
from .sandbox.chat import CHAT_PATH
from .scheduling import Job, job_history, list_jobs, schedule_send
from .storage.publish_runs import StepRow
from .wechat import WeChatApi
from .wechat.menus import push_menu

logger = logging.getLogger(__name__)

#: The demo's configuration file, beside its database in the demo folder.
CONFIG_NAME = "demo.toml"

#: Seconds between looks at the jobs' histories while the demo serves.
FOLLOW_INTERVAL = 1.0

#: Seconds the sandbox process may take to listen.
SANDBOX_START_SECONDS = 30.0


class SandboxProcess:
    """The WeChat sandbox as ``wxbot sandbox`` in a process of its own, logging to a file.

    The demo's own process becomes gunicorn's master, which forks the workers: a sandbox
    running in threads there would be copied into every worker mid-flight (its locks too).
    """

    def __init__(self, host: str, port: int, callback_url: str, log_path: Path) -> None:
        self.base_url = f"http://{host}:{port}"
        self.log_path = log_path
        # Built-in credentials and demo delays only: none of the caller's WXBOT_* settings.
        env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
        env |= {"WXBOT_SANDBOX__PUBLISH_DELAY": "1.0", "WXBOT_SANDBOX__MASS_SEND_DELAY": "1.0"}
        command = [sys.executable, "-m", "wxbot.cli", "sandbox", "--host", host]
        command += ["--port", str(port), "--callback-url", callback_url]
        with log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
            )
        self._wait_until_listening(host, port)

    def _wait_until_listening(self, host: str, port: int) -> None:
        deadline = time.monotonic() + SANDBOX_START_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise WxbotError(f"the WeChat sandbox did not start; its log: {self.log_path}")

    @property
    def chat_url(self) -> str:
        """Return the chat simulator's page: try the account as one of its followers."""
        return f"{self.base_url}{CHAT_PATH}"

    def stop(self) -> None:
        """Stop the sandbox process (and wait for it)."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


@dataclass
class Demo:
    """A prepared demo: its folder and configuration file, and the running sandbox."""

    folder: Path
    config_path: Path
    sandbox: SandboxProcess
    base_url: str

    @property
    def app_config(self) -> dict[str, Any]:
        """Return what ``create_app`` needs besides :attr:`config_path`: the instance folder."""
        return {"instance_path": self.folder}


def free_port(host: str) -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_demo(folder: Path, host: str, port: int) -> Demo:
    """Start the sandbox and write the configuration of a demo app in ``folder``.

    The demo database starts empty each run, as the sandbox does: its records of uploads,
    drafts and article URLs would otherwise point into a sandbox that is gone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob("demo.sqlite3*"):
        leftover.unlink()
    base_url = f"http://{host}:{port}"
    sandbox = SandboxProcess(
        host, free_port(host), f"{base_url}/wechat", log_path=folder / "sandbox.log"
    )
    config: dict[str, dict[str, Any]] = {
        "storage": {"database_url": f"sqlite:///{folder / 'demo.sqlite3'}"},
        # a key for this run's console sessions (a real deployment configures its own)
        "server": {
            "host": host,
            "port": port,
            "public_base_url": base_url,
            "secret_key": secrets.token_hex(32),
        },
        # a send a minute ahead, so the demo shows the scheduler at work
        "schedule": {"min_lead": 60, "poll_interval": 2},
        "wechat": {
            "appid": SANDBOX_APPID,
            "secret": SANDBOX_SECRET,
            "token": SANDBOX_TOKEN,
            "encoding_aes_key": SANDBOX_AES_KEY,
            "api_base_url": sandbox.base_url,
        },
    }
    config_path = folder / CONFIG_NAME
    config_path.write_text(demo_toml(config), encoding="utf-8")
    return Demo(folder=folder, config_path=config_path, sandbox=sandbox, base_url=base_url)


def demo_toml(config: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the demo's configuration as TOML (strings and numbers only)."""
    lines = [
        "# Written by `wxbot demo` for its run (the sandbox it names stops with the demo).",
        "# Point any command at the demo's database: wxbot --config THIS_FILE jobs",
    ]
    for section, table in config.items():
        lines += ["", f"[{section}]"]
        # a JSON string or number is a valid TOML basic string or number
        lines += [
            f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in table.items()
        ]
    return "\n".join(lines) + "\n"


def ingest_samples(runtime: Runtime) -> list[IngestResult]:
    """Archive the sample issues shipped with wxbot."""
    return ingest_paths(runtime, sample_issues())


#: The demo's console account (an admin, so that every page shows).
DEMO_EDITOR = "demo"


def add_demo_editor(runtime: Runtime) -> tuple[str, str]:
    """Create the demo's console account with a new random password; return name and password."""
    password = secrets.token_urlsafe(12)
    add_editor(runtime, DEMO_EDITOR, Role.ADMIN, password)
    return DEMO_EDITOR, password


def publish_to_sandbox(
    runtime: Runtime, issue_id: str, progress: Progress | None = None
) -> PublishRecord:
    """Publish an issue to every configured account (freepublish: an article URL, no push).

    The demo configures one account, the sandbox's; with more, they publish at once, each
    step's detail naming its account, and the first account's record is returned.
    :raises WxbotError: the first failure, naming its account, once every account is done.
    """
    names = (runtime.all_settings or runtime.settings).account_names()
    if len(names) == 1:
        return publish_issue(runtime, issue_id, "publish", progress=progress)

    def step(account: str, row: StepRow) -> None:
        if progress is not None:
            progress(replace(row, detail=f"[{account}] {row.detail}"))

    outcomes = publish_to_accounts(runtime, issue_id, "publish", names, progress=step)
    for outcome in outcomes:
        if outcome.error is not None:
            raise WxbotError(f"account {outcome.account}: {outcome.error}")
    record = outcomes[0].record
    assert record is not None
    return record


def push_demo_menu(runtime: Runtime) -> None:
    """Give the sandbox account the ``[menu]`` menu, as ``wxbot menu push`` would."""
    push_menu(WeChatApi(runtime), runtime.settings.menu, runtime.public_base_url())


def schedule_demo_send(runtime: Runtime, issue_id: str, minutes: int = 2) -> Job:
    """Schedule a mass send of ``issue_id`` to every sandbox follower a few minutes from now."""
    soon = runtime.now() + dt.timedelta(minutes=minutes)
    on_the_minute = soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return schedule_send(runtime, issue_id, on_the_minute)


def history_lengths(runtime: Runtime) -> dict[int, int]:
    """Return how many history entries each job has now (what :func:`new_job_steps` skips)."""
    return {job.id: len(job_history(runtime, job.id)) for job in list_jobs(runtime)}


def new_job_steps(runtime: Runtime, seen: dict[int, int]) -> list[str]:
    """Return a line for each job step recorded since ``seen`` (updated in place), oldest first.

    The steps are the jobs' own history (prepared, claimed, submitted, sent with its
    counts…), whichever process or thread wrote them.
    """
    lines = []
    for job in reversed(list_jobs(runtime)):
        history = job_history(runtime, job.id)
        for entry in history[seen.get(job.id, 0) :]:
            detail = f"  {entry.detail}" if entry.detail else ""
            lines.append(
                f"job {job.id} ({job.issue_id}) {entry.event}{detail}"
                f"  [{local_time(entry.at, runtime.tz)}]"
            )
        seen[job.id] = len(history)
    return lines


def follow_jobs(
    runtime: Runtime,
    echo: Callable[[str], None],
    seen: dict[int, int],
    stop_event: threading.Event,
) -> None:
    """Echo each job step as it is recorded, until ``stop_event`` is set."""
    while not stop_event.wait(FOLLOW_INTERVAL):
        try:
            for line in new_job_steps(runtime, seen):
                echo(line)
        except Exception:  # the demo goes on; the next look tries again
            logger.exception("following the demo's jobs failed")


def start_following(
    runtime: Runtime, echo: Callable[[str], None], seen: dict[int, int]
) -> threading.Event:
    """Start :func:`follow_jobs` in a daemon thread; set the returned event to stop it."""
    stop_event = threading.Event()
    threading.Thread(
        target=follow_jobs,
        args=(runtime, echo, seen, stop_event),
        name="wxbot-demo-jobs",
        daemon=True,
    ).start()
    return stop_event
