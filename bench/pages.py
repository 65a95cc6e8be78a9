"""Measure follower replies while public previews flood the service, against replies alone.

    python bench/pages.py [--issues 60] [--seconds 10] [--connections 32]

Serves wxbot as the Procfile's ``web`` line does (gunicorn, its workers, threads and worker
class; bound to 127.0.0.1) over a fresh SQLite archive of ``--issues`` synthetic issues.
The floor: one follower connection sending signed text messages one after another, nothing
else. Then the same follower connection while ``--connections`` clients (in other
processes) ask for previews:

* ``same``: the two sample issues' public pages over and over (what the cache answers);
* ``many``: every issue's page, cover and thumb in turn (more than a worker keeps, so
  each is rendered: the render slots decide).

Printed per run: follower replies/s and p99 as ratios to the floor, replies over WeChat's
5 s, preview requests/s answered (200) and refused (503), both as ratios to the floor's
replies/s. Targets: follower p99 under 10x the floor; 0 replies over 5 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402
from callback import Server  # noqa: E402
from synthetic import write_synthetic  # noqa: E402

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.resources import sample_issues  # noqa: E402
from wxbot.runtime import load_runtime  # noqa: E402
from wxbot.wechat.messages import signature  # noqa: E402

TOKEN = "bench-token"
DEADLINE_SECONDS = 5.0


def follower_run(url: str, seconds: float) -> list[float]:
    """Send signed text messages one after another for ``seconds``; return each latency."""
    latencies: list[float] = []
    end = time.monotonic() + seconds
    with requests.Session() as http:
        n = 0
        while time.monotonic() < end:
            n += 1
            ts, nonce = str(int(time.time())), f"pages{time.time_ns()}"
            body = (
                "<xml><ToUserName><![CDATA[gh_wxbot]]></ToUserName>"
                "<FromUserName><![CDATA[oBenchPages]]></FromUserName>"
                f"<CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
                f"<Content><![CDATA[软银]]></Content><MsgId>{time.time_ns() + n}</MsgId></xml>"
            )
            params = {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
            start = time.perf_counter()
            try:
                http.post(url, params=params, data=body.encode(), timeout=30).raise_for_status()
                latencies.append(time.perf_counter() - start)
            except requests.RequestException:
                latencies.append(float("inf"))
    return latencies


def flood(
    base: str, paths: list[str], offset: int, stop_at: float, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    """Ask for ``paths`` in turn from ``offset`` until ``stop_at``; report the statuses."""
    counts: dict[int, int] = {}
    with requests.Session() as http:
        i = offset
        while time.time() < stop_at:
            try:
                status = http.get(base + paths[i % len(paths)], timeout=30).status_code
            except requests.RequestException:
                status = 0
            counts[status] = counts.get(status, 0) + 1
            i += 1
    out.put(counts)


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--issues", type=int, default=60, help="synthetic issues (default 60)")
    parser.add_argument("--seconds", type=float, default=10, help="per run (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="flooding clients")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.sqlite3"
        runtime = load_runtime(
            overrides={"storage": {"database_url": f"sqlite:///{database}"}},
            instance_path=Path(tmp) / "instance",
        )
        paths = sample_issues() + write_synthetic(Path(tmp) / "issues", args.issues)
        ids = [r.issue_id for r in ingest_paths(runtime, paths) if r.issue_id]
        runtime.close()
        config = Path(tmp) / "wxbot.toml"
        config.write_text(
            f"[storage]\ndatabase_url = {json.dumps(f'sqlite:///{database}')}\n"
            f'[wechat]\ntoken = "{TOKEN}"\n[server]\nsecret_key = "bench"\n',
            encoding="utf-8",
        )
        server = Server("wxbot.app:create_app()", {"WXBOT_CONFIG": str(config)}).wait()
        base = server.url.removesuffix("/wechat")
        floods = {
            "same": [f"/issues/{i}" for i in ids[:2]],  # the preview is the console's now
            "many": [
                f"/issues/{i}{page}" for i in ids for page in ("", "/cover.jpg", "/thumb.jpg")
            ],
        }
        try:
            for path in floods["many"][:6]:  # warm up: fonts, jieba, templates
                requests.get(base + path, timeout=60)
            floor = follower_run(server.url, args.seconds)
            floor_rps, floor_p99 = len(floor) / args.seconds, p99(floor)
            print(f"floor: follower alone {floor_rps:.0f} replies/s, p99 {floor_p99 * 1000:.1f} ms")
            for name, flood_paths in floods.items():
                out: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
                stop_at = time.time() + args.seconds + 1
                workers = [
                    multiprocessing.Process(target=flood, args=(base, flood_paths, n, stop_at, out))
                    for n in range(args.connections)
                ]
                for worker in workers:
                    worker.start()
                time.sleep(1)
                replies = follower_run(server.url, args.seconds)
                counts: dict[int, int] = {}
                for _ in workers:
                    for status, n in out.get(timeout=60).items():
                        counts[status] = counts.get(status, 0) + n
                for worker in workers:
                    worker.join(30)
                seconds = args.seconds + 1
                served, refused = counts.get(200, 0) / seconds, counts.get(503, 0) / seconds
                late = sum(1 for latency in replies if latency > DEADLINE_SECONDS)
                print(
                    f"{name:>4}: follower {len(replies) / args.seconds / floor_rps:.2f}x replies/s,"
                    " "
                    f"p99 {p99(replies) / floor_p99:.1f}x ({p99(replies) * 1000:.0f} ms), "
                    f"{late} over 5 s; previews {served / floor_rps:.2f}x served "
                    f"({served:.0f}/s), {refused / floor_rps:.2f}x refused ({refused:.0f}/s), "
                    f"other {sorted((s, n) for s, n in counts.items() if s not in (200, 503))}"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()
