"""The demo command: everything wxbot does, on embedded defaults, without a WeChat account."""

from __future__ import annotations

from pathlib import Path

import click

from ..archive import list_issues
from ..demo import ingest_samples, publish_to_sandbox, schedule_demo_send, start_demo
from ..errors import WxbotError
from ..runtime import default_instance_path
from .context import CliEnv
from .service import serve_app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=int, default=8000, show_default=True, help="Port to serve on.")
@click.option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the demo keeps its database (default: the instance folder's demo/).",
)
@click.option("--no-serve", is_flag=True, help="Prepare everything, print it, then stop.")
def demo(host: str, port: int, folder: Path | None, no_serve: bool) -> None:
    """Run wxbot with the WeChat sandbox and the sample issues (a demo database of its own)."""
    # The default instance folder, found without creating (or migrating) the real database.
    folder = folder or default_instance_path() / "demo"
    prepared = start_demo(folder, host, port)
    env = CliEnv(test_config=prepared.test_config)
    runtime = env.runtime
    click.echo(f"demo database: {folder / 'demo.sqlite3'} (new each run)")
    click.echo(f"WeChat sandbox: {prepared.sandbox.base_url} (request log: /sandbox/log)")
    for result in ingest_samples(runtime):
        click.echo(result.describe())
    rows = list_issues(runtime)
    latest, earliest = rows[0].id, rows[-1].id
    click.echo(f"publishing {earliest} to the sandbox:")
    try:
        record = publish_to_sandbox(
            runtime, earliest, progress=lambda step: click.echo(f"  {step.step}: {step.detail}")
        )
        click.echo(f"  {record.summary}")
        if record.article_url:
            click.echo(f"  article: {record.article_url}")
    except WxbotError as exc:  # the demo goes on: the archive and the callback still work
        click.echo(f"  publishing failed: {exc}", err=True)
    try:
        job = schedule_demo_send(runtime, latest)
        local = job.send_at.astimezone(runtime.tz).strftime("%H:%M")
        click.echo(f"scheduled a mass send of {latest} at {local} (job {job.id}; `wxbot jobs`)")
    except WxbotError as exc:
        click.echo(f"scheduling failed: {exc}", err=True)
    click.echo("")
    click.echo(f"archive page:  {prepared.base_url}/issues/{latest}")
    click.echo(f"phone preview: {prepared.base_url}/issues/{latest}/preview")
    click.echo(f"follower callback: {prepared.base_url}/wechat")
    env.close()  # the server's workers open their own connections after the fork
    if no_serve:
        prepared.sandbox.stop()
        return
    serve_app(env, host, port)
    prepared.sandbox.stop()


COMMANDS = [demo]
