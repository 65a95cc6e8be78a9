"""Times shown to editors: in the account's timezone, with the zone named, everywhere."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from wxbot.local_time import local_time
from wxbot.sandbox import SandboxServer

ISSUE = "2026-06-13"
Cli = Callable[..., Result]

#: One time as every editor-facing command prints it: Shanghai time and its zone.
SHANGHAI_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d CST \(Asia/Shanghai\)")


@pytest.mark.parametrize(
    ("moment", "zone", "shown"),
    [
        (dt.datetime(2026, 6, 13, 1, 0, tzinfo=dt.UTC), "Asia/Shanghai",
         "2026-06-13 09:00 CST (Asia/Shanghai)"),
        # SQLite hands stored UTC times back naive
        (dt.datetime(2026, 6, 13, 17, 30), "Asia/Shanghai", "2026-06-14 01:30 CST (Asia/Shanghai)"),
        (dt.datetime(2026, 6, 13, 1, 0, tzinfo=dt.UTC), "UTC", "2026-06-13 01:00 UTC"),
        (dt.datetime(2026, 6, 13, 13, 0, tzinfo=dt.UTC), "America/New_York",
         "2026-06-13 09:00 EDT (America/New_York)"),
        (dt.datetime(2026, 12, 13, 14, 0, tzinfo=dt.UTC), "America/New_York",
         "2026-12-13 09:00 EST (America/New_York)"),
        (dt.datetime(2026, 6, 13, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), "Europe/Berlin",
         "2026-06-13 03:00 CEST (Europe/Berlin)"),
    ],
)  # fmt: skip
def test_local_time(moment: dt.datetime, zone: str, shown: str) -> None:
    assert local_time(moment, ZoneInfo(zone)) == shown


@pytest.mark.parametrize(
    ("command", "times"),
    [
        (["status", ISSUE], 3),  # the draft, the publish job, the run
        (["show", ISSUE, "--revisions"], 1),
        (["jobs"], 1),
        (["jobs", "1"], 2),  # the job and its history
    ],
)
def test_commands_show_times_in_the_account_timezone(
    wechat_cli: Cli, sandbox: SandboxServer, command: list[str], times: int
) -> None:
    assert wechat_cli("publish", ISSUE, "--mode", "publish").exit_code == 0
    later = dt.datetime.now(ZoneInfo("Asia/Shanghai")) + dt.timedelta(days=1)
    scheduled = wechat_cli("schedule", "2026-06-25", "--at", f"{later:%Y-%m-%d %H:%M}")
    assert scheduled.exit_code == 0, scheduled.output
    assert SHANGHAI_TIME.search(scheduled.output), scheduled.output
    result = wechat_cli(*command)
    assert result.exit_code == 0, result.output
    assert len(SHANGHAI_TIME.findall(result.output)) >= times, result.output
    assert "UTC" not in result.output and not re.search(r"\d\dT\d\d:", result.output)


def test_show_revisions_names_the_zone(wechat_cli: Cli) -> None:
    [revision] = json.loads(wechat_cli("show", ISSUE, "--revisions").output)
    assert SHANGHAI_TIME.fullmatch(revision["created_at"])
