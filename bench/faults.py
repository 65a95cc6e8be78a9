"""Publish through random WeChat faults, and kill -9 real workers mid-send: nothing lost or doubled.

    python bench/faults.py [--runs 20] [--kills 20] [--seed 1] [--database-url URL]

Part 1: ``--runs`` publishes (publish and mass modes alternating, a fresh synthetic issue
each) against the sandbox with 1–3 random faults injected: errcode -1 or 45009, the access
token expired on WeChat's side, the connection dropped before or after the call took effect,
slow calls (some beyond ``[wechat] timeout``). Each run must end published, or with a clear
one-line error after which re-running the same publish completes it. WeChat's records are
counted: one publish job or one mass send per issue, never two.

Part 2: ``--kills`` trials of a real ``wxbot worker`` sending a due job, killed with SIGKILL at
a random step (before or after claiming, during the sendall call, after its answer, or at a
random moment); a fresh worker then takes over. The sandbox, in this process, counts the sends
it accepted for each job's clientmsgid: 0 duplicates, 0 lost.

Times are ratios to a fault-free publish measured in the same run. Loopback only; bounded
(each wait gives up after a minute and counts as a failure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_synthetic  # noqa: E402

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.errors import WxbotError  # noqa: E402
from wxbot.publishing import publish_issue  # noqa: E402
from wxbot.resources import sample_issues  # noqa: E402
from wxbot.runtime import Runtime, load_runtime  # noqa: E402
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer  # noqa: E402
from wxbot.scheduling import get_job, reschedule_job, run_due_jobs, schedule_send  # noqa: E402

#: The calls each mode makes, where a fault can strike.
PATHS = {
    "publish": ["material/add_material", "media/uploadimg", "draft/add", "freepublish/submit",
                "freepublish/get"],
    "mass": ["material/add_material", "media/uploadimg", "draft/add", "message/mass/sendall"],
}  # fmt: skip
FAULT_KINDS = ("errcode -1", "errcode 45009", "token expired", "drop before", "drop after", "slow")
#: Seconds wxbot waits for one call here; a slow call is 0.3–3 s, so some exceed it.
CALL_TIMEOUT = 2.0
#: Fault-free publishes, alternating modes; the fastest of each mode is the floor.
FLOOR_RUNS = 6
#: The sandbox's pause before a clientmsgid may be retried (``clientmsgid_retry_interval``):
#: a minute on WeChat, 0.2 s here.
RETRY_INTERVAL = 0.2
#: Seconds before a re-run: past that pause, as 45066 tells the editor.
RERUN_PAUSE = 0.5
KILL_STEPS = ("before_claim", "after_claim", "during_call", "after_call", "random moment")
#: Bound on every wait for a worker.
TIMEOUT = 60.0


def inject_random_faults(sandbox: SandboxServer, mode: str, rng: random.Random) -> list[str]:
    """Queue 1–3 random faults on the calls of ``mode``; return what was injected."""
    injected = []
    for _ in range(rng.randint(1, 3)):
        kind, path = rng.choice(FAULT_KINDS), rng.choice(PATHS[mode])
        when, times = rng.choice(("before", "after")), rng.randint(1, 2)
        if kind.startswith("errcode"):
            sandbox.faults.inject(path, errcode=int(kind.split()[1]), when=when, times=times)
        elif kind == "token expired":  # WeChat's clock passes the token's 7200 s
            sandbox.account.advance(7300)
            path = when = "-"
        elif kind.startswith("drop"):
            when, kind = kind.split()[1], "drop"
            sandbox.faults.inject(path, drop=True, when=when, times=times)
        else:
            delay = round(rng.uniform(0.3, 3.0), 1)
            sandbox.faults.inject(path, delay=delay, when=when, times=times)
            kind = f"slow {delay}s"
        injected.append(f"{kind} {when} {path}".replace(" - -", ""))
    return injected


def effects(sandbox: SandboxServer) -> tuple[int, int]:
    """Return how many publish jobs and mass sends WeChat holds."""
    with sandbox.account.lock:
        return len(sandbox.state.publishes), len(sandbox.state.mass_sends)


def publish_until_done(runtime: Runtime, issue_id: str, mode: str) -> tuple[str, str]:
    """Publish once; return ``(outcome, error)``: done, waiting, or failed with its message."""
    try:
        record = publish_issue(runtime, issue_id, mode)
    except WxbotError as exc:
        return "failed", str(exc)
    return str(record.status), ""


def fault_runs(
    runtime: Runtime, sandbox: SandboxServer, ids: list[str], runs: int, seed: int
) -> dict[str, Any]:
    """Publish ``runs`` issues through random faults; return counts, messages and times."""
    rng = random.Random(seed)
    floor = {"publish": float("inf"), "mass": float("inf")}
    for n, issue_id in enumerate(ids[:FLOOR_RUNS]):  # fault-free, the first ones warming up
        mode = ("publish", "mass")[n % 2]
        start = time.perf_counter()
        assert publish_issue(runtime, issue_id, mode).status == "done"
        floor[mode] = min(floor[mode], time.perf_counter() - start)
    counts: Counter[str] = Counter()
    messages, ratios, lines = [], [], []
    for n, issue_id in enumerate(ids[FLOOR_RUNS : FLOOR_RUNS + runs]):
        mode = ("publish", "mass")[n % 2]
        before = effects(sandbox)
        injected = inject_random_faults(sandbox, mode, rng)
        start = time.perf_counter()
        outcome, error = publish_until_done(runtime, issue_id, mode)
        tries = 1
        if outcome == "failed":
            messages.append(error)
            counts["clear failure" if error and "\n" not in error else "unclear failure"] += 1
        sandbox.faults.clear()
        while outcome != "done" and tries < 4:  # the editor runs the same command again
            time.sleep(RERUN_PAUSE)
            outcome, error = publish_until_done(runtime, issue_id, mode)
            tries += 1
        ratios.append((time.perf_counter() - start) / floor[mode])
        counts["published" if outcome == "done" else "NOT published"] += 1
        counts["resumed by a re-run" if tries > 1 and outcome == "done" else "first try"] += 1
        time.sleep(0.2)  # let a call held by a fault finish on WeChat's side before counting
        after = effects(sandbox)
        made = after[0] - before[0] if mode == "publish" else after[1] - before[1]
        counts["duplicate sends"] += max(0, made - 1)
        counts["lost sends"] += made == 0
        lines.append(f"  {issue_id} {mode:<7} tries {tries} {outcome:<7} WeChat x{made}  "
                     + "; ".join(injected))  # fmt: skip
    return {"counts": counts, "messages": messages, "ratios": ratios, "floor": floor,
            "lines": lines}  # fmt: skip


def _toml(settings: dict[str, Any]) -> str:
    lines = []
    for section, table in settings.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    return "\n".join(lines) + "\n"


def start_worker(config: Path, log: Path, crash_at: str = "") -> subprocess.Popen[bytes]:
    """Start ``wxbot worker`` on ``config`` (killing itself at ``crash_at`` if given)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    env["WXBOT_CONFIG"] = str(config)
    if crash_at:
        env["WXBOT_TEST_CRASH_AT"] = crash_at
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "wxbot.cli", "worker"], env=env, stdout=out, stderr=out
        )


def wait_until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` for up to :data:`TIMEOUT` seconds; return whether it held."""
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def kill_trials(settings: dict[str, Any], folder: Path, trials: int, seed: int) -> dict[str, Any]:
    """Kill a worker mid-send ``trials`` times; return duplicates, losses and the steps hit."""
    rng = random.Random(seed)
    sandbox_settings = {"mass_daily_quota": 10_000, "clientmsgid_retry_interval": RETRY_INTERVAL}
    with SandboxServer(**sandbox_settings) as sandbox:
        settings = settings | {"wechat": settings["wechat"] | {"api_base_url": sandbox.base_url}}
        settings["schedule"] = {
            "min_lead": 0, "daily_quota": 0, "poll_interval": 0.05,
            "lease": 3.0, "retry_interval": 0.3, "status_interval": 0.2,
        }  # fmt: skip
        config, log = folder / "worker.toml", folder / "workers.log"
        config.write_text(_toml(settings), encoding="utf-8")
        runtime = load_runtime(overrides=settings, instance_path=folder / "instance")
        ingest_paths(runtime, sample_issues())
        counts: Counter[str] = Counter()
        seconds = []
        for trial in range(1, trials + 1):
            sandbox.account.add_tag(trial, f"标签{trial}")
            job = schedule_send(runtime, "2026-06-25", runtime.now() + dt.timedelta(minutes=10),
                                tag_id=trial)  # fmt: skip
            run_due_jobs(runtime)  # the draft is prepared ahead, as the scheduler does
            job = reschedule_job(runtime, job.id, runtime.now() + dt.timedelta(milliseconds=100))
            step = rng.choice(KILL_STEPS)
            counts[step] += 1
            start = time.perf_counter()
            if step == "during_call":  # WeChat takes the send and holds the answer
                sandbox.faults.inject("message/mass/sendall", when="after", delay=15)
                first = start_worker(config, log)
                wait_until(lambda j=job: sends(sandbox, j.clientmsgid) >= 1)
                first.send_signal(signal.SIGKILL)
            elif step == "random moment":
                first = start_worker(config, log)
                time.sleep(rng.uniform(0.5, 2.5))  # start-up is about a second
                first.send_signal(signal.SIGKILL)
            else:
                first = start_worker(config, log, crash_at=step)
            try:
                first.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                stop(first)
            second = start_worker(config, log)
            recorded = wait_until(lambda j=job: get_job(runtime, j.id).msg_id is not None)
            stop(second)
            sandbox.faults.clear()
            seconds.append(time.perf_counter() - start)
            made = sends(sandbox, job.clientmsgid)
            counts["duplicates"] += max(0, made - 1)
            counts["lost"] += made == 0 or not recorded
        runtime.close()
    return {"counts": counts, "seconds": seconds}


def sends(sandbox: SandboxServer, clientmsgid: str) -> int:
    """Return how many sends with ``clientmsgid`` the sandbox accepted."""
    with sandbox.account.lock:
        return sum(m.clientmsgid == clientmsgid for m in sandbox.state.mass_sends)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="publishes with faults (default 20)")
    parser.add_argument("--kills", type=int, default=20, help="worker kill trials (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--database-url", default="", help="an empty database (default: SQLite files in a temp dir)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # wxbot's retry warnings are expected here
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database_url = args.database_url or f"sqlite:///{folder / 'faults.sqlite3'}"
        settings: dict[str, Any] = {
            "storage": {"database_url": database_url},
            "wechat": {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "retry_backoff": 0.01,
                       "timeout": CALL_TIMEOUT},
            "publish": {"poll_interval": 0.05, "wait_timeout": 10.0},
        }  # fmt: skip
        with SandboxServer(publish_delay=0.0, mass_send_delay=0.0, mass_daily_quota=10_000,
                           clientmsgid_retry_interval=RETRY_INTERVAL) as sandbox:  # fmt: skip
            overrides = settings | {
                "wechat": settings["wechat"] | {"api_base_url": sandbox.base_url}
            }
            runtime = load_runtime(overrides=overrides, instance_path=folder / "instance")
            # wxbot waits past WeChat's minute after a lost sendall answer: here, the sandbox's.
            runtime.sleep = lambda seconds: time.sleep(seconds * RETRY_INTERVAL / 60)
            paths = write_synthetic(folder / "issues", args.runs + FLOOR_RUNS, seed=args.seed)
            ids = [r.issue_id for r in ingest_paths(runtime, paths) if r.issue_id]
            part1 = fault_runs(runtime, sandbox, ids, args.runs, args.seed)
            runtime.close()
        if not args.database_url:
            settings["storage"]["database_url"] = f"sqlite:///{folder / 'kills.sqlite3'}"
        part2 = kill_trials(settings, folder, args.kills, args.seed)
    report(part1, part2, args)


def report(part1: dict[str, Any], part2: dict[str, Any], args: argparse.Namespace) -> None:
    counts, ratios = part1["counts"], part1["ratios"]
    print(f"publish runs with random faults: {args.runs}")
    print("\n".join(part1["lines"]))
    for key in ("published", "NOT published", "first try", "resumed by a re-run",
                "clear failure", "unclear failure", "duplicate sends", "lost sends"):  # fmt: skip
        print(f"  {key:<22} {counts[key]:>3}  ({counts[key] / max(args.runs, 1):.0%})")
    floor = part1["floor"]
    print(f"  fault-free floor: publish {floor['publish']:.2f}s, mass {floor['mass']:.2f}s")
    if ratios:
        print(f"  time / fault-free floor: median {statistics.median(ratios):.1f}x, "
              f"max {max(ratios):.1f}x")  # fmt: skip
    for message in sorted(set(part1["messages"]))[:12]:
        print(f"  failure said: {message[:160]}")
    kills, seconds = part2["counts"], part2["seconds"]
    print(f"kill -9 of a worker mid-send: {args.kills} trials")
    print("  steps: " + ", ".join(f"{s} {kills[s]}" for s in KILL_STEPS))
    print(f"  duplicates {kills['duplicates']}, lost {kills['lost']}")
    if seconds:
        print(f"  seconds per trial (kill, take-over, send recorded): median "
              f"{statistics.median(seconds):.1f}s, max {max(seconds):.1f}s")  # fmt: skip
    ok = (
        counts["published"] == args.runs and counts["unclear failure"] == 0
        and counts["duplicate sends"] == 0 and kills["duplicates"] == 0 and kills["lost"] == 0
    )  # fmt: skip
    print(f"target every run published, 0 duplicates, 0 lost: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
