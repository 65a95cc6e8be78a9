"""The demo command: everything wxbot does, on embedded defaults, without a WeChat account."""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..archive import list_issues
from ..demo import (
    Demo,
    add_demo_editor,
    history_lengths,
    ingest_samples,
    publish_to_sandbox,
    push_demo_menu,
    schedule_demo_send,
    start_demo,
    start_following,
)
from ..errors import WxbotError
from ..local_time import local_time
from ..runtime import Runtime, default_instance_path, get_runtime
from .context import CliEnv
from .service import serve_app

if TYPE_CHECKING:
    from flask import Flask


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to serve on.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the demo keeps its database and demo.toml (default: the instance folder's demo/).",
)
@click.option(
    "--no-serve", is_flag=True, help="Ingest and publish to the sandbox, print it, then stop."
)
def demo(host: str, port: int, folder: Path | None, no_serve: bool) -> None:
    """Run wxbot with the WeChat sandbox and the sample issues (a demo database of its own).

    The demo writes its configuration to demo.toml beside its database: any command given
    `--config` that file (printed at the start) sees the demo's issues and jobs.
    """
    # The default instance folder, found without creating (or migrating) the real database.
    folder = folder or default_instance_path() / "demo"
    try:
        prepared = start_demo(folder, host, port)
    except WxbotError as exc:
        raise click.ClickException(str(exc)) from None
    env = CliEnv(config_path=str(prepared.config_path), test_config=prepared.app_config)
    runtime = env.runtime
    wxbot = f"wxbot --config {shlex.quote(str(prepared.config_path))}"
    click.echo(f"demo database: {folder / 'demo.sqlite3'} (new each run)")
    click.echo(f"see it from another terminal: `{wxbot} issues` (or jobs, status ISSUE_ID, …)")
    if not no_serve:
        click.echo(f"WeChat sandbox: {prepared.sandbox.base_url} (request log: /sandbox/log)")
    for result in ingest_samples(runtime):
        click.echo(result.describe())
    rows = list_issues(runtime)
    latest, earliest = rows[0].id, rows[-1].id
    _publish(runtime, earliest, show_url=not no_serve)
    if no_serve:
        click.echo("--no-serve: nothing is served and no send is scheduled; the sandbox stops now")
        prepared.sandbox.stop()
        env.close()
        return
    try:
        job = schedule_demo_send(runtime, latest)
        click.echo(
            f"scheduled a mass send of {latest} at {local_time(job.send_at, runtime.tz)} "
            f"(job {job.id}): its steps show here as they happen; `{wxbot} jobs` lists it"
        )
    except WxbotError as exc:
        click.echo(f"scheduling failed: {exc}", err=True)
    try:
        push_demo_menu(runtime)
        click.echo(f"menu pushed to the sandbox ([menu]; `{wxbot} menu show` lists it)")
    except WxbotError as exc:
        click.echo(f"menu push failed: {exc}", err=True)
    name, password = add_demo_editor(runtime)
    click.echo("")
    click.echo(f"editor console: {prepared.base_url}/console/ (name {name}, password {password})")
    click.echo(f"archive index: {prepared.base_url}/issues")
    click.echo(f"archive page:  {prepared.base_url}/issues/{latest}")
    click.echo(f"phone preview: {prepared.base_url}/issues/{latest}/preview")
    click.echo(f"follower callback: {prepared.base_url}/wechat")
    click.echo(f"chat simulator: {prepared.sandbox.chat_url} (chat as a follower)")
    _serve(prepared, env, host, port)


def _publish(runtime: Runtime, issue_id: str, *, show_url: bool) -> None:
    click.echo(f"publishing {issue_id} to the sandbox:")
    try:
        record = publish_to_sandbox(
            runtime, issue_id, progress=lambda step: click.echo(f"  {step.step}: {step.detail}")
        )
        click.echo(f"  {record.summary}")
        if record.article_url and show_url:
            click.echo(f"  article: {record.article_url}")
    except WxbotError as exc:  # the demo goes on: the archive and the callback still work
        click.echo(f"  publishing failed: {exc}", err=True)


def _serve(prepared: Demo, env: CliEnv, host: str, port: int) -> None:
    """Serve the demo app; each worker runs the scheduler and prints the jobs' new steps."""
    seen = history_lengths(env.runtime)  # what was printed already
    env.close()  # the workers open their own connections after the fork
    parent = os.getpid()

    def follow(app: Flask) -> None:
        start_following(get_runtime(app), click.echo, dict(seen))

    try:
        serve_app(env, host, port, on_worker_start=follow)
    finally:  # a worker leaves through here too, but the sandbox runs in this process only
        if os.getpid() == parent:
            prepared.sandbox.stop()


COMMANDS = [demo]
