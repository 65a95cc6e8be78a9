"""The demo command: everything wxbot does, on embedded defaults, without a WeChat account."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from .. import create_app, get_runtime
from ..archive import list_issues
from ..demo import ingest_samples, start_demo
from ..server import run_server


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
    folder = folder or Path(Flask("wxbot").instance_path) / "demo"
    prepared = start_demo(folder, host, port)
    app = create_app(prepared.test_config)
    runtime = get_runtime(app)
    click.echo(f"demo database: {folder / 'demo.sqlite3'}")
    click.echo(f"WeChat sandbox: {prepared.sandbox.base_url} (request log: /sandbox/log)")
    for result in ingest_samples(runtime):
        click.echo(result.describe())
    latest = list_issues(runtime, limit=1)[0].id
    click.echo("")
    click.echo(f"archive page:  {prepared.base_url}/issues/{latest}")
    click.echo(f"phone preview: {prepared.base_url}/issues/{latest}/preview")
    click.echo(f"follower callback: {prepared.base_url}/wechat")
    if no_serve:
        prepared.sandbox.stop()
        return
    run_server(lambda: create_app(prepared.test_config), host, port)
    prepared.sandbox.stop()


COMMANDS = [demo]
