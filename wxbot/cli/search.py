"""Commands over archive search and follower replies: search, keywords, queries."""

from __future__ import annotations

import datetime as dt

import click

from ..callback import keyword_rules
from ..local_time import local_time
from ..search import indexing
from ..storage import followers
from .context import CliEnv, pass_env


@click.command()
@click.argument("query", required=False)
@click.option("--reindex", is_flag=True, help="Rebuild the search index from the archive first.")
@pass_env
def search(env: CliEnv, query: str | None, reindex: bool) -> None:
    """Search the archive as a follower would, printing the ranking they get."""
    runtime = env.runtime
    if reindex:
        click.echo(f"indexed {indexing.rebuild(runtime)} issues")
    if query:
        # Imported here: the search engine loads jieba, which no other command needs.
        from ..search.archive_search import ArchiveSearch, describe

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
    rules = keyword_rules.list_rules(env.runtime)
    if not rules:
        click.echo("no keyword rules: add one with `wxbot keywords add KEYWORD REPLY`")
    for rule in rules:
        reply = f"issue {rule.issue_id}" if rule.issue_id else rule.reply.replace("\n", " ")
        click.echo(f"{rule.id:>4}  {rule.match:<8}  {rule.keyword}  →  {reply}")


@keywords.command("add")
@click.argument("keyword")
@click.argument("reply", required=False, default="")
@click.option(
    "--contains", is_flag=True, help="Match messages containing KEYWORD (not only equal)."
)
@click.option("--issue", "issue_id", help="Answer with this issue's article card instead of REPLY.")
@pass_env
def keywords_add(
    env: CliEnv, keyword: str, reply: str, contains: bool, issue_id: str | None
) -> None:
    """Reply REPLY (or the issue given with --issue) to followers who send KEYWORD."""
    match = "contains" if contains else "exact"
    try:
        rule_id = keyword_rules.add_rule(env.runtime, keyword, reply, match, issue_id=issue_id)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"added rule {rule_id}: {match} {keyword!r}")


@keywords.command("remove")
@click.argument("rule_id", type=int)
@pass_env
def keywords_remove(env: CliEnv, rule_id: int) -> None:
    """Remove the keyword rule RULE_ID."""
    if not keyword_rules.remove_rule(env.runtime, rule_id):
        raise click.ClickException(f"no keyword rule {rule_id}")
    click.echo(f"removed rule {rule_id}")


@click.command()
@click.option("--limit", type=int, default=30, show_default=True, help="Messages to show.")
@click.option("--missed", is_flag=True, help="Only searches that found nothing.")
@click.option("--top", "top_days", type=int, default=None, help="Most asked in the last N days.")
@pass_env
def queries(env: CliEnv, limit: int, missed: bool, top_days: int | None) -> None:
    """Show what followers asked and how they were answered (newest first)."""
    runtime = env.runtime
    with runtime.db.begin() as conn:
        if top_days is not None:
            since = runtime.now() - dt.timedelta(days=top_days)
            top = followers.top_queries(conn, since, limit)
            if not top:
                click.echo(f"no follower asked anything since {local_time(since, runtime.tz)}")
            for query, asked, nothing in top:
                click.echo(f"{asked:>5}  {nothing:>5} found nothing  {query}")
            return
        rows = followers.recent_messages(conn, limit, missed_only=missed)
    if not rows:
        click.echo("no search has come back empty yet" if missed else "no follower messages yet")
    several = len(env.settings.account_names()) > 1
    for row in rows:
        when = local_time(row.received_at, runtime.tz)
        account = f"{row.account:<10} " if several else ""  # which account's follower asked
        click.echo(f"{when}  {account}{row.handler:<8} {row.answer:<7}  {row.query}")


COMMANDS = [search, keywords, queries]
