"""Measure rendering one issue (article HTML + cover) against reading it from the archive.

    python bench/render.py [--synthetic 20] [--repeat 5]

Floor: loading the same issue from the archive database, measured in the same run.
Target: median < 150 ms per issue on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_synthetic  # noqa: E402

from wxbot.archive import get_issue, ingest_paths  # noqa: E402
from wxbot.rendering import render_issue  # noqa: E402
from wxbot.resources import sample_issues  # noqa: E402
from wxbot.runtime import load_runtime  # noqa: E402

TARGET_MS = 150.0


def median_ms(ids: list[str], repeat: int, work: Callable[[str], object]) -> float:
    """Return the median milliseconds of ``work(id)`` over every id, each run ``repeat`` times."""
    times = []
    for _ in range(repeat):
        for issue_id in ids:
            start = time.perf_counter()
            work(issue_id)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=20, help="synthetic issues (default 20)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per issue (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runtime = load_runtime(instance_path=Path(tmp) / "instance")
        paths = sample_issues() + write_synthetic(Path(tmp) / "issues", args.synthetic)
        ids = [r.issue_id for r in ingest_paths(runtime, paths) if r.issue_id]
        config = runtime.settings

        def load(issue_id: str) -> object:
            return get_issue(runtime, issue_id)

        def load_and_render(issue_id: str) -> object:
            return render_issue(get_issue(runtime, issue_id), config)

        def html_only(issue_id: str) -> object:
            return render_issue(get_issue(runtime, issue_id), config, with_covers=False)

        render_issue(get_issue(runtime, ids[0]), config)  # warm caches: templates, theme, fonts
        floor = median_ms(ids, args.repeat, load)
        full = median_ms(ids, args.repeat, load_and_render)
        html = median_ms(ids, args.repeat, html_only)
        sizes = [
            len(render_issue(get_issue(runtime, i), config, with_covers=False).html) for i in ids
        ]

    print(f"issues:                    {len(ids)} (2 samples + {args.synthetic} synthetic)")
    print(f"runs per issue:            {args.repeat}")
    print(f"floor (load from archive): {floor:8.2f} ms median")
    print(f"load + HTML only:          {html:8.2f} ms median   ({html / floor:.1f}× floor)")
    print(f"load + HTML+cover:         {full:8.2f} ms median   ({full / floor:.1f}× floor)")
    print(f"article size:              {min(sizes):,}–{max(sizes):,} characters (limit 20,000)")
    verdict = "met" if full < TARGET_MS else "MISSED"
    print(f"target < {TARGET_MS:.0f} ms per issue: {verdict}")


if __name__ == "__main__":
    main()
