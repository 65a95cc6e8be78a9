"""Commands over archive search and follower replies: search, keywords, queries."""

from __future__ import annotations

import datetime as dt

import click

from .. import get_runtime
from ..callback import keyword_rules
from ..search import indexing
from ..search.archive_search import ArchiveSearch, describe
from ..storage import followers
from .context import CliEnv, pass_env


@click.command()
@click.argument("query", required=False)
@click.option("--reindex", is_flag=True, help="Rebuild the search index from the archive first.")
@pass_env
def search(env: CliEnv, query: str | None, reindex: bool) -> None:
    """Search the archive as a follower would, printing the ranking they get."""
    runtime = get_runtime(env.app)
    if reindex:
        click.echo(f"indexed {indexing.rebuild(runtime)} issues")
    if query:
        for line in describe(ArchiveSearch(runtime).search(query)):
            click.echo(line)
    elif not reindex:
        raise click.UsageError("give a QUERY (or --reindex)")


@click.group()
def keywords() -> None:
    """Editors' keyword rules: replies for keywords, tried before search."""


@keywords.command("list")
@pass_env
def keywords_list(env: CliEnv) -> None:
    """List the keyword rules, in the order they are tried within each match kind."""
    rules = keyword_rules.list_rules(get_runtime(env.app))
    if not rules:
        click.echo("no keyword rules: add one with `wxbot keywords add KEYWORD REPLY`")
    for rule in rules:
        reply = rule.reply.replace("\n", " ")
        click.echo(f"{rule.id:>4}  {rule.match:<8}  {rule.keyword}  →  {reply}")


@keywords.command("add")
@click.argument("keyword")
@click.argument("reply")
@click.option(
    "--contains", is_flag=True, help="Match messages containing KEYWORD (not only equal)."
)
@pass_env
def keywords_add(env: CliEnv, keyword: str, reply: str, contains: bool) -> None:
    """Reply REPLY to followers who send KEYWORD."""
    match = "contains" if contains else "exact"
    try:
        rule_id = keyword_rules.add_rule(get_runtime(env.app), keyword, reply, match)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added rule {rule_id}: {match} {keyword!r}")


@keywords.command("remove")
@click.argument("rule_id", type=int)
@pass_env
def keywords_remove(env: CliEnv, rule_id: int) -> None:
    """Remove the keyword rule RULE_ID."""
    if not keyword_rules.remove_rule(get_runtime(env.app), rule_id):
        raise click.ClickException(f"no keyword rule {rule_id}")
    click.echo(f"removed rule {rule_id}")


@click.command()
@click.option("--limit", type=int, default=30, show_default=True, help="Messages to show.")
@click.option("--missed", is_flag=True, help="Only searches that found nothing.")
@click.option("--top", "top_days", type=int, default=None, help="Most asked in the last N days.")
@pass_env
def queries(env: CliEnv, limit: int, missed: bool, top_days: int | None) -> None:
    """Show what followers asked and how they were answered (newest first)."""
    runtime = get_runtime(env.app)
    with runtime.db.begin() as conn:
        if top_days is not None:
            since = runtime.now() - dt.timedelta(days=top_days)
            for query, asked, nothing in followers.top_queries(conn, since, limit):
                click.echo(f"{asked:>5}  {nothing:>5} found nothing  {query}")
            return
        rows = followers.recent_messages(conn, limit, missed_only=missed)
    for row in rows:
        when = row.received_at.astimezone(runtime.tz).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{when}  {row.handler:<8} {row.answer:<7}  {row.query}")


COMMANDS = [search, keywords, queries]
