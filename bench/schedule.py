"""Measure scheduled sends: many jobs due at once, two ``wxbot worker`` processes, the sandbox.

    python bench/schedule.py [--jobs 1000] [--workers 2] [--database-url URL]

Prints sends per second, duplicates (must be 0), lost jobs (must be 0), and the lag from each
job's due time to the sandbox accepting its ``sendall``, as a ratio to the sandbox's own
per-call time measured in the same run (a bare ``sendall`` round trip over HTTP).

The jobs send one issue to a thousand follower tags (WeChat's 60-requests-a-minute limit and
daily quota are WeChat's, not wxbot's): the sandbox's clock runs 3,600 times faster, so its
per-minute window never fills, and it allows any number of sends a day. Its dedupe window
(24 sandbox hours) is then 24 real seconds: a repeated call within it would be answered 45065,
after it counted as a duplicate — the count is honest either way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from wxbot.archive import ingest_paths
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime, load_runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.scheduling import list_jobs, reschedule_job, run_due_jobs, schedule_send

#: How much faster the sandbox's clock runs than the wall clock.
SPEED = 3600.0
ISSUE = "2026-06-25"


class FastClock:
    """A clock that runs :data:`SPEED` times faster than the wall clock from its start."""

    def __init__(self) -> None:
        self.start = time.time()

    def __call__(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.start + (time.time() - self.start) * SPEED, dt.UTC)

    def real(self, sandbox_time: float) -> float:
        """Return the wall-clock time of a sandbox timestamp."""
        return self.start + (sandbox_time - self.start) / SPEED


def settings(database_url: str, base_url: str) -> dict[str, Any]:
    """Return the configuration the bench and its workers share."""
    return {
        "storage": {"database_url": database_url},
        "wechat": {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "api_base_url": base_url},
        "schedule": {
            "min_lead": 0,
            "daily_quota": 0,
            "prepare_ahead": 7200,
            "poll_interval": 0.05,
            "lease": 30,
        },
    }


def write_toml(path: Path, config: dict[str, Any]) -> None:
    """Write ``config`` as a TOML file."""
    lines = []
    for section, table in config.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def prepare_jobs(runtime: Runtime, count: int) -> tuple[float, float]:
    """Schedule ``count`` prepared sends an hour ahead, then make them all due together.

    Return (seconds spent scheduling, the due time as a Unix timestamp).
    """
    later = runtime.now() + dt.timedelta(hours=1)
    start = time.perf_counter()
    jobs = [schedule_send(runtime, ISSUE, later, tag_id=t) for t in range(1, count + 1)]
    scheduling_s = time.perf_counter() - start
    assert [r.action for r in run_due_jobs(runtime)] == ["prepared"]
    # Time to move them all, plus the workers' start-up: they are due together at ``due``.
    due = runtime.now() + dt.timedelta(seconds=3 + scheduling_s * 1.5)
    for job in jobs:
        reschedule_job(runtime, job.id, due)
    return scheduling_s, due.timestamp()


def start_workers(folder: Path, count: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` ``wxbot worker`` processes on the config in ``folder``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    env["WXBOT_CONFIG"] = str(folder / "bench.toml")
    processes = []
    for i in range(count):
        log = (folder / f"worker-{i}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "wxbot.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    return processes


def wait_for_sends(runtime: Runtime, count: int, timeout: float) -> bool:
    """Wait until every job has a msg_id; return whether they all did in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sum(1 for j in list_jobs(runtime) if j.msg_id) >= count:
            return True
        time.sleep(0.1)
    return False


def call_floor(base_url: str, media_id: str, calls: int) -> float:
    """Return the median seconds of a bare ``sendall`` round trip to the sandbox."""
    session = requests.Session()
    token = session.post(
        f"{base_url}/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET},
        timeout=10,
    ).json()["access_token"]
    times = []
    for _ in range(calls):
        body = {
            "filter": {"is_to_all": False, "tag_id": 1},
            "mpnews": {"media_id": media_id},
            "msgtype": "mpnews",
            "send_ignore_reprint": 0,
            "clientmsgid": f"floor-{uuid.uuid4().hex}",
        }
        start = time.perf_counter()
        answer = session.post(
            f"{base_url}/cgi-bin/message/mass/sendall",
            params={"access_token": token},
            data=json.dumps(body).encode("utf-8"),
            timeout=10,
        ).json()
        times.append(time.perf_counter() - start)
        assert answer.get("errcode") == 0, answer
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1000, help="jobs due at once (default 1000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--database-url", default="", help="database (default: a temporary SQLite file)"
    )
    args = parser.parse_args()
    clock = FastClock()
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxServer(
            clock=clock,
            mass_daily_quota=10**9,
            mass_send_delay=1.0,
            token_ttl=10**9,
            followers=3,
        ) as sandbox,
    ):
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
        config = settings(database_url, sandbox.base_url)
        write_toml(folder / "bench.toml", config)
        runtime = load_runtime(overrides=config, instance_path=folder / "instance")
        ingest_paths(runtime, [p for p in sample_issues() if p.stem == ISSUE])
        for tag_id in range(1, args.jobs + 1):
            sandbox.account.add_tag(tag_id, f"标签{tag_id}")
        scheduling_s, due = prepare_jobs(runtime, args.jobs)
        workers = start_workers(folder, args.workers)
        try:
            done = wait_for_sends(runtime, args.jobs, timeout=120 + args.jobs * 0.2)
        finally:
            for process in workers:
                process.send_signal(signal.SIGTERM)
            for process in workers:
                process.wait(timeout=30)
        jobs = list_jobs(runtime)
        with sandbox.account.lock:
            accepted = [(m.clientmsgid, clock.real(m.submitted_at), m.media_id)
                        for m in sandbox.state.mass_sends]  # fmt: skip
        floor_s = call_floor(sandbox.base_url, accepted[0][2], 200)
        runtime.db.dispose()
        if not done:
            print((folder / "worker-0.log").read_text(encoding="utf-8", errors="replace")[-3000:])

    per_job = Counter(c for c, _, _ in accepted)
    first_accept = {c: t for c, t, _ in sorted(accepted, key=lambda a: -a[1])}  # earliest wins
    duplicates = sum(n - 1 for n in per_job.values())
    lost = [j.id for j in jobs if per_job[j.clientmsgid] == 0 or not j.msg_id]
    lags = sorted(first_accept[j.clientmsgid] - due for j in jobs if j.clientmsgid in first_accept)
    last = max(first_accept.values())
    rate = len(first_accept) / (last - due)
    p50, p95 = lags[len(lags) // 2], lags[int(len(lags) * 0.95) - 1]
    backend = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    print(f"jobs due at once:    {args.jobs} ({args.workers} workers, {backend})")
    print(f"scheduling:          {args.jobs / scheduling_s:,.0f} jobs/s")
    print(f"sends:               {len(first_accept)} in {last - due:.2f} s = {rate:,.0f} sends/s")
    print(f"duplicates:          {duplicates}  (must be 0)")
    print(f"lost:                {len(lost)}  (must be 0)")
    print(f"sandbox per call:    {floor_s * 1000:.2f} ms (bare sendall round trip, median)")
    print(
        f"lag due → sendall:   first {lags[0] * 1000:.0f} ms = {lags[0] / floor_s:,.0f}x a call, "
        f"p50 {p50 * 1000:.0f} ms = {p50 / floor_s:,.0f}x a call, "
        f"p95 {p95 * 1000:.0f} ms = {p95 / floor_s:,.0f}x, max {lags[-1] * 1000:.0f} ms "
        f"= {lags[-1] / floor_s:,.0f}x"
    )
    print(
        f"per send:            {(last - due) / len(first_accept) * args.workers / floor_s:.1f}x "
        "a bare call per worker (claim, record, publishing's records, the call)"
    )
    if duplicates or lost:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
