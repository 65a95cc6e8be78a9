"""The editor console: pages under ``/console`` where editors take an issue to followers.

:func:`init_app` sets what every console page shares — CSRF protection on every
state-changing request, the session cookie, the console's Content-Security-Policy — and
registers each console blueprint (one import and one ``register_blueprint`` line each).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..runtime import get_runtime
from . import actions, auth, dashboard, followers, history, issue_pages, upload, users
from . import stats as stats_pages

#: Every console URL starts with this.
PREFIX = "/console"

#: What a console page may load: its own scripts (no inline ones) and styles, images from
#: itself and WeChat's https image host; forms post only back to the console.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data: https:",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    """Set up sessions, CSRF protection and headers, and register every console blueprint.

    ``/wechat`` needs no exemption: WeChat's callback is answered in front of Flask
    (:class:`wxbot.callback.views.CallbackEndpoint`), so CSRFProtect never sees it.
    """
    server = get_runtime(app).settings.server
    app.config.update(
        SESSION_COOKIE_NAME="wxbot_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=server.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=server.session_hours),
        # A token lives as long as the session it belongs to (an editor may edit for hours).
        WTF_CSRF_TIME_LIMIT=None,
    )
    if server.proxy_hops:  # the client's address, not the proxy's, for limits and the log
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=server.proxy_hops)  # type: ignore[method-assign]
    csrf.init_app(app)
    app.context_processor(_console_context)
    app.register_error_handler(CSRFError, _csrf_refused)
    app.register_error_handler(403, _console_error)
    app.register_error_handler(404, _console_error)
    app.after_request(_console_headers)
    app.register_blueprint(auth.bp)
    app.register_blueprint(users.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(upload.bp)
    app.register_blueprint(issue_pages.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(actions.bp)
    app.register_blueprint(followers.bp)
    app.register_blueprint(stats_pages.bp)


def _console_context() -> dict[str, object]:
    return {"console_editor": g.get(auth.G_EDITOR)}


def _is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(f"{PREFIX}/")


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    """Refuse a form that carries no valid CSRF token: nothing was changed."""
    message = (
        "The form was not accepted (its security token is missing or out of date), "
        "so nothing was changed: reload the page and try again."
    )
    return render_template("console/error.html", title="Form refused", message=message), 400


def _console_error(error: HTTPException) -> HTTPException | tuple[str, int]:
    """Show a console page's 403 or 404 in the console's layout; elsewhere the default."""
    if not _is_console(request.path):
        return error
    titles = {403: "Not allowed", 404: "Not found"}
    code = error.code or 500
    page = render_template(
        "console/error.html", title=titles.get(code, "Error"), message=error.description
    )
    return page, code


def _console_headers(response: Response) -> Response:
    """Give console pages their own CSP (scripts from the console itself) and keep them uncached."""
    if _is_console(request.path):
        if response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
