"""The issue page: the phone preview, cover, lint results, and the editor's overrides."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..archive import get_issue
from ..errors import IssueNotFound
from ..model import Issue
from ..overrides import OverrideField, OverrideRefused, clean, override_fields, set_overrides
from ..rendering.compliance import lint_article
from ..rendering.preview import preview_context, render_preview
from ..runtime import Runtime, get_runtime
from ..web.archive_pages import cover_url, kept, rendered_article
from . import audit
from .accounts import acting_runtime
from .actions import actions_panel, standing_or_404
from .auth import current_editor, login_required

bp = Blueprint("console_issue", __name__, url_prefix="/console/issues")

#: The form fields an editor may override.
OVERRIDE_FIELDS = ("title", "digest", "author", "headline", "keywords")


def _issue(issue_id: str) -> Issue:
    try:
        return get_issue(get_runtime(current_app), issue_id)
    except IssueNotFound as exc:
        abort(404, str(exc))


@dataclass(frozen=True)
class RenderedIssue:
    """What the issue page shows that the issue's version alone determines, kept per version."""

    title: str
    fields: list[OverrideField]  # the overrides form's, with their fallbacks and counts
    style: Markup  # the phone preview's CSS (its crops)
    checks: Markup  # the lint results and the cover
    phone: Markup  # the phone preview: cards, then the article


def rendered_issue(issue: Issue, runtime: Runtime, *, fresh: bool = False) -> RenderedIssue:
    """Return the issue page's rendered parts for ``runtime``'s account (``fresh``: anew).

    Kept by the worker under what the article depends on (the issue's source, its overrides,
    the account's settings), so an edit, a re-ingest or another theme shows at once.
    """
    settings = runtime.settings

    def render() -> RenderedIssue:
        article = rendered_article(issue, runtime=runtime, fresh=fresh)
        problems = lint_article(article, publishing=False)
        cover = cover_url(issue, runtime)
        context = preview_context(issue, article, settings, cover_src=cover, problems=problems)
        return RenderedIssue(
            title=article.title,
            fields=override_fields(issue, settings),
            style=Markup(render_template("web/phone_preview_style.html", **context)),
            checks=Markup(render_template("console/_issue_checks.html", **context)),
            phone=Markup(render_template("web/phone_preview.html", **context)),
        )

    return kept("console-issue", issue, render, settings=settings, fresh=fresh)


@bp.get("/<issue_id>")
@login_required
def show(issue_id: str) -> str:
    """Show the issue as followers will see it, its checks, cover and overrides form."""
    runtime = acting_runtime()  # the account the actions act for (?account=NAME)
    standing = standing_or_404(issue_id, runtime)  # the issue and its actions' facts: one read
    issue = standing.issue
    return render_template(
        "console/issue.html",
        issue=issue,
        rendered=rendered_issue(issue, runtime, fresh=request.args.get("render") == "again"),
        panel=actions_panel(standing, runtime),
    )


@bp.get("/<issue_id>/preview")
@login_required
def preview(issue_id: str) -> str:
    """Show the editor's phone preview on its own: checks, cover cards, then the article."""
    runtime = acting_runtime()
    issue = _issue(issue_id)
    article = rendered_article(issue, runtime=runtime)
    return render_preview(
        issue,
        article,
        runtime.settings,
        cover_src=cover_url(issue, runtime),
        problems=lint_article(article, publishing=False),
    )


@bp.post("/<issue_id>/overrides")
@login_required
def save_overrides(issue_id: str) -> Response | tuple[str, int]:
    """Keep the editor's title, digest, author, cover headline and keywords for the issue."""
    issue = _issue(issue_id)
    typed = {name: request.form.get(name, "") for name in OVERRIDE_FIELDS}
    overrides = clean(**typed)
    try:
        set_overrides(get_runtime(current_app), issue.id, overrides, current_editor().name)
    except OverrideRefused as exc:
        audit.record("overrides", issue.id, "refused", str(exc))
        flash(f"Nothing saved: {exc}.", "error")
        return show(issue_id), 422
    changed = [n for n in OVERRIDE_FIELDS if getattr(overrides, n) != getattr(issue.overrides, n)]
    audit.record("overrides", issue.id, "ok", "changed " + (", ".join(changed) or "nothing"))
    flash("Saved: the preview and the next draft use these.", "ok")
    return redirect(url_for(".show", issue_id=issue.id))
