"""Measure how long ``wxbot issues`` takes to start, as a ratio to ``python -c pass``.

    python bench/startup.py [--runs 15]

Ingests the samples into a fresh SQLite archive in a temporary folder, then runs
``python -m wxbot.cli issues`` and the floor ``python -c pass`` in turns, and prints each
median and the ratio. It also says whether the command imported jieba (``-X importtime``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Return the seconds one run of ``argv`` took (it must succeed)."""
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    """Print the start-up time of ``wxbot issues`` against the floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT)
        env["WXBOT_STORAGE__DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        wxbot = [sys.executable, "-m", "wxbot.cli"]
        subprocess.run(
            [*wxbot, "ingest", str(ROOT / "assets" / "samples")],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        floor, issues = [], []
        for _ in range(args.runs):
            floor.append(timed([sys.executable, "-c", "pass"], env))
            issues.append(timed([*wxbot, "issues"], env))
        trace = subprocess.run(
            [sys.executable, "-X", "importtime", *wxbot[1:], "issues"],
            env=env, check=True, capture_output=True, text=True,
        ).stderr  # fmt: skip
    floor_s, issues_s = statistics.median(floor), statistics.median(issues)
    print(f"python -c pass   {floor_s * 1000:7.1f} ms")
    print(f"wxbot issues     {issues_s * 1000:7.1f} ms  ({issues_s / floor_s:.1f}x the floor)")
    jieba = re.search(r"\|\s+jieba$", trace, re.MULTILINE)
    print(f"imports jieba    {'yes' if jieba else 'no'}")


if __name__ == "__main__":
    main()
