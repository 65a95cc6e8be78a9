"""The ``wxbot`` command line as a whole: --version, worker --once, how a command is repeated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib.metadata import version
from zoneinfo import ZoneInfo

import click
import pytest
from click.testing import CliRunner, Result

from wxbot.cli import cli
from wxbot.cli.rerun import command_line
from wxbot.local_time import local_time
from wxbot.sandbox import SandboxServer

SHANGHAI = ZoneInfo("Asia/Shanghai")
Cli = Callable[..., Result]


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wxbot, version {version('wxbot')}\n"


def test_worker_once_says_nothing_is_due(run_cli: Cli) -> None:
    result = run_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    assert result.output == "nothing due; no job is waiting\n"


@pytest.mark.parametrize(
    ("ahead", "output"),
    [
        # a day ahead: nothing to do until the draft is prepared, 30 minutes before the send
        (dt.timedelta(days=1), ["nothing due; next due {prepare}"]),
        # 20 minutes ahead: the draft is prepared now; next comes the send itself
        (dt.timedelta(minutes=20), ["job 1 (2026-06-25): prepared  revision 1, draft ",
                                    "did 1 step; next due {send}"]),
    ],
)  # fmt: skip
def test_worker_once_says_what_it_did_and_what_comes_next(
    wechat_cli: Cli, sandbox: SandboxServer, ahead: dt.timedelta, output: list[str]
) -> None:
    send_at = (dt.datetime.now(SHANGHAI) + ahead).replace(second=0, microsecond=0)
    scheduled = wechat_cli("schedule", "2026-06-25", "--at", f"{send_at:%Y-%m-%d %H:%M}")
    assert scheduled.exit_code == 0, scheduled.output
    result = wechat_cli("worker", "--once")
    assert result.exit_code == 0, result.output
    times = {
        "prepare": local_time(send_at - dt.timedelta(minutes=30), SHANGHAI),
        "send": local_time(send_at, SHANGHAI),
    }
    lines = result.output.splitlines()
    assert len(lines) == len(output), result.output
    for line, expected in zip(lines, output, strict=True):
        assert line.startswith(expected.format(**times)), result.output


@click.group()
@click.option("--config", "config_path", default=None)
def group(config_path: str | None) -> None:
    """Stand in for ``wxbot``."""


@group.command()
@click.argument("issue_id")
@click.option("--mode", default="draft")
@click.option("--tag", type=int, default=None)
@click.option("--preview-to", default=None)
@click.option("--wait/--no-wait", default=True)
@click.option("--label", "labels", multiple=True)
def publish(**_params: object) -> None:
    """Print how the command would be typed again."""
    click.echo(command_line(click.get_current_context()))


@pytest.mark.parametrize(
    ("args", "again"),
    [
        (["publish", "2026-06-13"], "wxbot publish 2026-06-13"),
        (["publish", "2026-06-13", "--mode", "draft"], "wxbot publish 2026-06-13 --mode draft"),
        (["publish", "--preview-to", "o1", "2026-06-13", "--mode", "mass", "--tag", "7"],
         "wxbot publish 2026-06-13 --mode mass --tag 7 --preview-to o1"),
        (["--config", "my wxbot.toml", "publish", "2026-06-13", "--no-wait"],
         "wxbot --config 'my wxbot.toml' publish 2026-06-13 --no-wait"),
        (["publish", "2026-06-13", "--label", "a", "--label", "b c"],
         "wxbot publish 2026-06-13 --label a --label 'b c'"),
    ],
)  # fmt: skip
def test_command_line_repeats_what_was_typed(args: list[str], again: str) -> None:
    result = CliRunner().invoke(group, args)
    assert result.exit_code == 0, result.output
    assert result.output == again + "\n"
