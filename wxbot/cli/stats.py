"""``wxbot stats``: what readers did with each issue, per topic, and how the followers grew."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from ..config.accounts import display_name
from ..reading_numbers import FollowerDay
from ..stats import report as stats_report
from .context import CliEnv, pass_env


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@click.command()
@click.argument("issue_id", metavar="[ISSUE]", required=False)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only sends and follower days from this date (YYYY-MM-DD) on.",
)
@click.option("--collect", is_flag=True, help="Fetch the missing days from WeChat first.")
@click.option(
    "--all-accounts",
    is_flag=True,
    help="Every configured account, a report each (instead of the one --account names).",
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw reads per issue over time as a PNG to this file (a line per account "
    "with --all-accounts).",
)
@pass_env
def stats(
    env: CliEnv,
    issue_id: str | None,
    since: dt.datetime | None,
    collect: bool,
    all_accounts: bool,
    plot_path: Path | None,
) -> None:
    """Print reads, readers, shares and favourites per issue, per topic, and follower growth."""
    runtime = env.runtime
    runtimes = runtime.accounts() if all_accounts else [runtime]
    failed = False
    if collect:
        from ..stats.collection import collect_each

        collected = collect_each(runtimes)
        for line in collected.describe():
            click.echo(line if len(runtimes) > 1 else line.partition(": ")[2])
        failed = bool(collected.failed)
    day = since.date() if since else None
    if all_accounts:
        reports = stats_report.account_reports(runtime, since=day)
    else:
        reports = [
            stats_report.AccountReport(
                runtime.account,
                display_name(env.settings.accounts, runtime.account),
                stats_report.build_report(runtime, since=day),
            )
        ]
    if issue_id is not None and not any(
        i.issue_id == issue_id for item in reports for i in item.report.issues
    ):
        raise click.ClickException(f"no statistics for issue {issue_id} (collected yet?)")
    for item in reports:
        if len(reports) > 1:
            click.echo(f"\n== {_account_heading(item)} ==")
        _print_report(item.report, issue_id)
    if plot_path is not None:
        from ..stats.chart import reads_chart

        daily = stats_report.chart_rows(reports, issue_id)
        plot_path.write_bytes(reads_chart(daily, runtime.settings))
        click.echo(f"chart written to {plot_path}")
    if failed:
        raise click.ClickException("some statistics were not collected (see above)")


def _account_heading(item: stats_report.AccountReport) -> str:
    if item.display_name == item.account:
        return item.account
    return f"{item.display_name} ({item.account})"


def _print_report(result: stats_report.StatsReport, issue_id: str | None) -> None:
    """Print one account's table (of ``issue_id`` alone when given), topics and followers."""
    issues = result.issues
    if issue_id is not None:
        issues = [i for i in issues if i.issue_id == issue_id]
    click.echo(
        f"{'issue':<12}{'sent':<12}{'reads':>8}{'readers':>9}{'from send':>11}"
        f"{'read-through':>14}{'other':>7}{'shares':>8}{'favs':>6}  title"
    )
    for i in issues:
        click.echo(
            f"{i.issue_id or '-':<12}{i.sent.isoformat():<12}{i.reads:>8}{i.readers:>9}"
            f"{i.from_send:>11}{_percent(i.read_through):>14}{i.other_readers:>7}"
            f"{i.shares:>8}{i.favourites:>6}  {i.title}"
        )
    if issue_id is not None:
        for row in result.daily:
            if row.label == issue_id:
                click.echo(f"  {row.day.isoformat()}  {row.reads} reads")
    else:
        _print_topics(result.topics)
        _print_followers(result.followers)


def _print_topics(topics: list[stats_report.TopicReads]) -> None:
    if not topics:
        return
    click.echo("\ntopics (reads by week, from Monday):")
    for t in topics:
        weeks = ", ".join(f"{w:%m-%d} {n}" for w, n in t.by_week.items())
        click.echo(f"  {t.topic}: {t.reads} reads over {t.issues} issue(s) — {weeks}")


def _print_followers(days: list[FollowerDay]) -> None:
    if not days:
        return
    new = sum(d.new_user for d in days)
    lost = sum(d.cancel_user for d in days)
    first, last = days[0], days[-1]
    start = first.cumulate_user - first.new_user + first.cancel_user
    click.echo(
        f"\nfollowers {first.ref_date} – {last.ref_date}: {start} → {last.cumulate_user} "
        f"({new - lost:+d}: {new} new, {lost} left)"
    )


COMMANDS = [stats]
