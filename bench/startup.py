"""Measure how long ``wxbot issues`` takes to start, as a ratio to ``python -c pass``.

    python bench/startup.py [--runs 15] [--against /path/to/other/checkout]

Ingests the samples into a fresh SQLite archive in a temporary folder, then runs
``python -m wxbot.cli issues`` and the floor ``python -c pass`` in turns, and prints each
median CPU time and the ratio. It also says whether the command imported jieba (``-X importtime``).
With ``--against``, the other checkout's ``wxbot issues`` runs in the same turns, on its
own archive, for a before/after on one busy machine.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str], env: dict[str, str]) -> float:
    """Return the CPU seconds (user + system) one run of ``argv`` took; it must succeed.

    CPU time rather than wall time: on a shared machine the wall clock measures the
    neighbours as much as the command.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, check=True, capture_output=True, cwd=env["BENCH_CWD"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    """Print the start-up time of ``wxbot issues`` against the floor."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--against", type=Path, default=None, help="another checkout of wxbot")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.against is not None:
        trees["--against"] = args.against.resolve()
    with tempfile.TemporaryDirectory() as folder:
        envs = {}
        for i, (name, tree) in enumerate(trees.items()):
            env = dict(os.environ)
            env["PYTHONPATH"] = str(tree)
            env["BENCH_CWD"] = folder  # not a checkout: ``-m wxbot.cli`` finds PYTHONPATH's
            env["WXBOT_STORAGE__DATABASE_URL"] = f"sqlite:///{folder}/bench{i}.sqlite3"
            subprocess.run(
                [*WXBOT, "ingest", str(tree / "assets" / "samples")],
                env=env, check=True, capture_output=True, cwd=folder,
            )  # fmt: skip
            envs[name] = env
        floor: list[float] = []
        issues: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            floor.append(timed([sys.executable, "-c", "pass"], envs["this checkout"]))
            for name, env in envs.items():
                issues[name].append(timed([*WXBOT, "issues"], env))
        jieba = {}
        for name, env in envs.items():
            trace = subprocess.run(
                [sys.executable, "-X", "importtime", *WXBOT[1:], "issues"],
                env=env, check=True, capture_output=True, text=True, cwd=folder,
            ).stderr  # fmt: skip
            jieba[name] = bool(re.search(r"\|\s+jieba$", trace, re.MULTILINE))
    floor_s = statistics.median(floor)
    print(f"python -c pass                {floor_s * 1000:7.1f} ms CPU")
    for name, times in issues.items():
        median = statistics.median(times)
        print(
            f"wxbot issues ({name:13}) {median * 1000:7.1f} ms CPU"
            f" {median / floor_s:5.1f}x the floor"
            f"  jieba {'imported' if jieba[name] else 'not imported'}"
        )


WXBOT = [sys.executable, "-m", "wxbot.cli"]


if __name__ == "__main__":
    main()
