"""Commands that run the service: serve and config."""

from __future__ import annotations

import json
from collections.abc import Callable

import click
from flask import Flask

from .. import config as config_module
from .. import config_overrides, create_app, get_runtime
from ..errors import ConfigError
from ..server import run_server
from .context import CliEnv, pass_env
from .schedule import run_in_process


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port (default: [server] port).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@pass_env
def serve(env: CliEnv, host: str | None, port: int | None, workers: int) -> None:
    """Run the web service (follower callback, archive pages) with gunicorn."""
    runtime = get_runtime(env.app)  # validates the configuration before any fork
    server = runtime.config["server"]
    serve_app(
        lambda: create_app(env.test_config, config_path=env.config_path),
        host or server["host"],
        port or server["port"],
        workers=workers,
    )


def serve_app(factory: Callable[[], Flask], host: str, port: int, *, workers: int = 1) -> None:
    """Serve the app under gunicorn, each worker running the scheduler if configured to."""
    run_server(factory, host, port, workers=workers, on_worker_start=run_in_process)


@click.command("config")
@click.option("--example", is_flag=True, help="Print a file documenting every key instead.")
@pass_env
def config_command(env: CliEnv, example: bool) -> None:
    """Print the configuration in effect, secrets masked."""
    if example:
        click.echo(config_module.example_toml(), nl=False)
        return
    try:
        cfg = config_module.load(env.config_path, overrides=config_overrides(env.test_config))
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None
    click.echo(json.dumps(config_module.public_view(cfg), ensure_ascii=False, indent=2))


COMMANDS = [serve, config_command]
