"""Public archive pages: the index, an issue as a follower reads it, its cover and images.

The editor's phone preview is the console's (:mod:`wxbot.console.issue_pages`), for signed-in
editors; it renders through :func:`rendered_article`, so both keep one rendering per issue.
"""

from __future__ import annotations

import hashlib
import math
import mimetypes
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as WerkzeugResponse

from ..archive import get_issue, list_issues
from ..config import Settings
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import ConfigError, IssueNotFound
from ..links import issue_links_for
from ..model import Issue
from ..rendering import RenderedArticle, render_issue
from ..rendering.cover_images import make_cover
from ..rendering.preview import render_public_page
from ..rendering.titles import article_title, date_text
from ..runtime import Runtime, get_runtime
from ..search.archive_search import ArchiveSearch
from ..storage import issues as issue_store
from .rendered_pages import RETRY_AFTER_SECONDS, RenderedPages, RendererBusy

T = TypeVar("T")

bp = Blueprint("archive_pages", __name__)

#: Seconds browsers may keep a page or an image before asking again (ETags answer cheaply).
MAX_AGE = 300

#: Issues on one page of the index; results of one search.
PER_PAGE = 20

#: Longest search query taken from the box (the follower callback takes no more either).
QUERY_MAX_CHARS = 100


@dataclass(frozen=True)
class IndexEntry:
    """One issue in the index or in search results: where to read it, and what it is about."""

    issue_id: str
    date: str
    title: str
    heading: str  # the matching section, in search results
    text: str
    url: str


def init_app(app: Flask) -> None:
    """Register the archive pages, with this worker's store of what they rendered."""
    app.extensions["wxbot.rendered_pages"] = RenderedPages()
    app.register_blueprint(bp)


@bp.app_errorhandler(RendererBusy)
def busy(error: RendererBusy) -> Response:
    """Refuse a page while this worker renders as many as it may (the callback comes first).

    Console pages render through this blueprint's store too, so the handler is the app's.
    """
    response = Response(f"{error}: try again shortly\n", status=503, mimetype="text/plain")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _pages() -> RenderedPages:
    pages: RenderedPages = current_app.extensions["wxbot.rendered_pages"]
    return pages


def _rendering_key(issue: Issue, settings: Settings) -> tuple[Hashable, ...]:
    """Return what an issue's rendering depends on.

    The issue's source (a re-ingest that changes it is another key), the editor's overrides,
    the settings (theme and brand included: each account's), and the path prefix the page's
    links are made under.
    """
    return (issue.id, issue.source.sha256, issue.overrides, settings.digest, request.script_root)


def kept(
    kind: str,
    issue: Issue,
    render: Callable[[], T],
    *,
    settings: Settings | None = None,
    fresh: bool = False,
) -> T:
    """Return ``kind`` of ``issue`` as rendered for ``settings``, rendering it if need be.

    Kept under :func:`_rendering_key`: an edit, a re-ingest or new settings render anew.
    ``settings`` default to the app's (the default account's).
    """
    key = (kind, *_rendering_key(issue, settings or get_runtime(current_app).settings))
    if fresh:  # an editor asked to render again: replace what is kept
        value = _pages().limited(render)
        _pages().put(key, value)
        return value
    return _pages().get(key, render)


def _issue(issue_id: str) -> Issue:
    try:
        return get_issue(get_runtime(current_app), issue_id)
    except IssueNotFound:
        abort(404, description=f"no issue {issue_id} in the archive")


def _article(
    issue: Issue, settings: Settings | None = None, *, fresh: bool = False
) -> RenderedArticle:
    """Return the issue's article (its HTML and images; no covers)."""

    def image_url(path: Path) -> str:
        return url_for("archive_pages.issue_image", issue_id=issue.id, name=path.name)

    settings = settings or get_runtime(current_app).settings
    return kept(
        "article",
        issue,
        lambda: render_issue(issue, settings, image_url=image_url, with_covers=False),
        settings=settings,
        fresh=fresh,
    )


def _cover(issue: Issue, settings: Settings | None = None, *, fresh: bool = False) -> bytes:
    settings = settings or get_runtime(current_app).settings
    return kept("cover", issue, lambda: make_cover(issue, settings), settings=settings, fresh=fresh)


def rendered_article(
    issue: Issue, *, runtime: Runtime | None = None, fresh: bool = False
) -> RenderedArticle:
    """Return the issue's article with its cover, as this worker keeps it (``fresh``: anew).

    Rendered with ``runtime``'s settings (an account's brand and theme; default: the app's).
    Its images and cover are served by the public archive's URLs.
    """
    settings = (runtime or get_runtime(current_app)).settings
    article = _article(issue, settings, fresh=fresh)
    return replace(article, cover_jpeg=_cover(issue, settings, fresh=fresh))


def cover_url(issue: Issue, runtime: Runtime | None = None) -> str:
    """Return the path the issue's cover is served at, naming the cover's version.

    Browsers keep the cover for :data:`MAX_AGE` seconds; a new version (an edited headline,
    a re-ingest, another theme) is another URL, so an editor sees it at once. With another
    account's ``runtime``, the cover in that account's brand (``?account=``).
    """
    runtime = runtime or get_runtime(current_app)
    version = hashlib.sha256(repr(_rendering_key(issue, runtime.settings)).encode()).hexdigest()
    args: dict[str, Any] = {"issue_id": issue.id, "v": version[:12]}
    if runtime.account != DEFAULT_ACCOUNT:
        args["account"] = runtime.account
    return url_for("archive_pages.cover", **args)


def _answer(body: str | bytes, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/issues")
def index() -> Response:
    """List the archive, newest first, a page at a time; ``?q=`` searches it instead."""
    query = request.args.get("q", "").strip()[:QUERY_MAX_CHARS]
    if query:
        return _answer(_pages().limited(lambda: _search_page(query)), "text/html")
    page = request.args.get("page", 1, type=int) or 1
    return _answer(_pages().limited(lambda: _index_page(page)), "text/html")


def _index_page(page: int) -> str:
    runtime = get_runtime(current_app)
    with runtime.db.begin() as conn:
        total = issue_store.count_issues(conn)
    pages = max(1, math.ceil(total / PER_PAGE))
    if not 1 <= page <= pages:
        abort(404, description=f"no page {page}: the archive has {pages}")
    rows = list_issues(runtime, PER_PAGE, offset=(page - 1) * PER_PAGE)
    links = issue_links_for(runtime, [r.id for r in rows])
    entries = [_entry(get_issue(runtime, r.id), r.summary, links[r.id]) for r in rows]
    return render_template(
        "web/archive_index.html", entries=entries, page=page, pages=pages, total=total, query=""
    )


def _search_page(query: str) -> str:
    runtime = get_runtime(current_app)
    search = current_app.extensions.get("wxbot.archive_search")
    if search is None:  # one per app: its cache follows the archive
        search = current_app.extensions["wxbot.archive_search"] = ArchiveSearch(runtime)
    result = search.search(query, top=PER_PAGE)
    entries = [
        _entry(get_issue(runtime, item.issue_id), item.snippet, item.url, heading=item.heading)
        for item in result.items
    ]
    return render_template(
        "web/archive_index.html", entries=entries, page=1, pages=1, total=len(entries), query=query
    )


def _entry(issue: Issue, text: str, url: str, heading: str = "") -> IndexEntry:
    title = article_title(issue, get_runtime(current_app).settings)
    return IndexEntry(issue.id, date_text(issue.date), title, heading, text, url)


@bp.get("/issues/<issue_id>")
def issue_page(issue_id: str) -> Response:
    """Show an issue as a follower reads it (for issues not on WeChat yet)."""
    issue = _issue(issue_id)
    runtime = get_runtime(current_app)
    cover = runtime.public_base_url() + url_for(".cover", issue_id=issue.id)

    def page() -> str:
        return render_public_page(issue, _article(issue), runtime.settings, cover_url=cover)

    return _answer(kept("page", issue, page), "text/html")


@bp.get("/issues/<issue_id>/preview")
def preview(issue_id: str) -> WerkzeugResponse:
    """Send the editor's phone preview's old address to the console, where editors sign in."""
    return redirect(url_for("console_issue.preview", issue_id=issue_id))


@bp.get("/issues/<issue_id>/cover.jpg")
def cover(issue_id: str) -> Response:
    """Serve the issue's cover: one image for the 2.35:1 card and the square share card.

    ``?account=NAME``: in that account's brand (404 when no account has that name).
    """
    runtime = get_runtime(current_app)
    name = request.args.get("account", "")
    if name and name != runtime.account:
        try:
            runtime = runtime.for_account(name)
        except ConfigError as exc:
            abort(404, description=str(exc))
    return _answer(_cover(_issue(issue_id), runtime.settings), "image/jpeg")


@bp.get("/issues/<issue_id>/images/<name>")
def issue_image(issue_id: str, name: str) -> Response:
    """Serve an image the issue's article shows (only those: no other file is reachable)."""
    for path in _article(_issue(issue_id)).images:
        if path.name == name:
            mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return _answer(path.read_bytes(), mimetype)
    abort(404)
