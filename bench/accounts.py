"""Measure publishing one issue to N official accounts at once (N = 1, 2, 5) against one account.

    python bench/accounts.py [--latency 0.1] [--repeat 3] [--mode mass]

Each account is a sandbox of its own (its own appid and secret), every API call of which
waits ``--latency`` seconds first (a sandbox fault with a delay on every path: WeChat's API
answers in tens to hundreds of milliseconds, and that wait is what accounts may overlap).
For each N a fresh database publishes the same issue with ``publish_to_accounts`` (what
``wxbot publish --all-accounts`` runs): draft and sendall (``--mode mass``) or draft and
freepublish (``--mode publish``; its result polls are reported apart, they are waiting).
Wall time is shown as a ratio to N = 1 measured in the same run (median of ``--repeat``),
and each sandbox's request log is counted: every account makes the calls one account makes.
Targets: wall time well under N x one account's (at most 0.75 N x); calls = N x one account's.
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

from wxbot.archive import ingest_paths  # noqa: E402
from wxbot.config.accounts import DEFAULT_ACCOUNT  # noqa: E402
from wxbot.publishing.accounts import publish_to_accounts  # noqa: E402
from wxbot.runtime import load_runtime  # noqa: E402
from wxbot.sandbox import SandboxServer  # noqa: E402

ACCOUNTS = (1, 2, 5)
#: Asking for a publish's result is waiting, not work: counted apart.
POLLS = ("freepublish/get",)
#: "Well under N x": N accounts take at most this times N one account's wall time.
TARGET = 0.75
#: As many calls as any run makes: the latency fault never runs out.
EVERY_CALL = 1_000_000


def appid(n: int) -> str:
    """Return the n-th bench account's AppID (18 characters, as WeChat's are)."""
    return f"wxbench{n:011d}"


def name(n: int) -> str:
    """Return the n-th account's name: the first is ``[wechat]``, the others are accounts."""
    return DEFAULT_ACCOUNT if n == 0 else f"bench{n}"


def config(sandboxes: list[SandboxServer], database: Path) -> dict[str, Any]:
    """Return settings with one account per sandbox."""
    api = [
        {"appid": appid(n), "secret": f"secret{n}", "api_base_url": s.base_url}
        for n, s in enumerate(sandboxes)
    ]
    return {
        "storage": {"database_url": f"sqlite:///{database}"},
        "wechat": api[0] | {"retry_backoff": 0.01},
        "accounts": {name(n): table for n, table in enumerate(api) if n},
        "publish": {"poll_interval": 0.05, "wait_timeout": 30.0},
    }


def calls_of(sandbox: SandboxServer) -> Counter[str]:
    """Return the calls the sandbox received, by endpoint."""
    return Counter(e["path"].removeprefix("/cgi-bin/") for e in sandbox.log.entries())


def publish_once(
    sandboxes: list[SandboxServer], issue: Path, mode: str, latency: float, tmp: Path
) -> tuple[float, list[Counter[str]]]:
    """Publish ``issue`` to every sandbox's account on a fresh database; return time and calls."""
    for sandbox in sandboxes:
        sandbox.reset()
        if latency:
            sandbox.faults.inject("*", delay=latency, times=EVERY_CALL)
    folder = Path(tempfile.mkdtemp(dir=tmp))
    runtime = load_runtime(overrides=config(sandboxes, folder / "bench.sqlite3"),
                           instance_path=folder / "instance")  # fmt: skip
    try:
        [result] = ingest_paths(runtime, [issue])
        assert result.issue_id, result
        names = [name(n) for n in range(len(sandboxes))]
        start = time.perf_counter()
        outcomes = publish_to_accounts(runtime, result.issue_id, mode, names)
        seconds = time.perf_counter() - start
    finally:
        runtime.close()
    failed = [f"{o.account}: {o.error}" for o in outcomes if not o.ok]
    assert not failed, failed
    return seconds, [calls_of(s) for s in sandboxes]


def run(latency: float, repeat: int, mode: str) -> dict[int, tuple[float, list[Counter[str]]]]:
    """Return, for each N, the median wall time and each account's calls."""
    figures: dict[int, tuple[float, list[Counter[str]]]] = {}
    sandboxes = [
        SandboxServer(appid=appid(n), secret=f"secret{n}", publish_delay=0.0,
                      mass_send_delay=0.0, mass_daily_quota=10_000).start()
        for n in range(max(ACCOUNTS))
    ]  # fmt: skip
    try:
        with tempfile.TemporaryDirectory() as tmp:
            [issue] = write_synthetic(Path(tmp) / "issues", 1)
            publish_once(sandboxes[:1], issue, mode, 0.0, Path(tmp))  # warm fonts, templates
            for n in ACCOUNTS:
                runs = [
                    publish_once(sandboxes[:n], issue, mode, latency, Path(tmp))
                    for _ in range(repeat)
                ]
                seconds = statistics.median(t for t, _ in runs)
                figures[n] = (seconds, runs[-1][1])
    finally:
        for sandbox in sandboxes:
            sandbox.stop()
    return figures


def work(calls: Counter[str]) -> int:
    """Return the calls that do something (result polls left out)."""
    return sum(count for path, count in calls.items() if path not in POLLS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per API call")
    parser.add_argument("--repeat", type=int, default=3, help="runs per N (median)")
    parser.add_argument("--mode", choices=("mass", "publish"), default="mass")
    args = parser.parse_args()
    figures = run(args.latency, args.repeat, args.mode)
    one_time, (one_calls,) = figures[1]
    floor = work(one_calls)
    print(f"mode {args.mode}, {args.latency * 1000:g} ms per API call, median of {args.repeat}")
    print(f"one account's calls: {floor} {dict(sorted(one_calls.items()))}")
    header = ("N", "wall s", "x N=1", "x N", "calls", "= N x one", "polls")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (2, 7, 6, 5, 6, 10, 6), strict=True)))
    met = True
    for n, (seconds, calls) in figures.items():
        total = sum(work(c) for c in calls)
        same = all(work(c) == floor for c in calls)
        polls = sum(c[p] for c in calls for p in POLLS)
        ratio = seconds / one_time
        met &= same and ratio <= max(1.0, TARGET * n)
        print(
            f"{n:>2} {seconds:>7.2f} {ratio:>6.2f} {ratio / n:>5.2f} {total:>6} "
            f"{'yes' if same else 'NO':>10} {polls:>6}"
        )
    print(f"target: wall time at most {TARGET:g} N x one account's, calls = N x one's: "
          f"{'met' if met else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
