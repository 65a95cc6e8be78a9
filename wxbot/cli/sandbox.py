"""The ``sandbox`` command: run the local WeChat API simulator in the foreground."""

from __future__ import annotations

import logging
import threading

import click

from ..errors import ConfigError
from ..sandbox import SandboxServer
from ..sandbox.chat import CHAT_PATH
from ..sandbox.settings import sandbox_accounts
from .context import CliEnv, pass_env


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [sandbox] host).")
@click.option("--port", type=int, default=None, help="Port, 0 = any (default: [sandbox] port).")
@click.option(
    "--callback-url",
    default=None,
    help="Where to POST completion events (default: [sandbox] callback_url); "
    "account NAME's go to it + /NAME.",
)
@pass_env
def sandbox(env: CliEnv, host: str | None, port: int | None, callback_url: str | None) -> None:
    """Run the WeChat API sandbox until interrupted; point [wechat] api_base_url at it.

    It serves the [sandbox] account and one per [accounts.NAME], all on one port.
    """
    try:
        accounts = sandbox_accounts(env.settings, callback_url)
        server = SandboxServer(
            accounts=accounts,
            host=host or accounts[0].host,
            port=accounts[0].port if port is None else port,
        )
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None
    logging.getLogger("wxbot.sandbox").setLevel(logging.INFO)
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
    base = server.base_url
    click.echo(f"WeChat API sandbox on {base}")
    for number, settings in enumerate(accounts):
        query = "" if number == 0 else f"?appid={settings.appid}"
        click.echo(
            f"  appid {settings.appid} ({settings.account_name}, {settings.original_id}), "
            f"events: {settings.callback_url or 'not delivered'}"
        )
        click.echo(f"    state {base}/sandbox/state{query}, log {base}/sandbox/log{query}")
        if settings.callback_url:
            click.echo(f"    chat as a follower: {base}{CHAT_PATH}{query}")
    click.echo(f"  accounts {base}/sandbox/accounts")
    click.echo(f'  set [wechat] api_base_url = "{base}"; Ctrl-C stops')
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()


COMMANDS = [sandbox]
