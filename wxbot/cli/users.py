"""Commands over editor accounts: user add, user passwd, user list, user remove."""

from __future__ import annotations

import click

from .. import editors
from ..editors import AccountError
from ..local_time import local_time
from .context import CliEnv, pass_env

_PASSWORD_STDIN = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)


@click.group("user")
def user() -> None:
    """Manage the accounts that sign in to the editor console."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([role.value for role in editors.Role]),
    default=editors.Role.EDITOR.value,
    show_default=True,
    help="An admin also manages users and keyword rules.",
)
@_PASSWORD_STDIN
@pass_env
def add(env: CliEnv, name: str, role: str, password_stdin: bool) -> None:
    """Add an account NAME; its password is prompted for (twice) unless --password-stdin."""
    try:
        editors.check_name(name)
        password = _password(password_stdin)
        editors.add_editor(env.runtime, name, role, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added {name} ({role}): sign in at {_console_url(env)}")


@user.command("passwd")
@click.argument("name")
@_PASSWORD_STDIN
@pass_env
def passwd(env: CliEnv, name: str, password_stdin: bool) -> None:
    """Set the password of account NAME; its console sessions end."""
    try:
        password = _password(password_stdin)
        editors.change_password(env.runtime, name, password)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"changed the password of {name}; their sessions have ended")


@user.command("list")
@pass_env
def list_command(env: CliEnv) -> None:
    """List the accounts: name, role, when added, last sign-in."""
    runtime = env.runtime
    accounts = editors.list_accounts(runtime)
    if not accounts:
        click.echo("no accounts yet: wxbot user add NAME --role admin")
    for account in accounts:
        last = local_time(account.last_sign_in_at, runtime.tz) if account.last_sign_in_at else None
        click.echo(
            f"{account.name}\t{account.role}\tadded {local_time(account.created_at, runtime.tz)}"
            f"\tlast sign-in {last or 'never'}"
        )


@user.command("remove")
@click.argument("name")
@pass_env
def remove(env: CliEnv, name: str) -> None:
    """Remove account NAME (its sessions end); the last admin cannot be removed."""
    try:
        editors.remove_editor(env.runtime, name)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {name}")


def _password(from_stdin: bool) -> str:
    """Return a checked password from standard input's first line, or prompted for twice."""
    if from_stdin:
        line = click.get_text_stream("stdin").readline()
        return editors.check_password(line.rstrip("\r\n"))
    password: str = click.prompt(
        "Password", hide_input=True, confirmation_prompt=True, value_proc=_checked
    )
    return password


def _checked(value: str) -> str:
    try:
        return editors.check_password(value)
    except AccountError as exc:
        raise click.UsageError(str(exc)) from None


def _console_url(env: CliEnv) -> str:
    return f"{env.settings.server.base_url}/console/sign-in"


COMMANDS = [user]
