"""Commands over the database schema: db upgrade, db current, db history, db revision."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask

from .. import config as config_module
from ..errors import ConfigError
from ..runtime import database_url
from ..storage import Database, migrations
from .context import CliEnv, pass_env


@click.group("db")
def db() -> None:
    """Show or bring up to date the database schema (Alembic revisions)."""


@db.command("upgrade")
@pass_env
def upgrade(env: CliEnv) -> None:
    """Bring the schema to the newest revision (wxbot also does this at every start)."""
    with _database(env) as database:
        done = migrations.upgrade(database)
        click.echo(f"{_name(database)}: {done.describe()}")


@db.command("current")
@pass_env
def current(env: CliEnv) -> None:
    """Show the database's schema revision, without changing anything."""
    with _database(env) as database:
        click.echo(f"{_name(database)}: {migrations.status(database).describe()}")


@db.command("history")
@pass_env
def history(env: CliEnv) -> None:
    """List the schema revisions wxbot ships, newest first, marking the database's."""
    with _database(env) as database:
        revision = migrations.status(database).revision
    for step in migrations.history():
        marks = {"head": step.id == migrations.HEAD, "current": step.id == revision}
        label = ", ".join(m for m, on in marks.items() if on)
        label = f" ({label})" if label else ""
        title = step.message.splitlines()[0] if step.message else ""
        click.echo(f"{step.down or '<base>'} -> {step.id}{label}: {title}")


@db.command("revision")
@click.argument("message")
@pass_env
def revision(env: CliEnv, message: str) -> None:
    """Write a new revision from what the tables declare and the database lacks (developers).

    The database must be at the newest revision; review the file, then set ``HEAD`` in
    ``wxbot/storage/migrations/__init__.py`` to its id.
    """
    with _database(env) as database:
        path = migrations.make_revision(database, message)
    click.echo(f"wrote {path}: review it, then set HEAD = {path.name.split('_')[0]!r}")


@contextmanager
def _database(env: CliEnv) -> Iterator[Database]:
    """Open the configured database as it is (starting the app would upgrade it)."""
    test_config = env.test_config or {}
    overrides = {k: v for k, v in test_config.items() if k not in ("instance_path", "clock")}
    try:
        settings = config_module.load(env.config_path, overrides=overrides)
    except ConfigError as exc:
        raise click.ClickException(f"invalid configuration: {exc}") from None
    instance = test_config.get("instance_path") or Flask("wxbot").instance_path
    database = Database(database_url(settings, Path(instance)))
    try:
        yield database
    except migrations.SchemaError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        database.dispose()


def _name(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=True)


COMMANDS = [db]
