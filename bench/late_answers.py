"""Measure what the late-answer budget costs a follower message: the hop to the answer pool.

    python bench/late_answers.py [--messages 2000] [--rounds 5]

Ingests the samples into a fresh SQLite archive and answers the same signed keyword message
(each a new MsgId, a cached answer) through ``FollowerCallback.receive`` in this process:
the floor with ``late_answer_budget = 0`` (answered in the request thread, as before late
answers), then with the default budget (answered in the pool while the request waits), the
two taking turns. Prints each median per-message time and the ratio, and a bare
``ThreadPoolExecutor`` round trip for scale.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.callback.service import FollowerCallback  # noqa: E402
from wxbot.resources import sample_issues  # noqa: E402
from wxbot.runtime import Runtime, load_runtime  # noqa: E402
from wxbot.sandbox.crypto import signature  # noqa: E402

TOKEN = "bench-token"


def runtime(folder: str, budget: float) -> Runtime:
    """Return a runtime over the archive in ``folder`` with API credentials (sending enabled)."""
    overrides = {
        "storage": {"database_url": f"sqlite:///{folder}/bench.sqlite3"},
        "wechat": {"token": TOKEN, "appid": "wxbench", "secret": "bench"},
        "callback": {"timestamp_window": 0, "late_answer_budget": budget},
    }
    return load_runtime(overrides=overrides, instance_path=Path(folder))


def per_message(callback: FollowerCallback, count: int, first_id: int) -> float:
    """Return the median seconds ``receive`` took over ``count`` messages."""
    times = []
    for msg_id in range(first_id, first_id + count):
        ts, nonce = str(int(time.time())), f"n{msg_id}"
        args = {"signature": signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}
        body = (
            "<xml><ToUserName><![CDATA[gh]]></ToUserName><FromUserName><![CDATA[oBench]]>"
            f"</FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[数据要素]]></Content><MsgId>{msg_id}</MsgId></xml>"
        ).encode()
        start = time.perf_counter()
        callback.receive(args, body)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    """Print the per-message cost with and without the answer pool, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        ingest_paths(runtime(folder, 0), sample_issues())
        floor, pooled = FollowerCallback(runtime(folder, 0)), FollowerCallback(runtime(folder, 4))
        for callback in (floor, pooled):
            callback.start()
        time.sleep(3)  # jieba loads in the background
        results: dict[str, list[float]] = {"floor": [], "pool": []}
        next_id = 1
        for _ in range(args.rounds):
            for name, callback in (("floor", floor), ("pool", pooled)):
                results[name].append(per_message(callback, args.messages, next_id))
                next_id += args.messages
        for callback in (floor, pooled):
            callback.late.close()
            callback.log.close()
    with ThreadPoolExecutor(1) as pool:
        trips = []
        for _ in range(5000):
            start = time.perf_counter()
            pool.submit(int).result()
            trips.append(time.perf_counter() - start)
    a, b = statistics.median(results["floor"]), statistics.median(results["pool"])
    print(f"floor (budget 0, request thread): {a * 1e6:7.0f} us a message")
    print(f"pool  (budget 4 s):               {b * 1e6:7.0f} us a message   ratio {b / a:.2f}x")
    print(f"bare pool round trip:             {statistics.median(trips) * 1e6:7.0f} us")


if __name__ == "__main__":
    main()
