"""Commands for scheduled mass sends: schedule, jobs, cancel, reschedule, and the worker."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from types import FrameType

import click
from flask import Flask

from ..callback.late_sender import LateSender, any_can_send, deliver_due, sender_name
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import WxbotError
from ..local_time import local_time
from ..runtime import Runtime, get_runtime
from ..scheduling import (
    STEPS,
    Checkpoint,
    Job,
    JobState,
    StepReport,
    cancel_job,
    get_job,
    job_history,
    list_jobs,
    parse_send_time,
    reschedule_job,
    run_due_jobs,
    run_worker,
    schedule_send,
    seconds_until_next,
    start_worker_thread,
    worker_name,
)
from ..wechat import WeChatApi
from .context import CliEnv, pass_env
from .publish import all_accounts_option, check_all_accounts

#: Test-only: the step of a send at which ``wxbot worker`` kills itself with SIGKILL.
CRASH_ENV = "WXBOT_TEST_CRASH_AT"

at_option = click.option(
    "--at",
    "at_text",
    required=True,
    metavar="TIME",
    help='When to send: "YYYY-MM-DD HH:MM" in [publish] timezone, or ISO 8601 with an offset.',
)


def _send_time(runtime: Runtime, text: str) -> dt.datetime:
    try:
        return parse_send_time(text, runtime.tz)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None


def _when(runtime: Runtime, moment: dt.datetime) -> str:
    return local_time(moment, runtime.tz)


@click.command()
@click.argument("issue_id")
@at_option
@click.option("--tag", "tag_id", type=int, default=None, help="Send to this follower tag only.")
@all_accounts_option
@pass_env
def schedule(
    env: CliEnv, issue_id: str, at_text: str, tag_id: int | None, all_accounts: bool
) -> None:
    """Schedule a mass send of an archived issue to every follower (or a tag).

    With --all-accounts each configured account gets a job of its own (its quota, its
    clientmsgid); a line says how each went, and one account refused leaves the others.
    """
    check_all_accounts(env, all_accounts)
    if all_accounts:
        _schedule_everywhere(env, issue_id, at_text, tag_id)
        return
    runtime = env.runtime
    try:
        job = schedule_send(runtime, issue_id, _send_time(runtime, at_text), tag_id=tag_id)
    except WxbotError as exc:
        raise click.ClickException(f"not scheduled: {exc}") from None
    click.echo(
        f"scheduled job {job.id}: issue {job.issue_id} to {job.audience} "
        f"at {_when(runtime, job.send_at)}"
    )


def _schedule_everywhere(env: CliEnv, issue_id: str, at_text: str, tag_id: int | None) -> None:
    runtime = env.runtime
    send_at = _send_time(runtime, at_text)
    refused = 0
    for account in runtime.accounts():
        name = account.account
        try:
            job = schedule_send(account, issue_id, send_at, tag_id=tag_id)
        except WxbotError as exc:
            refused += 1
            click.echo(f"{name}: not scheduled: {exc}", err=True)
            continue
        click.echo(
            f"{name}: scheduled job {job.id}: issue {job.issue_id} to {job.audience} "
            f"at {_when(runtime, job.send_at)}"
        )
    if refused:
        raise SystemExit(1)


@click.command("jobs")
@click.argument("job_id", type=int, required=False)
@click.option("--limit", type=int, default=50, show_default=True, help="Past jobs to show.")
@pass_env
def jobs_command(env: CliEnv, job_id: int | None, limit: int) -> None:
    """List upcoming and past scheduled sends, or show one job and its history."""
    runtime = env.runtime
    if job_id is not None:
        try:
            job, history = get_job(runtime, job_id), job_history(runtime, job_id)
        except WxbotError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(job.describe(runtime.tz, with_account=len(env.settings.account_names()) > 1))
        click.echo(f"  clientmsgid {job.clientmsgid}, attempts {job.attempts}")
        for entry in history:
            by = f" [{entry.worker}]" if entry.worker else ""
            click.echo(f"  {_when(runtime, entry.at)}  {entry.event}{by}  {entry.detail}")
        return
    # `wxbot --account NAME jobs` lists that account's; without --account, every account's.
    account = None if env.account == DEFAULT_ACCOUNT else env.account
    upcoming = list_jobs(runtime, states=JobState.where(lambda s: s.is_live), account=account)
    live = {j.id for j in upcoming}
    earlier = list_jobs(runtime, limit=limit + len(live), account=account)
    past = [j for j in earlier if j.id not in live]
    if not upcoming and not past:
        click.echo("no jobs: schedule one with `wxbot schedule ISSUE_ID --at TIME`")
        return
    several = len(env.settings.account_names()) > 1
    _print_jobs(runtime, "upcoming", list(reversed(upcoming)), several)
    _print_jobs(runtime, "past", past[:limit], several)


def _print_jobs(runtime: Runtime, title: str, jobs: list[Job], with_account: bool) -> None:
    click.echo(f"{title}:" if jobs else f"{title}: none")
    for job in jobs:
        click.echo("  " + job.describe(runtime.tz, with_account=with_account))


@click.command()
@click.argument("job_id", type=int)
@pass_env
def cancel(env: CliEnv, job_id: int) -> None:
    """Cancel a scheduled send that has not started."""
    runtime = env.runtime
    try:
        job = cancel_job(runtime, job_id)
    except WxbotError as exc:
        raise click.ClickException(f"not cancelled: {exc}") from None
    click.echo(f"cancelled job {job.id} (issue {job.issue_id}, {_when(runtime, job.send_at)})")


@click.command()
@click.argument("job_id", type=int)
@at_option
@pass_env
def reschedule(env: CliEnv, job_id: int, at_text: str) -> None:
    """Move a scheduled, missed or failed send to another time."""
    runtime = env.runtime
    try:
        job = reschedule_job(runtime, job_id, _send_time(runtime, at_text))
    except WxbotError as exc:
        raise click.ClickException(f"not rescheduled: {exc}") from None
    click.echo(f"rescheduled job {job.id}: issue {job.issue_id} at {_when(runtime, job.send_at)}")


@click.command()
@click.option("--once", is_flag=True, help="Do what is due now, then exit.")
@pass_env
def worker(env: CliEnv, once: bool) -> None:
    """Run scheduled sends: prepare them ahead, send each once on time, record the outcome.

    Also sends followers the answers that were late for the callback (customer-service
    messages). Runs until SIGTERM or Ctrl-C. Several workers may share one database.
    """
    runtime = env.runtime
    name = worker_name()
    checkpoint = crash_checkpoint(os.environ.get(CRASH_ENV, ""))

    def report(item: StepReport) -> None:
        click.echo(f"job {item.job_id} ({item.issue_id}): {item.action}  {item.detail}".rstrip())

    if once:
        done = run_due_jobs(runtime, worker=name, checkpoint=checkpoint)
        for item in done:
            report(item)
        if any_can_send(runtime):
            late = deliver_due(runtime, WeChatApi(runtime), sender=sender_name())
            for outcome in late:
                click.echo(f"late answer: {outcome.state}  {outcome.reason}".rstrip())
        click.echo(once_summary(runtime, len(done)))
        return
    stop_event = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stop_event.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"worker {name} running; SIGTERM or Ctrl-C stops", err=True)
    late_sender = LateSender(runtime) if any_can_send(runtime) else None
    if late_sender is not None:
        late_sender.wake()
    try:
        run_worker(
            runtime, stop_event=stop_event, worker=name, checkpoint=checkpoint, on_report=report
        )
    finally:
        if late_sender is not None:
            late_sender.stop()


def once_summary(runtime: Runtime, steps: int) -> str:
    """Return the last line of ``worker --once``: what it did, and when something is next due."""
    until = seconds_until_next(runtime)
    after = (
        "no job is waiting"
        if until is None
        else f"next due {_when(runtime, runtime.now() + dt.timedelta(seconds=until))}"
    )
    done = f"did {steps} step{'s' if steps != 1 else ''}" if steps else "nothing due"
    return f"{done}; {after}"


def crash_checkpoint(step: str) -> Checkpoint | None:
    """Return a checkpoint that kills this process with SIGKILL at ``step`` (tests only)."""
    if not step:
        return None
    if step not in STEPS or step == "during_call":
        raise click.ClickException(
            f"{CRASH_ENV}={step!r}: expected before_claim, after_claim or after_call "
            "(tests kill a worker during the call from outside)"
        )

    def checkpoint(name: str) -> None:
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)

    return checkpoint


def run_in_process(app: Flask) -> None:
    """Start the scheduler in this server process when ``[schedule] in_process`` is true."""
    start_in_process(app)


def start_in_process(app: Flask) -> threading.Event | None:
    """Start the scheduler thread as configured; return the event that stops it, if started."""
    runtime = get_runtime(app)
    if not runtime.settings.schedule.in_process:
        return None
    _thread, stop_event = start_worker_thread(runtime)
    return stop_event


COMMANDS = [schedule, jobs_command, cancel, reschedule, worker]
