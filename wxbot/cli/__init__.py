"""The ``wxbot`` command line: a click group whose commands live one module per concern."""

from __future__ import annotations

import logging

import click

from ..config.accounts import DEFAULT_ACCOUNT
from . import (
    archive,
    db,
    demo,
    menu,
    publish,
    render,
    sandbox,
    schedule,
    search,
    service,
    stats,
    users,
)
from .context import CliEnv, pass_env

__all__ = ["CliEnv", "cli", "pass_env"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wxbot", prog_name="wxbot")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="WXBOT_CONFIG",
    help="TOML configuration file (default: built-in defaults).",
)
@click.option(
    "--account",
    envvar="WXBOT_ACCOUNT",
    default=DEFAULT_ACCOUNT,
    show_default=True,
    help="The official account to act for: default ([wechat]) or an [accounts.<name>].",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, account: str) -> None:
    """Publish the daily newsletter to WeChat official accounts."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if ctx.obj is None:  # tests pass their own CliEnv
        ctx.obj = CliEnv(config_path=config_path)
        ctx.call_on_close(ctx.obj.close)
    if account != DEFAULT_ACCOUNT:
        ctx.obj.account = account


_MODULES = (
    archive,
    demo,
    service,
    sandbox,
    render,
    publish,
    schedule,
    search,
    db,
    menu,
    stats,
    users,
)
for _module in _MODULES:
    for _command in _module.COMMANDS:
        cli.add_command(_command)
