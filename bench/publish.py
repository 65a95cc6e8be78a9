"""Measure publishing against the WeChat sandbox: API calls per issue, and time against rendering.

    python bench/publish.py [--count 8]

For each synthetic issue: ``wxbot publish --mode publish`` (the result polled with
freepublish/get), then a re-publish of the unchanged issue; then ``--mode mass`` of fresh
issues. Calls are counted by the sandbox and compared to the minimum: the token (0 once
cached), the cover's one upload (image material, cropped twice by the draft), one uploadimg
per image WeChat does not hold yet, the draft, and the submit or sendall. Time is compared
to rendering the same issue alone.
Targets: calls = minimum; re-publishing an unchanged issue uploads nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import write_synthetic  # noqa: E402

from wxbot.archive import get_issue, ingest_paths  # noqa: E402
from wxbot.publishing import publish_issue  # noqa: E402
from wxbot.publishing.uploads import ImagePlaceholders  # noqa: E402
from wxbot.rendering import render_issue  # noqa: E402
from wxbot.runtime import Runtime, load_runtime  # noqa: E402
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer  # noqa: E402

UPLOADS = ("material/add_material", "media/uploadimg")
#: Asking for the publish result is waiting, not work: reported apart from the minimum.
POLLS = ("freepublish/get",)


def count_calls(sandbox: SandboxServer, since: int) -> Counter[str]:
    """Return the calls the sandbox received after log entry ``since``, by endpoint."""
    return Counter(e["path"].removeprefix("/cgi-bin/") for e in sandbox.log.entries(since=since))


def last_seq(sandbox: SandboxServer) -> int:
    entries = sandbox.log.entries()
    return entries[-1]["seq"] if entries else 0


def minimum(runtime: Runtime, issue_id: str, token_cached: bool, known_images: set[str]) -> int:
    """Return the fewest calls a publish can make: token, cover, new images, draft, send."""
    placeholders = ImagePlaceholders()
    render_issue(get_issue(runtime, issue_id), runtime.settings, image_url=placeholders)
    new_images = set(placeholders.files) - known_images
    known_images.update(placeholders.files)
    return (0 if token_cached else 1) + 1 + len(new_images) + 1 + 1


def render_seconds(runtime: Runtime, issue_id: str) -> float:
    issue = get_issue(runtime, issue_id)
    start = time.perf_counter()
    render_issue(issue, runtime.settings, image_url=ImagePlaceholders())
    return time.perf_counter() - start


def run(count: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"publish": [], "republish": [], "mass": [], "ratio": []}
    with (
        SandboxServer(publish_delay=0.0, mass_send_delay=0.0, mass_daily_quota=10_000) as sandbox,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = {
            "wechat": {"appid": SANDBOX_APPID, "secret": SANDBOX_SECRET,
                       "api_base_url": sandbox.base_url, "retry_backoff": 0.01},
            "publish": {"poll_interval": 0.0, "wait_timeout": 30.0},
        }  # fmt: skip
        runtime = load_runtime(overrides=config, instance_path=Path(tmp) / "instance")
        paths = write_synthetic(Path(tmp) / "issues", 2 * count)
        ids = [r.issue_id for r in ingest_paths(runtime, paths) if r.issue_id]
        render_seconds(runtime, ids[0])  # warm fonts and templates for both measurements
        known: set[str] = set()
        for n, issue_id in enumerate(ids[:count]):
            floor = min(render_seconds(runtime, issue_id) for _ in range(3))
            least = minimum(runtime, issue_id, token_cached=n > 0, known_images=known)
            since = last_seq(sandbox)
            start = time.perf_counter()
            record = publish_issue(runtime, issue_id, "publish")
            seconds = time.perf_counter() - start
            assert record.status == "done", record
            calls = count_calls(sandbox, since)
            polls = sum(calls[p] for p in POLLS)
            figures["publish"].append((issue_id, sum(calls.values()) - polls, least, polls))
            figures["ratio"].append(seconds / floor)
            since = last_seq(sandbox)
            publish_issue(runtime, issue_id, "publish")
            again = count_calls(sandbox, since)
            figures["republish"].append((sum(again.values()), sum(again[u] for u in UPLOADS)))
        for issue_id in ids[count:]:
            least = minimum(runtime, issue_id, token_cached=True, known_images=known)
            since = last_seq(sandbox)
            record = publish_issue(runtime, issue_id, "mass")
            assert record.status == "done", record
            figures["mass"].append((issue_id, sum(count_calls(sandbox, since).values()), least))
        runtime.db.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=8, help="issues per mode (default 8)")
    args = parser.parse_args()
    figures = run(args.count)
    print(f"{'issue':<12} {'publish calls':>14} {'minimum':>8} {'result polls':>13}")
    for issue_id, calls, least, polls in figures["publish"]:
        print(f"{issue_id:<12} {calls:>14} {least:>8} {polls:>13}")
    publish_met = all(calls == least for _, calls, least, _ in figures["publish"])
    republish_calls = sum(c for c, _ in figures["republish"])
    republish_uploads = sum(u for _, u in figures["republish"])
    print(
        f"re-publish of {len(figures['republish'])} unchanged issues: {republish_calls} calls, "
        f"{republish_uploads} uploads"
    )
    mass_met = all(calls == least for _, calls, least in figures["mass"])
    mass_calls = [calls for _, calls, _ in figures["mass"]]
    mass_least = [least for _, _, least in figures["mass"]]
    print(f"mass sends: calls {mass_calls} against minimum {mass_least}")
    ratios = figures["ratio"]
    print(
        f"publish wall time / rendering alone: median {statistics.median(ratios):.1f}x "
        f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x)"
    )
    met = publish_met and mass_met and republish_uploads == 0
    print(f"target calls = minimum, zero uploads on re-publish: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
