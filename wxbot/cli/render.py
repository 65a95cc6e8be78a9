"""Commands that show an issue as followers will read it: render, lint."""

from __future__ import annotations

from pathlib import Path

import click

from ..archive import get_issue
from ..config import Settings
from ..errors import ConfigError, IssueNotFound
from ..model import Issue
from ..rendering import render_issue
from ..rendering.compliance import COVER_NAME, content_characters, lint_article
from ..rendering.preview import export_issue
from .context import CliEnv, pass_env

_theme_option = click.option(
    "--theme", default=None, help="Theme to use instead of [render] theme (blue, neutral, …)."
)


@click.command()
@click.argument("issue_id")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write into (created if missing).",
)
@_theme_option
@pass_env
def render(env: CliEnv, issue_id: str, out_dir: Path, theme: str | None) -> None:
    """Write an issue's article.html, preview.html and cover.jpg to a folder.

    article.html is exactly the body that would be sent (images point into images/);
    open preview.html to see the cover card and the article at phone width.
    """
    issue, settings = _load(env, issue_id, theme)
    try:
        exported = export_issue(issue, settings, out_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for path in exported.files:
        click.echo(f"wrote {path} ({path.stat().st_size:,} bytes)")
    if exported.problems:
        click.echo(
            f"warning: {len(exported.problems)} compliance problems; see `wxbot lint {issue.id}`",
            err=True,
        )


@click.command()
@click.argument("issue_id")
@_theme_option
@pass_env
def lint(env: CliEnv, issue_id: str, theme: str | None) -> None:
    """Check an issue's article against what WeChat strips or rejects; exit 1 on problems."""
    issue, settings = _load(env, issue_id, theme)
    try:
        article = render_issue(issue, settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    problems = lint_article(article, publishing=False)
    for problem in problems:
        click.echo(f"{issue.id}: {problem.message}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(
        f"{issue.id}: ok — {content_characters(article.html):,} characters counting tags, "
        f"title {len(article.title)}, "
        f"digest {len(article.digest)}, {COVER_NAME} {len(article.cover_jpeg):,} bytes"
    )


def _load(env: CliEnv, issue_id: str, theme: str | None) -> tuple[Issue, Settings]:
    runtime = env.runtime
    try:
        issue = get_issue(runtime, issue_id)
    except IssueNotFound as exc:
        raise click.ClickException(str(exc)) from None
    settings = runtime.settings
    if theme:
        try:
            settings = settings.updated({"render.theme": theme})
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
    return issue, settings


COMMANDS = [render, lint]
