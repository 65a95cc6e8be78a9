"""Public archive pages: an issue as a follower reads it, the editor's preview, the covers."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, request, url_for

from ..archive import get_issue
from ..errors import IssueNotFound
from ..model import Issue
from ..rendering import RenderedArticle, render_issue
from ..rendering.compliance import lint_article
from ..rendering.cover_images import make_cover, make_thumb
from ..rendering.preview import render_preview, render_public_page
from ..runtime import get_runtime

bp = Blueprint("archive_pages", __name__)

#: Seconds browsers may keep a page or an image before asking again (ETags answer cheaply).
MAX_AGE = 300


def init_app(app: Flask) -> None:
    """Register the archive pages."""
    app.register_blueprint(bp)


def _issue(issue_id: str) -> Issue:
    try:
        return get_issue(get_runtime(current_app), issue_id)
    except IssueNotFound:
        abort(404, description=f"no issue {issue_id} in the archive")


def _render(issue: Issue, *, with_covers: bool) -> RenderedArticle:
    def image_url(path: Path) -> str:
        return url_for(".issue_image", issue_id=issue.id, name=path.name)

    settings = get_runtime(current_app).settings
    return render_issue(issue, settings, image_url=image_url, with_covers=with_covers)


def _answer(body: str | bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/issues/<issue_id>")
def issue_page(issue_id: str) -> Response:
    """Show an issue as a follower reads it (for issues not on WeChat yet)."""
    issue = _issue(issue_id)
    article = _render(issue, with_covers=False)
    runtime = get_runtime(current_app)
    cover = runtime.public_base_url() + url_for(".cover", issue_id=issue.id)
    return _answer(
        render_public_page(issue, article, runtime.settings, cover_url=cover), "text/html"
    )


@bp.get("/issues/<issue_id>/preview")
def preview(issue_id: str) -> Response:
    """Show the editor's phone preview: checks, cover cards, then the article."""
    issue = _issue(issue_id)
    article = _render(issue, with_covers=True)
    page = render_preview(
        issue,
        article,
        get_runtime(current_app).settings,
        cover_src=url_for(".cover", issue_id=issue.id),
        thumb_src=url_for(".thumb", issue_id=issue.id),
        problems=lint_article(article, publishing=False),
    )
    response = _answer(page, "text/html")
    response.cache_control.no_cache = True  # editors reload after every change
    return response


@bp.get("/issues/<issue_id>/cover.jpg")
def cover(issue_id: str) -> Response:
    """Serve the issue's 900×383 head cover."""
    return _answer(make_cover(_issue(issue_id), get_runtime(current_app).settings), "image/jpeg")


@bp.get("/issues/<issue_id>/thumb.jpg")
def thumb(issue_id: str) -> Response:
    """Serve the issue's square thumb."""
    return _answer(make_thumb(_issue(issue_id), get_runtime(current_app).settings), "image/jpeg")


@bp.get("/issues/<issue_id>/images/<name>")
def issue_image(issue_id: str, name: str) -> Response:
    """Serve an image the issue's article shows (only those: no other file is reachable)."""
    article = _render(_issue(issue_id), with_covers=False)
    for path in article.images:
        if path.name == name:
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return _answer(path.read_bytes(), mimetype)
    abort(404)
