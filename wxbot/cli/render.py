"""Commands that show an issue as followers will read it: render, lint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import get_runtime
from ..archive import get_issue
from ..errors import ConfigError, IssueNotFound
from ..model import Issue
from ..rendering import render_issue
from ..rendering.compliance import content_characters, lint_article
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
    """Write an issue's article.html, preview.html, cover.jpg and thumb.jpg to a folder.

    article.html is exactly the body that would be sent (images point into images/);
    open preview.html to see the cover card and the article at phone width.
    """
    issue, config = _load(env, issue_id, theme)
    try:
        exported = export_issue(issue, config, out_dir)
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
    issue, config = _load(env, issue_id, theme)
    try:
        article = render_issue(issue, config)
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
        f"digest {len(article.digest)}, thumb {len(article.thumb_jpeg):,} bytes"
    )


def _load(env: CliEnv, issue_id: str, theme: str | None) -> tuple[Issue, dict[str, dict[str, Any]]]:
    runtime = get_runtime(env.app)
    try:
        issue = get_issue(runtime, issue_id)
    except IssueNotFound as exc:
        raise click.ClickException(str(exc)) from None
    config = runtime.config
    if theme:
        config = {**config, "render": {**config["render"], "theme": theme}}
    return issue, config


COMMANDS = [render, lint]
