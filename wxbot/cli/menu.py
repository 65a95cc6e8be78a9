"""The ``menu`` commands: push the ``[menu]`` section to WeChat, show or delete the live menu.

Each acts for the account ``wxbot --account NAME`` names (its own menu, its own API);
``menu push --all-accounts`` pushes every account's menu, one line of outcome each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from ..errors import ConfigError, WxbotError
from ..runtime import Runtime
from ..wechat import WeChatApi
from ..wechat.menus import CurrentMenu, MenuItem, current_menu, delete_menu, push_menu
from .context import CliEnv, pass_env

T = TypeVar("T")


@click.group()
def menu() -> None:
    """Manage the custom menu followers tap (server mode turns the console's editor off)."""


@menu.command()
@click.option(
    "--all-accounts",
    is_flag=True,
    help="Push every account's menu (one line each; a failure does not stop the others).",
)
@pass_env
def push(env: CliEnv, all_accounts: bool) -> None:
    """Replace the account's menu with [menu] from the configuration, then show it."""
    if all_accounts:
        _push_every_account(env)
        return
    runtime = env.runtime
    api = _api(env)
    _run(lambda: push_menu(api, runtime.settings.menu, runtime.public_base_url()))
    click.echo("menu pushed; followers see it within about 5 minutes (or on re-following):")
    _echo(_run(lambda: current_menu(api)))


@menu.command()
@pass_env
def show(env: CliEnv) -> None:
    """Show the menu followers see now, as WeChat reports it."""
    api = _api(env)
    _echo(_run(lambda: current_menu(api)))


@menu.command()
@pass_env
def delete(env: CliEnv) -> None:
    """Delete the account's menu (followers then see none)."""
    api = _api(env)
    _run(lambda: delete_menu(api))
    click.echo("menu deleted")


def _push_every_account(env: CliEnv) -> None:
    failed = [r.account for r in env.runtime.accounts() if not _push_one(r)]
    if failed:
        raise click.ClickException(f"menu not pushed for {', '.join(failed)}")


def _push_one(runtime: Runtime) -> bool:
    """Push one account's menu and print one line saying how it went; return whether it did."""
    try:
        push_menu(WeChatApi(runtime), runtime.settings.menu, runtime.public_base_url())
    except WxbotError as exc:
        click.echo(f"{runtime.account}: failed: {exc}")
        return False
    buttons = len(runtime.settings.menu.buttons)
    click.echo(f"{runtime.account}: menu pushed ({buttons} buttons)")
    return True


def _api(env: CliEnv) -> WeChatApi:
    try:
        return WeChatApi(env.runtime)
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None


def _run(call: Callable[[], T]) -> T:
    try:
        return call()
    except WxbotError as exc:
        raise click.ClickException(str(exc)) from None


def _echo(current: CurrentMenu) -> None:
    if not current.is_open or not current.buttons:
        click.echo("no menu (`wxbot menu push` sends [menu])")
        return
    for button in current.buttons:
        click.echo(_line(button, ""))
        for sub in button.sub_buttons:
            click.echo(_line(sub, "  └ "))


def _line(item: MenuItem, indent: str) -> str:
    if item.sub_buttons:
        return f"{indent}{item.name}"
    target = item.key if item.type == "click" else item.url
    return f"{indent}{item.name}  [{item.type}] {target}".rstrip()


COMMANDS = [menu]
