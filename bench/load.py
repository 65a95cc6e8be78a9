"""Follower traffic at 64 connections while slow clients, a preview flood and a worker kill run.

    python bench/load.py [--seconds 60] [--count 365] [--database-url postgresql+psycopg://…]

Serves wxbot as the Procfile does (``bench/callback.py``'s ``Server``, loopback only) over a
fresh archive of ``--count`` synthetic issues, on SQLite and, with ``--database-url``, on
PostgreSQL too. For ``--seconds``, wrk sends signed follower queries (popular keywords and
never-seen phrases mixed) on 64 connections, while beside it 16 slow clients trickle a body
a byte a second, 4 threads request ``/issues/<id>`` as fast as they are answered,
and one gunicorn worker is killed with SIGKILL half-way through. The floor is
``callback.floor_app`` under the same server settings and the same load alone.

Printed: errors (targets 0 beyond the connections the killed worker held; wrk counts a reply
after 2 s as an error), follower replies over 5 s (a probe sends one follower query every
0.5 s beside wrk and times each reply; target 0), requests/s and p99 as ratios to the
floor's, previews served, and the RSS of every worker at start and end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callback import (  # noqa: E402
    KEYWORDS,
    TOKEN,
    Run,
    Server,
    distinct_queries,
    run_wrk,
    signed_query,
)
from synthetic import write_synthetic  # noqa: E402

CONNECTIONS = 64
SLOW_CLIENTS = 16
PREVIEW_THREADS = 4


def workers_of(server: Server) -> list[int]:
    """Return the pids of the gunicorn workers (the master's children)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def rss_mb(pid: int) -> float:
    """Return the resident memory of ``pid`` in MB (0 when it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(kb) / 1024


def build_archive(folder: Path, database_url: str, count: int) -> tuple[Path, list[str]]:
    """Ingest ``count`` synthetic issues into ``database_url``; return the config and the ids."""
    from wxbot.archive import ingest_paths
    from wxbot.runtime import load_runtime

    config = folder / "wxbot.toml"
    config.write_text(
        f'[storage]\ndatabase_url = "{database_url}"\n[wechat]\ntoken = "{TOKEN}"\n'
        '[server]\npublic_base_url = "https://wxbot.example.com"\nsecret_key = "bench"\n',
        encoding="utf-8",
    )
    runtime = load_runtime(config)
    results = ingest_paths(runtime, write_synthetic(folder / "issues", count))
    runtime.close()
    return config, [r.issue_id for r in results if r.issue_id]


def slow_client(port: int, stop: threading.Event) -> None:
    """Trickle a signed request's body a byte a second until ``stop``, reconnecting if cut."""
    while not stop.is_set():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                head = (f"POST /wechat?{signed_query()} HTTP/1.1\r\nHost: bench\r\n"
                        "Content-Type: text/xml\r\nContent-Length: 100000\r\n\r\n")  # fmt: skip
                sock.sendall(head.encode())
                while not stop.wait(1.0):
                    sock.sendall(b"<")
        except OSError:
            stop.wait(0.2)


def preview_flood(port: int, ids: list[str], stop: threading.Event, served: list[int]) -> None:
    """Request previews of random issues as fast as they come until ``stop``."""
    import requests

    rng = random.Random(threading.get_ident())
    with requests.Session() as http:
        while not stop.is_set():
            try:
                response = http.get(f"http://127.0.0.1:{port}/issues/{rng.choice(ids)}", timeout=30)
                served[response.status_code == 200] += 1
            except requests.RequestException:
                served[0] += 1


def follower_probe(port: int, stop: threading.Event, latencies: list[float]) -> None:
    """Send a signed follower query every 0.5 s until ``stop``; record each reply's seconds.

    Each query has its own thread, so a stuck reply does not delay the next query; a reply
    that fails or takes over 10 s is recorded as ``inf``.
    """
    import requests

    from wxbot.wechat.messages import signature

    def ask(n: int) -> None:
        now = int(time.time())
        query = {"signature": signature(TOKEN, str(now), f"probe{n}"), "timestamp": str(now),
                 "nonce": f"probe{n}", "openid": "oProbe"}  # fmt: skip
        body = (f"<xml><ToUserName>gh_bench</ToUserName><FromUserName>oProbe</FromUserName>"
                f"<CreateTime>{now}</CreateTime><MsgType>text</MsgType>"
                f"<Content>{KEYWORDS[n % len(KEYWORDS)]}</Content><MsgId>{now}{n:06d}</MsgId>"
                "</xml>")  # fmt: skip
        began = time.perf_counter()
        try:
            response = requests.post(
                f"http://127.0.0.1:{port}/wechat", params=query, data=body.encode(), timeout=10
            )
            ok = response.status_code == 200
        except requests.RequestException:
            ok = False
        latencies.append(time.perf_counter() - began if ok else float("inf"))

    asked = []
    n = 0
    while not stop.wait(0.5):
        n += 1
        asked.append(threading.Thread(target=ask, args=(n,), daemon=True))
        asked[-1].start()
    for thread in asked:
        thread.join(timeout=11)


def warm_up(server: Server, queries: Path) -> None:
    """Load ``server`` briefly until every connection is answered (its workers have booted)."""
    for _ in range(6):
        run = run_wrk(server.url, CONNECTIONS, 3, queries, None)
        if run.requests and not run.errors:
            return


def under_attack(server: Server, ids: list[str], seconds: int, queries: Path) -> dict[str, Any]:
    """Load ``server`` with followers while the side attacks run; return what was measured."""
    stop = threading.Event()
    previews = [0, 0]  # failed, served
    side = [threading.Thread(target=slow_client, args=(server.port, stop), daemon=True)
            for _ in range(SLOW_CLIENTS)]  # fmt: skip
    side += [threading.Thread(target=preview_flood, args=(server.port, ids, stop, previews),
                              daemon=True) for _ in range(PREVIEW_THREADS)]  # fmt: skip
    start_workers = {pid: rss_mb(pid) for pid in workers_of(server)}
    killed: list[int] = []
    probe: list[float] = []
    side.append(threading.Thread(target=follower_probe, args=(server.port, stop, probe)))

    def kill_one() -> None:
        if not stop.wait(seconds / 2):
            victim = workers_of(server)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    side.append(threading.Thread(target=kill_one, daemon=True))
    for thread in side:
        thread.start()
    try:
        run = run_wrk(server.url, CONNECTIONS, seconds, queries, None)
    finally:
        stop.set()
    end_workers = {pid: rss_mb(pid) for pid in workers_of(server)}
    side[-2].join(timeout=15)  # the probe's last request
    return {"run": run, "previews": previews, "killed": killed, "probe": probe,
            "rss_start": start_workers, "rss_end": end_workers}  # fmt: skip


def measure(label: str, database_url: str, seconds: int, count: int, floor: Run,
            queries: Path) -> None:  # fmt: skip
    """Serve wxbot on ``database_url``, attack it, and print the figures against ``floor``."""
    with tempfile.TemporaryDirectory() as tmp:
        config, ids = build_archive(Path(tmp), database_url, count)
        server = Server("wxbot.app:create_app()", {"WXBOT_CONFIG": str(config)}).wait()
        try:
            warm_up(server, queries)
            got = under_attack(server, ids, seconds, queries)
        finally:
            server.stop()
    run: Run = got["run"]
    failed, served = got["previews"]
    print(f"{label}: {run.requests} follower requests in {seconds}s at {CONNECTIONS} connections")
    print(f"  errors (non-200, resets, replies over wrk's 2 s): {run.errors}; "
          f"worker killed: pid {got['killed']}")  # fmt: skip
    print(f"  requests/s {run.rps:.0f} = {run.rps / floor.rps:.2f}x the floor's {floor.rps:.0f}; "
          f"p99 {run.p99_ms:.1f} ms = {run.p99_ms / floor.p99_ms:.1f}x the floor's "
          f"{floor.p99_ms:.1f} ms; p50 {run.p50_ms:.1f} ms")  # fmt: skip
    probe = got["probe"]
    unanswered = sum(seconds == float("inf") for seconds in probe)
    slow = sum(5 < seconds < float("inf") for seconds in probe)
    answered = [seconds for seconds in probe if seconds < float("inf")]
    print(f"  follower probe (a query every 0.5 s): {len(probe)} sent, {slow} answered after 5 s, "
          f"{unanswered} not answered in 10 s; slowest answer "
          f"{max(answered, default=0):.2f} s")  # fmt: skip
    print(f"  previews beside it: {served} served, {failed} failed; slow clients: {SLOW_CLIENTS}")
    print("  worker RSS MB at start: "
          + ", ".join(f"{pid} {mb:.0f}" for pid, mb in got["rss_start"].items()))  # fmt: skip
    print("  worker RSS MB at end:   "
          + ", ".join(f"{pid} {mb:.0f}" for pid, mb in got["rss_end"].items()))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="load duration (default 60)")
    parser.add_argument("--count", type=int, default=365, help="synthetic issues (default 365)")
    parser.add_argument(
        "--database-url", default="", help="also run on this (empty) PostgreSQL database"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        queries = Path(tmp) / "queries.txt"
        mixed = KEYWORDS * 100 + distinct_queries(2000)
        random.Random(7).shuffle(mixed)
        queries.write_text("\n".join(mixed), encoding="utf-8")
        floor_server = Server("callback:floor_app", {}).wait()
        try:
            warm_up(floor_server, queries)
            floor = run_wrk(floor_server.url, CONNECTIONS, args.seconds, queries, None)
        finally:
            floor_server.stop()
        print(f"floor: {floor.rps:.0f} requests/s, p99 {floor.p99_ms:.1f} ms, "
              f"errors {floor.errors}")  # fmt: skip
        with tempfile.TemporaryDirectory() as db_tmp:
            sqlite_url = f"sqlite:///{Path(db_tmp) / 'wxbot.sqlite3'}"
            measure("SQLite", sqlite_url, args.seconds, args.count, floor, queries)
        if args.database_url:
            measure("PostgreSQL", args.database_url, args.seconds, args.count, floor, queries)


if __name__ == "__main__":
    main()
