"""Follower traffic at 64 connections while slow clients, a preview flood and a worker kill run.

    python bench/load.py [--seconds 60] [--count 365] [--database-url postgresql+psycopg://…]

Serves wxbot as the Procfile does (``bench/callback.py``'s ``Server``, loopback only) over a
fresh archive of ``--count`` synthetic issues, on SQLite and, with ``--database-url``, on
PostgreSQL too. For ``--seconds``, wrk sends signed follower queries (popular keywords and
never-seen phrases mixed) on 64 connections, while beside it 16 slow clients trickle a body
a byte a second, 4 threads request ``/issues/<id>`` as fast as they are answered,
and one gunicorn worker is killed with SIGKILL half-way through. The floor is
``callback.floor_app`` under the same server settings and the same load alone.

The same load runs twice on each database: once calm (the side attacks, no kill), then with
the kill. wrk runs with ``--timeout 5s``, WeChat's own limit: a reply after 5 s is an error
(wrk's default, 2 s, would count replies WeChat still accepts).

Printed, for each run: wrk's errors by type (replies of 400 and more, connect, read and
write errors, replies after 5 s). Just before the kill, the TCP connections the victim holds
are read from ``/proc`` (its socket inodes in ``/proc/net/tcp{,6}``, ESTABLISHED on the
server's port) and those whose other end is wrk's are counted: the killed connections. Up to
that many connect, read and write errors are attributed to the kill; every other error is
beyond the killed connections (target 0, and 0 in the calm run). Also printed: follower
replies over 5 s (a probe sends one follower query every 0.5 s beside wrk and times each
reply; target 0: wrk does not count a request still unanswered when it stops), requests/s
and p99 as ratios to the floor's, previews served, the RSS of every worker at start and end,
and the machine's load average.
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
from dataclasses import dataclass
from pathlib import Path

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
#: wrk's --timeout: WeChat gives up on a reply after 5 s.
WECHAT_TIMEOUT = "5s"


def workers_of(server: Server) -> list[int]:
    """Return the pids of the gunicorn workers (the master's children)."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


@dataclass(frozen=True)
class Connection:
    """One row of ``/proc/net/tcp``: its two ends (hex address, port), state and inode."""

    local: tuple[str, int]
    remote: tuple[str, int]
    established: bool
    inode: int


def tcp_table(text: str) -> list[Connection]:
    """Return the connections listed in the text of ``/proc/net/tcp`` or ``/proc/net/tcp6``."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        (local_ip, local_port), (remote_ip, remote_port) = (end.split(":") for end in fields[1:3])
        rows.append(Connection(local=(local_ip, int(local_port, 16)),
                               remote=(remote_ip, int(remote_port, 16)),
                               established=fields[3] == "01", inode=int(fields[9])))  # fmt: skip
    return rows


def socket_inodes(pid: int) -> set[int]:
    """Return the inodes of the sockets ``pid`` has open (none when it is gone)."""
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return set()
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def tcp_connections() -> list[Connection]:
    """Return this machine's TCP connections, IPv4 and IPv6."""
    return [c for name in ("tcp", "tcp6") for c in tcp_table(Path(f"/proc/net/{name}").read_text())]


def wrk_pids() -> list[int]:
    """Return the pids of the wrk processes this bench started."""
    children = " ".join(p.read_text() for p in Path("/proc/self/task").glob("*/children"))
    found = []
    for pid in children.split():
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "wrk":
                found.append(int(pid))
        except OSError:
            continue
    return found


@dataclass
class Held:
    """The client connections a worker held on the server's port when it was killed."""

    pid: int
    wrk: int
    side: int  # the slow clients', the previews' and the probe's (this process's)
    other: int  # whose other end was closed or opened while the tables were read


def held_by(pid: int, port: int) -> Held:
    """Return the ESTABLISHED connections ``pid`` holds on ``port``, by whose the other end is."""
    table = tcp_connections()
    mine = socket_inodes(pid)
    wrk = set().union(*(socket_inodes(w) for w in wrk_pids()))
    side = socket_inodes(os.getpid())
    # A port may also name an old connection (TIME_WAIT) to another server: match both ends.
    ends = {(c.local, c.remote): c.inode for c in table}
    held = [c for c in table if c.inode in mine and c.established and c.local[1] == port]
    wrk_held = sum(ends.get((c.remote, c.local)) in wrk for c in held)
    side_held = sum(ends.get((c.remote, c.local)) in side for c in held)
    return Held(pid, wrk_held, side_held, len(held) - wrk_held - side_held)


def attributed_to_kill(run: Run, killed: int) -> int:
    """Return how many of ``run``'s errors the ``killed`` connections explain.

    A connection cut by the kill fails its request once, as a read, write or connect error;
    replies of 400 and more and replies after the timeout are never the kill's.
    """
    return min(run.connect + run.read + run.write, killed)


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


#: What became of a probe's query: answered (with its seconds), or how it failed.
ANSWERED, REFUSED, CUT, UNANSWERED = "answered", "refused", "cut", "unanswered"


def follower_probe(port: int, stop: threading.Event, outcomes: list[tuple[str, float]]) -> None:
    """Send a signed follower query every 0.5 s until ``stop``; record what became of each.

    Each query has its own thread, so a stuck reply does not delay the next query. An
    outcome is ``(ANSWERED, seconds)``, or ``REFUSED`` (a status other than 200), ``CUT``
    (the connection failed) or ``UNANSWERED`` (no reply in 10 s) with ``inf``.
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
        except requests.Timeout:
            outcomes.append((UNANSWERED, float("inf")))
        except requests.RequestException:
            outcomes.append((CUT, float("inf")))
        else:
            ok = response.status_code == 200
            outcomes.append((ANSWERED, time.perf_counter() - began) if ok else (REFUSED, 0.0))

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
        run = run_wrk(server.url, CONNECTIONS, 3, queries, None, WECHAT_TIMEOUT)
        if run.requests and not run.errors:
            return


@dataclass
class Attack:
    """What one run under the side attacks measured."""

    run: Run
    previews: list[int]  # failed, served
    probe: list[tuple[str, float]]
    rss_start: dict[int, float]
    rss_end: dict[int, float]
    held: Held | None  # what the killed worker held, when one was killed
    replacement: list[int]  # the workers that were not there at the start
    load: float  # the machine's load average over the last minute, at the end


def under_attack(
    server: Server, ids: list[str], seconds: int, queries: Path, *, kill: bool
) -> Attack:
    """Load ``server`` with followers while the side attacks (and, if ``kill``, a kill) run."""
    stop = threading.Event()
    previews = [0, 0]  # failed, served
    side = [threading.Thread(target=slow_client, args=(server.port, stop), daemon=True)
            for _ in range(SLOW_CLIENTS)]  # fmt: skip
    side += [threading.Thread(target=preview_flood, args=(server.port, ids, stop, previews),
                              daemon=True) for _ in range(PREVIEW_THREADS)]  # fmt: skip
    rss_start = {pid: rss_mb(pid) for pid in workers_of(server)}
    held: list[Held] = []
    probe: list[tuple[str, float]] = []
    prober = threading.Thread(target=follower_probe, args=(server.port, stop, probe))

    def kill_one() -> None:
        if not stop.wait(seconds / 2):
            victim = workers_of(server)[0]
            held.append(held_by(victim, server.port))
            os.kill(victim, signal.SIGKILL)

    side += [prober, threading.Thread(target=kill_one, daemon=True)] if kill else [prober]
    for thread in side:
        thread.start()
    try:
        run = run_wrk(server.url, CONNECTIONS, seconds, queries, None, WECHAT_TIMEOUT)
    finally:
        stop.set()
    rss_end = {pid: rss_mb(pid) for pid in workers_of(server)}
    prober.join(timeout=15)  # the probe's last request
    return Attack(run, previews, probe, rss_start, rss_end, held[0] if held else None,
                  [pid for pid in rss_end if pid not in rss_start], os.getloadavg()[0])  # fmt: skip


def report(label: str, got: Attack, seconds: int, floor: Run) -> None:
    """Print what one run under attack measured, against ``floor``."""
    run = got.run
    print(f"{label}: {run.requests} follower requests in {seconds}s at {CONNECTIONS} connections"
          f" (load average {got.load:.1f} on {os.cpu_count()} cores)")  # fmt: skip
    print(f"  wrk errors by type: non-2xx {run.non2xx}, connect {run.connect}, read {run.read}, "
          f"write {run.write}, replies after 5 s {run.timeout}")  # fmt: skip
    if got.held:
        held = got.held
        attributed = attributed_to_kill(run, held.wrk)
        print(f"  worker {held.pid} killed holding {held.wrk} of wrk's connections "
              f"(and {held.side} of the side attacks', {held.other} others); "
              f"replaced by {', '.join(map(str, got.replacement)) or 'none yet'}")  # fmt: skip
        print(f"  errors attributed to the kill: {attributed}; "
              f"beyond the killed connections: {run.errors - attributed} (target 0)")  # fmt: skip
    else:
        print(f"  no worker killed: errors {run.errors} (target 0)")
    print(f"  requests/s {run.rps:.0f} = {run.rps / floor.rps:.2f}x the floor's {floor.rps:.0f}; "
          f"p99 {run.p99_ms:.1f} ms = {run.p99_ms / floor.p99_ms:.1f}x the floor's "
          f"{floor.p99_ms:.1f} ms; p50 {run.p50_ms:.1f} ms")  # fmt: skip
    count = {what: sum(o == what for o, _ in got.probe) for what in (REFUSED, CUT, UNANSWERED)}
    answered = [s for o, s in got.probe if o == ANSWERED]
    cut_by_kill = f" (the killed worker held {got.held.side} side connections)" if got.held else ""
    print(f"  follower probe (a query every 0.5 s): {len(got.probe)} sent, "
          f"{sum(s > 5 for s in answered)} answered after 5 s (target 0), "
          f"{count[UNANSWERED]} not answered in 10 s, {count[CUT]} cut{cut_by_kill}, "
          f"{count[REFUSED]} refused; slowest answer {max(answered, default=0):.2f} s")  # fmt: skip
    failed, served = got.previews
    print(f"  previews beside it: {served} served, {failed} failed or refused (503 when busy); "
          f"slow clients: {SLOW_CLIENTS}")  # fmt: skip
    print("  worker RSS MB at start: "
          + ", ".join(f"{pid} {mb:.0f}" for pid, mb in got.rss_start.items()))  # fmt: skip
    print("  worker RSS MB at end:   "
          + ", ".join(f"{pid} {mb:.0f}" for pid, mb in got.rss_end.items()))  # fmt: skip


def measure(label: str, database_url: str, seconds: int, count: int, floor: Run,
            queries: Path) -> None:  # fmt: skip
    """Serve wxbot on ``database_url``, attack it calm then with a kill, and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        config, ids = build_archive(Path(tmp), database_url, count)
        server = Server("wxbot.app:create_app()", {"WXBOT_CONFIG": str(config)}).wait()
        try:
            warm_up(server, queries)
            calm = under_attack(server, ids, seconds, queries, kill=False)
            killed = under_attack(server, ids, seconds, queries, kill=True)
        finally:
            server.stop()
    report(f"{label}, calm", calm, seconds, floor)
    report(f"{label}, a worker killed", killed, seconds, floor)
    sys.stdout.flush()


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
            floor = run_wrk(
                floor_server.url, CONNECTIONS, args.seconds, queries, None, WECHAT_TIMEOUT
            )
        finally:
            floor_server.stop()
        print(f"floor: {floor.rps:.0f} requests/s, p99 {floor.p99_ms:.1f} ms; errors: "
              f"non-2xx {floor.non2xx}, connect {floor.connect}, read {floor.read}, "
              f"write {floor.write}, replies after 5 s {floor.timeout} "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")  # fmt: skip
        sys.stdout.flush()
        with tempfile.TemporaryDirectory() as db_tmp:
            sqlite_url = f"sqlite:///{Path(db_tmp) / 'wxbot.sqlite3'}"
            measure("SQLite", sqlite_url, args.seconds, args.count, floor, queries)
        if args.database_url:
            measure("PostgreSQL", args.database_url, args.seconds, args.count, floor, queries)


if __name__ == "__main__":
    main()
