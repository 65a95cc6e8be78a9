"""Measure the console's pages at archive scale against a trivial signed-in page.

    python bench/console.py [--issues 3650] [--queries 100000] [--rounds 40] [--database-url URL]

A fresh archive (SQLite in a temporary folder, or ``--database-url``, e.g. an empty
PostgreSQL database) of ``--issues`` synthetic issues (bench/synthetic.py) and
``--queries`` logged follower queries spread over the last 90 days. One admin signs in;
then each page is asked for in turn, ``--rounds`` times, through the app in this process
(Flask's test client: the server's time, no network):

* floor: ``/console/account`` (signed in, one account looked up, base layout);
* dashboard: ``/console/`` (the first page of issues with their states);
* issue: ``/console/issues/<newest>`` (preview, cover, lint, overrides form);
* followers: ``/console/followers`` (query log, top queries, queries that found nothing).

Printed: p50 and p95 in ms per page and as ratios to the floor's. Target: each <= 3x.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_synthetic  # noqa: E402

from wxbot.app import create_app  # noqa: E402
from wxbot.archive import ingest_paths, list_issues  # noqa: E402
from wxbot.editors import add_editor  # noqa: E402
from wxbot.runtime import Runtime, load_runtime  # noqa: E402
from wxbot.storage import followers  # noqa: E402

PASSWORD = "bench-password"
KEYWORDS = ["数据要素", "低空经济", "人工智能", "算力", "5G", "最新", "软银", "大模型", "帮助"]
TARGET = 3.0


def log_queries(runtime: Runtime, count: int, seed: int = 11) -> None:
    """Log ``count`` follower text queries over the last 90 days, in batches."""
    rng = random.Random(seed)
    now = runtime.now()
    batch: list[followers.LoggedMessage] = []
    for n in range(count):
        word = rng.choice(KEYWORDS) if rng.random() < 0.8 else f"没有的词{rng.randint(1, 5000)}"
        found = not word.startswith("没有")
        batch.append(
            followers.LoggedMessage(
                dedupe_key=f"bench{n}",
                openid=f"oBench{rng.randint(1, 20000):022d}",
                msg_type="text",
                query=word,
                handler="search",
                answer="news" if found else "text",
                found=found,
                results=json.dumps(["2025-12-31"] if found else []),
                reply="<xml/>",
                received_at=now - dt.timedelta(seconds=rng.uniform(0, 90 * 86400)),
            )
        )
        if len(batch) == 5000 or n == count - 1:
            with runtime.db.begin() as conn:
                followers.log_messages(conn, batch)
            batch = []


def signed_in_client(runtime: Runtime) -> object:
    """Return a test client of the app signed in as an admin."""
    add_editor(runtime, "bench", "admin", PASSWORD)
    client = create_app(runtime).test_client()
    form = client.get("/console/sign-in").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found, "no CSRF token on the sign-in page"
    answer = client.post(
        "/console/sign-in",
        data={"csrf_token": found.group(1), "name": "bench", "password": PASSWORD},
    )
    assert answer.status_code == 302, answer.status_code
    return client


def measure(client: object, pages: dict[str, str], rounds: int) -> dict[str, list[float]]:
    """Ask for every page in turn ``rounds`` times (after one warm-up); return seconds each."""
    times: dict[str, list[float]] = {name: [] for name in pages}
    for warm_up in (True, *([False] * rounds)):
        for name, url in pages.items():
            start = time.perf_counter()
            response = client.get(url)  # type: ignore[attr-defined]
            response.get_data()
            spent = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            if not warm_up:
                times[name].append(spent)
    return times


def percentile(values: list[float], q: int) -> float:
    """Return the ``q``th percentile of ``values``."""
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=3650)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        runtime = load_runtime(
            overrides={
                "storage": {"database_url": args.database_url or f"sqlite:///{folder / 'b.db'}"},
                "server": {"secret_key": "bench", "public_base_url": "http://bench.test"},
            },
            instance_path=folder / "instance",
        )
        start = time.perf_counter()
        ingest_paths(runtime, write_synthetic(folder / "issues", args.issues))
        log_queries(runtime, args.queries)
        print(
            f"archive: {args.issues} issues, {args.queries} logged queries "
            f"({time.perf_counter() - start:.0f} s to make)"
        )
        newest = list_issues(runtime)[0].id
        pages = {
            "floor": "/console/account",
            "dashboard": "/console/",
            "issue": f"/console/issues/{newest}",
            "followers": "/console/followers",
        }
        times = measure(signed_in_client(runtime), pages, args.rounds)
        floor50, floor95 = percentile(times["floor"], 50), percentile(times["floor"], 95)
        print(f"{'page':<10} {'p50 ms':>8} {'p95 ms':>8} {'p50 ×':>7} {'p95 ×':>7}  (target ≤ 3x)")
        for name, spent in times.items():
            p50, p95 = percentile(spent, 50), percentile(spent, 95)
            within = max(p50 / floor50, p95 / floor95) <= TARGET
            verdict = "" if name == "floor" else ("ok" if within else "OVER")
            print(
                f"{name:<10} {p50 * 1000:8.1f} {p95 * 1000:8.1f} "
                f"{p50 / floor50:7.2f} {p95 / floor95:7.2f}  {verdict}"
            )
        runtime.close()


if __name__ == "__main__":
    main()
