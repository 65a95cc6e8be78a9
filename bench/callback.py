"""Measure the follower callback under load against a floor served the same way.

    python bench/callback.py [--count 3650] [--seconds 6] [--rounds 3] [--connections 8,64]
                             [--database-url postgresql+psycopg://…]

Serves wxbot exactly as the Procfile's ``web`` line does (gunicorn, its workers, threads and
worker class; bound to 127.0.0.1) over a fresh archive of ``--count`` synthetic issues (SQLite,
or the empty PostgreSQL database ``--database-url`` names),
and a floor app with the same server settings that only checks the signature, parses the
XML and answers a constant reply. Load comes from ``wrk`` (Debian's package) in its own
process — or, without it, a Python client in another process — with signed keyword queries,
each a new MsgId, at each number of connections:

* ``keywords``: the 20 most popular keywords over and over (what followers mostly send),
  against the floor, the two taking turns;
* ``distinct``: every request a query no worker has answered yet (the samples' words,
  fragments of their text, pairs of words), so each one is searched — also at 1 connection.

Each run is repeated ``--rounds`` times and the median printed.

Targets: keywords >= 0.6x the floor's requests/s; p99 < 30 ms at 64 connections; distinct
queries p99 < 20 ms.

``--measure-index`` instead compares index techniques on the same issues (tokenising cost,
index size, query times), the measurements ``wxbot.search.tokens`` was chosen by.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

TOKEN = "bench-token"
#: Distinct queries set aside for each load run (two wrk threads take half each).
DISTINCT_PER_RUN = 12_000
KEYWORDS = [
    "数据要素", "低空经济", "达沃斯", "软银", "AI", "5G", "OpenAI", "人工智能", "算力",
    "数据中心", "具身智能", "机器人", "最新", "国家数据局", "新质生产力", "孙正义", "6G",
    "帮助", "6月13日", "能源",
]  # fmt: skip


# --- the floor: signature + XML parse + constant reply, nothing else ---------------------------


def floor_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """Answer like a bot that knows one reply: verify, parse, reply."""
    from urllib.parse import parse_qsl

    from wxbot.wechat.messages import (
        CallbackKeys,
        CallbackRejected,
        message_from_fields,
        parse_xml,
        text_reply,
        verify_signature,
    )

    keys = CallbackKeys(token=os.environ.get("BENCH_TOKEN", TOKEN))
    args = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    try:
        verify_signature(keys, args)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        message = message_from_fields(parse_xml(environ["wsgi.input"].read(length)))
    except CallbackRejected as exc:
        start_response(f"{exc.status} Refused", [("Content-Type", "text/plain")])
        return [exc.reason.encode()]
    body = text_reply(message, "你好", int(time.time())).encode("utf-8")
    start_response(
        "200 OK", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
    )
    return [body]


# --- serving as the Procfile does --------------------------------------------------------------


def procfile_command(app_spec: str, port: int) -> list[str]:
    """Return the Procfile's web command for ``app_spec``, bound to 127.0.0.1:``port``."""
    line = next(
        line.split(":", 1)[1]
        for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("web:")
    )
    expanded = re.sub(
        r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m.group(1), m.group(2)), line
    )
    words = shlex.split(expanded)
    words = [f"127.0.0.1:{port}" if w.startswith("0.0.0.0:") else w for w in words]
    words[-1] = app_spec
    return [sys.executable, "-m", *words]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A gunicorn started as the Procfile says, stopped on exit."""

    def __init__(self, app_spec: str, env: Mapping[str, str]) -> None:
        self.port = free_port()
        self.command = procfile_command(app_spec, self.port)
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT / "bench",
            env=dict(os.environ) | dict(env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/wechat"

    def wait(self) -> Server:
        """Return once the server answers (and its workers have booted)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited: {' '.join(self.command)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    time.sleep(3)  # let every worker boot (and load jieba) before measuring
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(20)


# --- load --------------------------------------------------------------------------------------


#: Signed URLs written for each wrk thread per run: WeChat signs every push afresh, and wxbot
#: refuses a signed URL that carries a second message.
SIGNED_PER_THREAD = 100_000


def signed_query() -> str:
    """Return a freshly signed callback query string (a nonce of its own, as WeChat signs)."""
    import hashlib
    import uuid

    ts, nonce = str(int(time.time())), uuid.uuid4().hex
    sig = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
    return f"signature={sig}&timestamp={ts}&nonce={nonce}&openid=oBench"


def signed_queries(path: Path, threads: int) -> None:
    """Write ``SIGNED_PER_THREAD`` fresh signed query strings per wrk thread, one a line."""
    import hashlib

    ts, run = str(int(time.time())), time.monotonic_ns()
    with path.open("w", encoding="utf-8") as out:
        for n in range(threads * SIGNED_PER_THREAD):
            nonce = f"b{run}x{n}"
            sig = hashlib.sha1("".join(sorted([TOKEN, ts, nonce])).encode()).hexdigest()
            out.write(f"signature={sig}&timestamp={ts}&nonce={nonce}&openid=oBench\n")


WRK_SCRIPT = r"""
queries = {}
for line in io.lines(os.getenv("BENCH_QUERIES")) do queries[#queries + 1] = line end
signed = {}
for line in io.lines(os.getenv("BENCH_SIGNED")) do signed[#signed + 1] = line end
per_thread = tonumber(os.getenv("BENCH_SIGNED_PER_THREAD"))
distinct = os.getenv("BENCH_DISTINCT") == "1"
start = tonumber(os.getenv("BENCH_START"))
span = tonumber(os.getenv("BENCH_SPAN"))
threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
counter = 0
request = function()
  counter = counter + 1
  local i = counter + tid
  if distinct then i = start + (tid - 1) * span + counter end
  local q = queries[(i % #queries) + 1]
  local body = "<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[oBench" ..
    (i % 500) .. "]]></FromUserName><CreateTime>" .. os.time() ..
    "</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" .. q ..
    "]]></Content><MsgId>" .. string.format("%d%02d%07d", os.time(), tid, counter) ..
    "</MsgId></xml>"
  local url = "/wechat?" .. signed[(tid - 1) * per_thread + (counter % per_thread) + 1]
  return wrk.format("POST", url, {["Content-Type"] = "text/xml"}, body)
end
"""


@dataclass
class Run:
    """What one load run measured, its errors by type as wrk counts them."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    #: Replies with a status of 400 or more (wrk's "Non-2xx or 3xx responses").
    non2xx: int = 0
    #: Connections that could not be opened.
    connect: int = 0
    #: Connections reset or closed before the reply was complete.
    read: int = 0
    #: Requests that could not be written.
    write: int = 0
    #: Replies that came after wrk's ``--timeout`` (2 s unless given).
    timeout: int = 0

    @property
    def errors(self) -> int:
        """Return every error, of all types."""
        return self.non2xx + self.connect + self.read + self.write + self.timeout


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(
    url: str,
    connections: int,
    seconds: int,
    queries: Path,
    start: int | None,
    timeout: str | None = None,
) -> Run:
    """Drive load with wrk; ``start`` (distinct queries): where in the list this run begins.

    ``timeout`` (e.g. ``"5s"``) is wrk's ``--timeout``: a reply after it counts as an error.
    """
    script = queries.parent / "bench.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    threads = min(2, connections)
    signed = queries.parent / "signed.txt"
    signed_queries(signed, threads)
    env = dict(os.environ) | {
        "BENCH_QUERIES": str(queries),
        "BENCH_SIGNED": str(signed),
        "BENCH_SIGNED_PER_THREAD": str(SIGNED_PER_THREAD),
        "BENCH_DISTINCT": "0" if start is None else "1",
        "BENCH_START": str(start or 0),
        "BENCH_SPAN": str(DISTINCT_PER_RUN // 2),
    }
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         *(["--timeout", timeout] if timeout else []), url],
        capture_output=True, text=True, env=env, timeout=seconds + 60, check=True,
    ).stdout  # fmt: skip
    return wrk_figures(out)


def wrk_figures(out: str) -> Run:
    """Return what wrk's printed report ``out`` says, its errors by type."""
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if "99" not in percentiles:
        raise SystemExit(f"wrk measured nothing:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    connect, read, write, timed_out = (
        (int(g) for g in socket_errors.groups()) if socket_errors else (0, 0, 0, 0)
    )
    return Run(
        requests=int(re.search(r"(\d+) requests in", out).group(1)),  # type: ignore[union-attr]
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        non2xx=int(non2xx.group(1)) if non2xx else 0,
        connect=connect,
        read=read,
        write=write,
        timeout=timed_out,
    )


def run_python_client(
    url: str, connections: int, seconds: int, queries: Path, start: int | None
) -> Run:
    """Drive load from another Python process (when wrk is missing); costlier than wrk."""
    command = [sys.executable, "-c", PYTHON_CLIENT, url, TOKEN, str(connections)]
    command += [str(seconds), str(queries), str(start or 0)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    return Run(**json.loads(out.stdout))


PYTHON_CLIENT = r"""
import hashlib, http.client, json, sys, threading, time, urllib.parse
url, token, connections, seconds, path, start = sys.argv[1:]
queries = open(path, encoding="utf-8").read().split("\n")
parts = urllib.parse.urlsplit(url)
latencies, errors, counter, lock = [], [0], [int(start)], threading.Lock()
deadline = time.monotonic() + int(seconds)
template = ("<xml><ToUserName>gh</ToUserName><FromUserName>oBench%d</FromUserName>"
            "<CreateTime>%d</CreateTime><MsgType>text</MsgType><Content><![CDATA[%s]]></Content>"
            "<MsgId>%d</MsgId></xml>")

def worker():
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    while time.monotonic() < deadline:
        with lock:
            counter[0] += 1
            i = counter[0]
        now = int(time.time())
        body = (template % (i % 500, now, queries[i % len(queries)], now * 10**9 + i)).encode()
        ts, nonce = str(now), "p%d" % i  # a fresh signed URL for every message, as WeChat's
        sig = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
        query = "signature=%s&timestamp=%s&nonce=%s&openid=oBench" % (sig, ts, nonce)
        began = time.perf_counter()
        conn.request("POST", parts.path + "?" + query, body, {"Content-Type": "text/xml"})
        response = conn.getresponse()
        response.read()
        with lock:
            latencies.append(time.perf_counter() - began)
            errors[0] += response.status != 200

threads = [threading.Thread(target=worker) for _ in range(int(connections))]
began = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.monotonic() - began
latencies.sort()
print(json.dumps({"requests": len(latencies), "rps": len(latencies) / elapsed,
                  "p50_ms": latencies[len(latencies) // 2] * 1000,
                  "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000, "non2xx": errors[0]}))
"""


def distinct_queries(count: int) -> list[str]:
    """Return ``count`` different queries as followers type them, in a fixed shuffled order.

    The samples' words (jieba) and every run of two to five characters of their text, then
    pairs of their words — each a query no worker has answered before, found in some issues
    or in none.
    """
    import random

    from wxbot.resources import sample_issues
    from wxbot.search import segmentation

    text = "".join(p.read_text(encoding="utf-8") for p in sample_issues())
    words = list(dict.fromkeys(w for w in segmentation.words(text) if len(w) >= 2))
    runs = re.findall(r"[\u4e00-\u9fff]+|[A-Za-z0-9]+", text)
    fragments = [
        run[i : i + n]
        for run in runs
        for n in (2, 3, 4, 5)
        for i in range(0, max(len(run) - n, 0) + 1)
    ]
    singles = list(dict.fromkeys(words + fragments))
    rng = random.Random(7)
    pairs = (f"{rng.choice(words)} {rng.choice(words)}" for _ in range(10 * count))
    queries = list(dict.fromkeys([*singles, *pairs]))[:count]
    rng.shuffle(queries)
    return queries


# --- the run -----------------------------------------------------------------------------------


def build_archive(folder: Path, count: int, database_url: str = "") -> Path:
    """Write ``count`` synthetic issues into a fresh archive (SQLite unless ``database_url``)."""
    from synthetic import write_synthetic

    from wxbot.archive import ingest_paths
    from wxbot.runtime import load_runtime

    config = folder / "wxbot.toml"
    database_url = database_url or f"sqlite:///{folder / 'wxbot.sqlite3'}"
    config.write_text(
        f'[storage]\ndatabase_url = "{database_url}"\n'
        f'[wechat]\ntoken = "{TOKEN}"\n[server]\npublic_base_url = "https://wxbot.example.com"\n'
        'secret_key = "bench"\n',
        encoding="utf-8",
    )
    paths = write_synthetic(folder / "issues", count)
    runtime = load_runtime(config)
    start = time.perf_counter()
    results = ingest_paths(runtime, paths)
    print(f"archive:  {sum(r.status == 'added' for r in results)} issues ingested and indexed in "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    runtime.close()
    return config


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=3650, help="synthetic issues (default 3650)")
    parser.add_argument("--seconds", type=int, default=6, help="seconds per load run (default 6)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each, medians (default 3)")
    parser.add_argument("--connections", default="8,64", help="connection counts (default 8,64)")
    parser.add_argument("--measure-index", action="store_true", help="compare index techniques")
    parser.add_argument(
        "--database-url", default="", help="serve from this (empty) PostgreSQL database instead"
    )
    args = parser.parse_args()
    if args.measure_index:
        from search_index import main as measure_index

        measure_index(args.count)
        return
    drive = run_wrk if shutil.which("wrk") else run_python_client
    print(f"load:     {'wrk' if drive is run_wrk else 'a Python client (wrk would cost less)'}")
    connections = [int(c) for c in args.connections.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = build_archive(folder, args.count, args.database_url)
        keywords, distinct = folder / "keywords.txt", folder / "distinct.txt"
        keywords.write_text("\n".join(KEYWORDS), encoding="utf-8")
        regions = 1 + args.rounds * (len(connections) + 1)
        distinct.write_text("\n".join(distinct_queries(DISTINCT_PER_RUN * regions)), "utf-8")
        env = {"WXBOT_CONFIG": str(config), "BENCH_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
        servers = {
            "floor": Server("callback:floor_app", env),
            "wxbot": Server("wxbot.app:create_app()", env),
        }
        runs: dict[tuple[str, int], list[Run]] = {}
        try:
            for name, server in servers.items():
                server.wait()
                print(f"serving:  {name}: {' '.join(server.command[2:])}")
                drive(server.url, 8, 2, keywords, None)  # warm every worker up
            drive(servers["wxbot"].url, 8, 2, distinct, 0)
            region = 1
            # Floor and wxbot run in turns, so that a busy moment of the machine hits both.
            for _ in range(args.rounds):
                for c in connections:
                    for name, server in servers.items():
                        runs.setdefault((f"{name} keywords", c), []).append(
                            drive(server.url, c, args.seconds, keywords, None)
                        )
                for c in [1, *connections]:
                    start = region * DISTINCT_PER_RUN  # queries no worker has seen
                    region += 1
                    runs.setdefault(("wxbot distinct", c), []).append(
                        drive(servers["wxbot"].url, c, args.seconds, distinct, start)
                    )
        finally:
            for server in servers.values():
                server.stop()
        report({key: median_run(found) for key, found in runs.items()}, connections)


def median_run(runs: list[Run]) -> Run:
    """Return the run of median throughput (its latencies with it)."""
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def report(results: dict[tuple[str, int], Run], connections: list[int]) -> None:
    """Print every run, its ratio to the floor at the same connections, and the targets."""
    print()
    columns = ("run", "conns", "req/s", "p50 ms", "p99 ms", "errors", "vs floor")
    line = "{:<16} {:>5} {:>8} {:>7} {:>7} {:>6} {:>8}"
    print(line.format(*columns))
    for (name, c), run in results.items():
        floor = results.get(("floor keywords", c))
        vs_floor = f"{run.rps / floor.rps:.2f}x" if floor else "-"
        figures = (f"{run.rps:.0f}", f"{run.p50_ms:.2f}", f"{run.p99_ms:.2f}", run.errors, vs_floor)
        print(line.format(name, c, *figures))
    print()

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    for c in connections:
        ratio = results[("wxbot keywords", c)].rps / results[("floor keywords", c)].rps
        print(
            f"keywords >= 0.6x the floor at {c} connections: {ratio:.2f}x  {verdict(ratio >= 0.6)}"
        )
    c = max(connections)
    p99 = results[("wxbot keywords", c)].p99_ms
    floor_p99 = results[("floor keywords", c)].p99_ms
    print(
        f"keywords p99 < 30 ms at {c} connections: {p99:.1f} ms (the floor's: {floor_p99:.1f} ms)"
        f"  {verdict(p99 < 30)}"
    )
    for c in [1, *connections]:
        p99 = results[("wxbot distinct", c)].p99_ms
        print(f"distinct queries p99 < 20 ms at {c} connections: {p99:.1f} ms  {verdict(p99 < 20)}")


if __name__ == "__main__":
    main()
