"""Commands that run the service: serve and config."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from .. import config as config_module
from .context import CliEnv, pass_env
from .schedule import run_in_process

if TYPE_CHECKING:
    from flask import Flask


@click.command()
@click.option("--host", default=None, help="Address to listen on (default: [server] host).")
@click.option("--port", type=int, default=None, help="Port (default: [server] port).")
@click.option("--workers", type=int, default=1, show_default=True, help="Worker processes.")
@pass_env
def serve(env: CliEnv, host: str | None, port: int | None, workers: int) -> None:
    """Run the web service (follower callback, archive pages) with gunicorn."""
    if not env.settings.server.secret_key.get_secret_value():
        from ..app import MISSING_SECRET_KEY

        raise click.ClickException(f"invalid configuration: {MISSING_SECRET_KEY}")
    env.runtime.close()  # the settings and the database checked before any fork, nothing open
    server = env.settings.server
    serve_app(env, host or server.host, port or server.port, workers=workers)


def serve_app(
    env: CliEnv,
    host: str,
    port: int,
    *,
    workers: int = 1,
    on_worker_start: Callable[[Flask], None] | None = None,
) -> None:
    """Serve the app under gunicorn, each worker running the scheduler if configured to.

    Each worker builds its own runtime and app after the fork: the callback's jieba-loading
    thread and every connection start there, never in the master (a lock held by a thread
    at the fork would stay held in the worker for ever). ``on_worker_start`` runs in each
    worker after the scheduler has started.
    """
    from ..server import run_server  # gunicorn only in the process that serves

    def factory() -> Flask:
        from ..app import create_app  # the web parts (and jieba) only in a serving worker

        return create_app(env.new_runtime())

    def start_worker(app: Flask) -> None:
        run_in_process(app)
        if on_worker_start is not None:
            on_worker_start(app)

    run_server(factory, host, port, workers=workers, on_worker_start=start_worker)


@click.command("config")
@click.option("--example", is_flag=True, help="Print a file documenting every key instead.")
@pass_env
def config_command(env: CliEnv, example: bool) -> None:
    """Print the configuration in effect, secrets masked (the database URL's password only)."""
    if example:
        click.echo(config_module.example_toml(), nl=False)
        return
    click.echo(json.dumps(config_module.public_view(env.settings), ensure_ascii=False, indent=2))


COMMANDS = [serve, config_command]
