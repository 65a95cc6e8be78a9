"""Commands over the issue archive: ingest, issues, show."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import click

from ..archive import (
    IngestResult,
    find_issue_files,
    get_issue,
    ingest_paths,
    list_issues,
    list_revisions,
)
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import IssueNotFound
from ..local_time import local_time
from ..storage.issue_progress import issue_progress
from ..wechat import account_key
from ..wechat.limits import PUBLISH_SUCCESS
from .context import CliEnv, pass_env

#: From this many files on, ingest draws a progress bar (on stderr).
PROGRESS_FROM = 20


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@pass_env
def ingest(env: CliEnv, paths: tuple[Path, ...]) -> None:
    """Archive issue files (.txt, .md, .pdf) or every issue file under folders.

    Prints one line per file; exits non-zero when any file was rejected.
    """
    runtime = env.runtime
    files = list(find_issue_files(paths))
    counts: Counter[str] = Counter()

    def report(result: IngestResult) -> None:
        counts[result.status] += 1
        click.echo(result.describe(), err=not result.ok)

    if len(files) >= PROGRESS_FROM:
        with click.progressbar(length=len(files), label="ingesting", file=sys.stderr) as bar:

            def step(result: IngestResult) -> None:
                report(result)
                bar.update(1)

            ingest_paths(runtime, files, progress=step)
    else:
        ingest_paths(runtime, files, progress=report)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("added", "replaced", "unchanged", "rejected"))
    click.echo(f"{len(files)} files: {summary}")
    if counts["rejected"]:
        raise SystemExit(1)


@click.command("issues")
@click.option("--limit", type=int, default=None, help="Show at most this many, newest first.")
@pass_env
def issues_command(env: CliEnv, limit: int | None) -> None:
    """List archived issues, newest first, each with how far it has gone on WeChat.

    The state is sent, scheduled, published, drafted (a draft in WeChat's box) or archived.
    With several accounts configured, a column per account shows each one's state (and
    --account NAME shows that account's alone).
    """
    runtime = env.runtime
    rows = list_issues(runtime, limit)
    if not rows:
        click.echo("the archive is empty: add issues with `wxbot ingest PATH`")
        return
    several = len(env.settings.account_names()) > 1 and env.account == DEFAULT_ACCOUNT
    accounts = runtime.accounts() if several else [runtime]
    with runtime.db.begin() as conn:
        progress = [
            issue_progress(
                conn, account_key(account.settings.wechat), published_status=PUBLISH_SUCCESS,
                account_name=account.account,
            )
            for account in accounts
        ]  # fmt: skip
    widths = [max(9, len(a.account)) for a in accounts]
    if several:
        names = "  ".join(f"{a.account:<{w}}" for a, w in zip(accounts, widths, strict=True))
        click.echo(f"{'issue':<10}  {'rev':<5}  {names}  summary")
    for row in rows:
        summary = row.summary.replace("\n", " ")
        excerpt = summary[:40] + ("…" if len(summary) > 40 else "")
        states = "  ".join(
            f"{p.state_of(row.id):<{w}}" for p, w in zip(progress, widths, strict=True)
        )
        click.echo(f"{row.id}  rev {row.revision}  {states}  {excerpt}")


@click.command()
@click.argument("issue_id")
@click.option("--source", "with_source", is_flag=True, help="Include the verbatim source text.")
@click.option("--revisions", is_flag=True, help="List every source given for the issue instead.")
@pass_env
def show(env: CliEnv, issue_id: str, with_source: bool, revisions: bool) -> None:
    """Print an archived issue as JSON."""
    runtime = env.runtime
    try:
        issue = get_issue(runtime, issue_id)
    except IssueNotFound as exc:
        raise click.ClickException(str(exc)) from None
    if revisions:
        data: object = [
            {
                "revision": r.revision,
                "source_name": r.source_name,
                "format": r.source_format,
                "sha256": r.source_sha256,
                "created_at": local_time(r.created_at, runtime.tz),
            }
            for r in list_revisions(runtime, issue_id)
        ]
    else:
        data = issue.to_dict(with_source=with_source)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


COMMANDS = [ingest, issues_command, show]
