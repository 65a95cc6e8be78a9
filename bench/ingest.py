"""Measure ingest throughput against the floor of reading and hashing the same files.

    python bench/ingest.py [--count 3650]

Target: >= 200 issues/s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_synthetic  # noqa: E402

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.runtime import load_runtime  # noqa: E402


def floor(paths: list[Path]) -> float:
    """Return the seconds it takes merely to read and hash every file."""
    start = time.perf_counter()
    for path in paths:
        hashlib.sha256(path.read_bytes()).hexdigest()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3650, help="synthetic issues (default 3650)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_synthetic(Path(tmp) / "issues", args.count)
        floor(paths)  # warm the page cache so both runs read from memory
        floor_s = min(floor(paths) for _ in range(3))
        runtime = load_runtime(instance_path=Path(tmp) / "instance")
        start = time.perf_counter()
        results = ingest_paths(runtime, paths)
        ingest_s = time.perf_counter() - start
        added = sum(r.status == "added" for r in results)
        start = time.perf_counter()
        again = ingest_paths(runtime, paths)
        reingest_s = time.perf_counter() - start
        unchanged = sum(r.status == "unchanged" for r in again)
    rate = args.count / ingest_s
    print(f"issues:            {args.count} ({added} added; re-ingest: {unchanged} unchanged)")
    print(f"floor (read+hash): {floor_s * 1000:.1f} ms  ({args.count / floor_s:,.0f} files/s)")
    print(f"ingest:            {ingest_s * 1000:.1f} ms  ({rate:,.0f} issues/s)")
    print(
        f"re-ingest:         {reingest_s * 1000:.1f} ms  ({args.count / reingest_s:,.0f} issues/s)"
    )
    print(
        f"ratio ingest/floor: {ingest_s / floor_s:.1f}x   target >= 200 issues/s: "
        f"{'met' if rate >= 200 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
