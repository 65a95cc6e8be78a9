"""Commands that take issues to WeChat: publish, status, sync."""

from __future__ import annotations

import datetime as dt
import shlex
import threading

import click

from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import WxbotError
from ..local_time import local_time
from ..publishing import (
    MODES,
    issue_status,
    publish_issue,
    reconcile_mass_sends,
    sync_article_urls,
)
from ..publishing.accounts import publish_to_accounts
from ..runtime import Runtime
from ..storage.publish_runs import StepRow
from ..wechat import WeChatError
from ..wechat.errors import MASS_SEND_QUOTA
from .context import CliEnv, pass_env
from .rerun import command_line

#: ``--all-accounts``: the command acts for every configured account, each on its own.
all_accounts_option = click.option(
    "--all-accounts",
    is_flag=True,
    help="Act for every configured account ([wechat] and each [accounts.<name>]) at once.",
)


def check_all_accounts(env: CliEnv, all_accounts: bool) -> None:
    """Refuse ``--account NAME`` together with ``--all-accounts``."""
    if all_accounts and env.account != DEFAULT_ACCOUNT:
        raise click.UsageError("give --account NAME or --all-accounts, not both")


@click.command()
@click.argument("issue_id")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="draft",
    show_default=True,
    help="draft: prepare the draft only; publish: publish without a push and wait for the "
    "article URL; mass: push to followers.",
)
@click.option("--tag", "tag_id", type=int, default=None, help="Mass-send to this tag id only.")
@click.option("--preview-to", metavar="OPENID", default=None, help="Preview on this follower.")
@click.option("--preview-wxname", metavar="NAME", default=None, help="Preview on this WeChat ID.")
@all_accounts_option
@pass_env
def publish(
    env: CliEnv,
    issue_id: str,
    mode: str,
    tag_id: int | None,
    preview_to: str | None,
    preview_wxname: str | None,
    all_accounts: bool,
) -> None:
    """Take an issue to WeChat: render, lint, upload, draft, then publish or mass-send it.

    Prints a line per step. When a step fails, WeChat's error is explained; run the same
    command again to resume where it stopped (nothing done before is repeated). With
    --all-accounts every configured account gets the issue at once, and a line says how
    each ended; a failed account is resumed alone with `wxbot --account NAME publish …`.
    """
    if preview_to and preview_wxname:
        raise click.UsageError("give --preview-to or --preview-wxname, not both")
    if tag_id is not None and mode != "mass":
        raise click.UsageError("--tag only applies to --mode mass")
    check_all_accounts(env, all_accounts)
    if all_accounts:
        if preview_to:
            raise click.UsageError(
                "--preview-to names a follower of one account: with --all-accounts give "
                "--preview-wxname (a WeChat ID), or preview with --account NAME"
            )
        _publish_everywhere(env, issue_id, mode, tag_id, preview_wxname)
        return
    runtime = env.runtime
    failed_step: list[StepRow] = []

    def show(step: StepRow) -> None:
        if step.status == "failed":
            failed_step.append(step)
        click.echo(f"{step.step:<8} {step.status:<8} {step.detail}", err=step.status == "failed")

    try:
        record = publish_issue(
            runtime, issue_id, mode, tag_id=tag_id, preview_to=preview_to,
            preview_wxname=preview_wxname, progress=show,
        )  # fmt: skip
    except WxbotError as exc:
        if not failed_step:
            click.echo(f"error: {exc}", err=True)
        if failed_step or mode != "draft":
            tag = "" if tag_id is None else f" --tag {tag_id}"
            command = command_line(click.get_current_context())
            hint = resume_hint(runtime, exc, command, f"wxbot schedule {issue_id}{tag}")
            click.echo(f"{hint}; `wxbot status {issue_id}` shows the history", err=True)
        raise SystemExit(1) from None
    click.echo(f"{record.status}: {record.summary}")


def _publish_everywhere(
    env: CliEnv, issue_id: str, mode: str, tag_id: int | None, preview_wxname: str | None
) -> None:
    """Publish to every configured account at once; a line per step and one per account."""
    names = env.settings.account_names()
    width = max(len(n) for n in names)
    lock = threading.Lock()

    def show(account: str, step: StepRow) -> None:
        with lock:
            click.echo(
                f"{account:<{width}}  {step.step:<8} {step.status:<8} {step.detail}",
                err=step.status == "failed",
            )

    try:
        outcomes = publish_to_accounts(
            env.runtime, issue_id, mode, names, tag_id=tag_id, preview_wxname=preview_wxname,
            progress=show,
        )  # fmt: skip
    except WxbotError as exc:
        raise click.ClickException(str(exc)) from None
    command = command_line(click.get_current_context())
    tag = "" if tag_id is None else f" --tag {tag_id}"
    for outcome in outcomes:
        name = outcome.account
        if outcome.record is not None:
            record = outcome.record
            click.echo(f"{name:<{width}}  {record.status}: {record.summary}")
            continue
        error = outcome.error
        if not isinstance(error, WxbotError):
            error = WxbotError(f"unexpected {type(error).__name__}: {error}")
        alone = for_one_account(command, name)
        hint = resume_hint(
            env.runtime.for_account(name), error, alone,
            f"wxbot --account {name} schedule {issue_id}{tag}",
        )  # fmt: skip
        click.echo(f"{name:<{width}}  failed: {error}; {hint}", err=True)
    failed = [o.account for o in outcomes if not o.ok]
    if failed:
        click.echo(
            f"{len(failed)} of {len(outcomes)} accounts failed ({', '.join(failed)}); "
            "the others are done and are not repeated by a re-run",
            err=True,
        )
        raise SystemExit(1)


def for_one_account(command: str, account: str) -> str:
    """Return an ``--all-accounts`` command line as the same command for ``account`` alone."""
    words = shlex.split(command)
    alone: list[str] = []
    skip = False
    for word in words[1:]:
        if skip:
            skip = False
        elif word == "--account":
            skip = True
        elif word != "--all-accounts" and not word.startswith("--account="):
            alone.append(word)
    return shlex.join([words[0], "--account", account, *alone])


def resume_hint(runtime: Runtime, error: WxbotError, command: str, schedule: str) -> str:
    """Return when and how to run a failed ``command`` again so that it can succeed.

    :param schedule: the ``wxbot schedule …`` words that would send the same issue later.
    """
    if isinstance(error, WeChatError) and error.errcode == MASS_SEND_QUOTA:
        now = runtime.now().astimezone(runtime.tz)
        tomorrow = now.date() + dt.timedelta(days=1)
        midnight = dt.datetime.combine(tomorrow, dt.time(), runtime.tz)
        same_time = f"{tomorrow.isoformat()} {now:%H:%M}"
        return (
            "today's mass-send quota is used up, so running it again cannot succeed before "
            f"{local_time(midnight, runtime.tz)}: run `{command}` then, or schedule it: "
            f"`{schedule} --at '{same_time}'`"
        )
    return f"run `{command}` again to resume"


@click.command()
@click.argument("issue_id")
@click.option("--runs", type=int, default=10, show_default=True, help="Show this many runs.")
@all_accounts_option
@pass_env
def status(env: CliEnv, issue_id: str, runs: int, all_accounts: bool) -> None:
    """Show where an issue stands on WeChat, and the history of its publishing runs.

    For the --account given (default: [wechat]); --all-accounts shows each account in turn.
    """
    check_all_accounts(env, all_accounts)
    if not all_accounts:
        _status(env.runtime, issue_id, runs)
        return
    for n, runtime in enumerate(env.runtime.accounts()):
        if n:
            click.echo()
        click.echo(f"account {runtime.account}:")
        _status(runtime, issue_id, runs)


def _status(runtime: Runtime, issue_id: str, runs: int) -> None:
    tz = runtime.tz
    try:
        state = issue_status(runtime, issue_id, runs)
    except WxbotError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{issue_id}  article: {state.article_url or 'no article URL yet'}")
    if state.draft is not None:
        d = state.draft
        when = local_time(d.updated_at, tz)
        click.echo(f"draft    {d.state}, version {d.version}, {d.media_id} ({when})")
    for job in state.publish_jobs:
        result = "result unknown" if job.status is None else f"status {job.status}"
        when = local_time(job.submitted_at, tz)
        click.echo(f"publish  {job.publish_id}: {result} {job.article_url} ({when})")
    for send in state.mass_sends:
        counts = (
            f", sent {send.sent_count} of {send.total_count}, {send.error_count} errors"
            if send.total_count is not None
            else ""
        )
        click.echo(
            f"mass     {send.audience} msg_id {send.msg_id or '-'}: {send.status}{counts} "
            f"({send.clientmsgid}, {local_time(send.created_at, tz)})"
        )
    if not state.runs:
        account = "" if runtime.account == DEFAULT_ACCOUNT else f" --account {runtime.account}"
        click.echo(f"no publishing runs yet: try `wxbot{account} publish {issue_id}`")
    for run in state.runs:
        when = local_time(run.started_at, tz)
        click.echo(f"run {run.id}  {run.mode}  {run.status}  {when}  {run.summary}")
        for step in run.steps:
            click.echo(f"  {step.step:<8} {step.status:<8} {step.detail}")


@click.command()
@all_accounts_option
@pass_env
def sync(env: CliEnv, all_accounts: bool) -> None:
    """Learn from WeChat how unfinished mass sends went, and fill in published article URLs.

    With --all-accounts, for each account in turn (a line each; one failing leaves the others).
    """
    check_all_accounts(env, all_accounts)
    runtimes = env.runtime.accounts() if all_accounts else [env.runtime]
    failed = False
    for runtime in runtimes:
        named = f"{runtime.account}: " if all_accounts else ""
        try:
            ended = reconcile_mass_sends(runtime)
            changed = sync_article_urls(runtime)
        except WxbotError as exc:
            if not all_accounts:
                raise click.ClickException(str(exc)) from None
            click.echo(f"{named}error: {exc}", err=True)
            failed = True
            continue
        click.echo(f"{named}{ended} mass sends finished; {changed} article URLs added or changed")
    if failed:
        raise SystemExit(1)


COMMANDS = [publish, status, sync]
