"""The ``sandbox`` command: run the local WeChat API simulator in the foreground."""

from __future__ import annotations

import logging
import threading

import click

from ..errors import ConfigError
from ..sandbox import SandboxServer
from ..sandbox.chat import CHAT_PATH
from ..sandbox.settings import account_settings, with_overrides
from .context import CliEnv, pass_env


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [sandbox] host).")
@click.option("--port", type=int, default=None, help="Port, 0 = any (default: [sandbox] port).")
@click.option(
    "--callback-url",
    default=None,
    help="Where to POST completion events (default: [sandbox] callback_url).",
)
@pass_env
def sandbox(env: CliEnv, host: str | None, port: int | None, callback_url: str | None) -> None:
    """Run the WeChat API sandbox until interrupted; point [wechat] api_base_url at it."""
    try:
        settings = account_settings(env.settings.sandbox, env.settings.wechat)
        if callback_url is not None:
            settings = with_overrides(settings, callback_url=callback_url)
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None
    logging.getLogger("wxbot.sandbox").setLevel(logging.INFO)
    server = SandboxServer(
        settings,
        host=host or settings.host,
        port=settings.port if port is None else port,
    )
    try:
        server.start()
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from None
    click.echo(f"WeChat API sandbox on {server.base_url}")
    click.echo(f"  appid {settings.appid}, events: {settings.callback_url or 'not delivered'}")
    click.echo(f"  state {server.base_url}/sandbox/state, log {server.base_url}/sandbox/log")
    if settings.callback_url:
        click.echo(f"  chat as a follower: {server.base_url}{CHAT_PATH}")
    click.echo(f'  set [wechat] api_base_url = "{server.base_url}"; Ctrl-C stops')
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()


COMMANDS = [sandbox]
