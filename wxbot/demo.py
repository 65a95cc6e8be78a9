"""The demo: wxbot on embedded defaults with the sandbox standing in for WeChat.

A database of its own under the instance folder (a real deployment's never gets sample
data), the sample issues ingested, and the WeChat sandbox running in this process.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .archive import IngestResult, ingest_paths
from .publishing import Progress, PublishRecord, publish_issue
from .resources import sample_issues
from .runtime import Runtime
from .sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
)
from .scheduling import Job, schedule_send

logger = logging.getLogger(__name__)


@dataclass
class Demo:
    """A prepared demo: its configuration and the running sandbox."""

    test_config: dict[str, Any]
    sandbox: SandboxServer
    base_url: str


def free_port(host: str) -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def start_demo(folder: Path, host: str, port: int) -> Demo:
    """Start the sandbox and return the configuration of a demo app in ``folder``.

    The demo database starts empty each run, as the sandbox does: its records of uploads,
    drafts and article URLs would otherwise point into a sandbox that is gone.
    """
    for leftover in folder.glob("demo.sqlite3*"):
        leftover.unlink()
    base_url = f"http://{host}:{port}"
    sandbox = SandboxServer(
        host=host,
        port=free_port(host),
        callback_url=f"{base_url}/wechat",
        publish_delay=1.0,
        mass_send_delay=1.0,
    ).start()
    test_config: dict[str, Any] = {
        "instance_path": folder,
        "storage": {"database_url": f"sqlite:///{folder / 'demo.sqlite3'}"},
        "server": {"host": host, "port": port, "public_base_url": base_url},
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
    return Demo(test_config=test_config, sandbox=sandbox, base_url=base_url)


def ingest_samples(runtime: Runtime) -> list[IngestResult]:
    """Archive the sample issues shipped with wxbot."""
    return ingest_paths(runtime, sample_issues())


def publish_to_sandbox(
    runtime: Runtime, issue_id: str, progress: Progress | None = None
) -> PublishRecord:
    """Publish an issue to the sandbox (freepublish: an article URL, no push to followers)."""
    return publish_issue(runtime, issue_id, "publish", progress=progress)


def schedule_demo_send(runtime: Runtime, issue_id: str, minutes: int = 2) -> Job:
    """Schedule a mass send of ``issue_id`` to every sandbox follower a few minutes from now."""
    soon = runtime.now() + dt.timedelta(minutes=minutes)
    on_the_minute = soon.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return schedule_send(runtime, issue_id, on_the_minute)
