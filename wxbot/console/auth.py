"""Signing in and out of the console, and the decorators that guard every console page.

A session holds the account's id, its session epoch (a new password raises it, ending
older sessions) and when it signed in by the runtime's clock; it ends after
``[server] session_hours``, or when the account is removed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

from .. import editors
from ..editors import Editor, SignInRefused
from ..resources import templates_dir
from ..runtime import get_runtime
from . import audit

bp = Blueprint(
    "console_auth",
    __name__,
    url_prefix="/console",
    static_folder=str(templates_dir() / "console" / "static"),
    static_url_path="/static",
)

#: Where the signed-in editor is kept for the request (``flask.g``).
G_EDITOR = "console_editor"
#: Key of the console's part of the session.
SESSION_KEY = "editor"
#: Where a sign-in goes when it was not sent from a page.
DASHBOARD = "/console/"

F = TypeVar("F", bound=Callable[..., Any])


def signed_in_editor() -> Editor | None:
    """Return the editor this request's session belongs to, or None (expired, removed, none)."""
    if G_EDITOR in g:
        return cast(Editor | None, g.get(G_EDITOR))
    editor = _editor_from_session()
    setattr(g, G_EDITOR, editor)
    return editor


def _editor_from_session() -> Editor | None:
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    runtime = get_runtime(current_app)
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    try:
        editor_id, epoch, since = int(data["id"]), int(data["epoch"]), float(data["since"])
    except (KeyError, TypeError, ValueError):
        session.pop(SESSION_KEY, None)
        return None
    if runtime.now().timestamp() - since > lifetime:
        session.pop(SESSION_KEY, None)
        flash("Your session has expired: sign in again.", "error")
        return None
    editor = editors.session_editor(runtime, editor_id, epoch)
    if editor is None:  # removed, or its password changed since
        session.pop(SESSION_KEY, None)
    return editor


def current_editor() -> Editor:
    """Return the signed-in editor of a view guarded by :func:`login_required`."""
    editor = signed_in_editor()
    if editor is None:
        raise RuntimeError("no editor is signed in: guard the view with login_required")
    return editor


def login_required(view: F) -> F:
    """Send a request without a signed-in editor to the sign-in page (and back after)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if signed_in_editor() is None:
            return redirect(url_for("console_auth.sign_in", next=_here()))
        return view(*args, **kwargs)

    return cast(F, guarded)


def admin_required(view: F) -> F:
    """Allow only a signed-in admin; another editor gets 403 Forbidden."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        editor = signed_in_editor()
        if editor is None:
            return redirect(url_for("console_auth.sign_in", next=_here()))
        if not editor.is_admin:
            abort(403, "Only an admin may do this: ask one of your admins.")
        return view(*args, **kwargs)

    return cast(F, guarded)


def _here() -> str:
    """Return the page to come back to after signing in: this one, if it is a page."""
    if request.method != "GET":
        return request.referrer if _is_console_path(request.referrer) else DASHBOARD
    return request.full_path.rstrip("?")


def _is_console_path(target: str | None) -> bool:
    """Return whether ``target`` is a console page of this site (no other host, no scheme)."""
    if not target:
        return False
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return parts.netloc == request.host and parts.path.startswith("/console")
    return target.startswith("/console") and "\\" not in target


def _next_page(target: str | None) -> str:
    if target and _is_console_path(target):
        parts = urlsplit(target)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return DASHBOARD


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | tuple[str, int] | str:
    """Show the sign-in form; sign in with a name and password, rate-limited."""
    next_page = _next_page(request.values.get("next"))
    if request.method == "GET":
        return render_template("console/sign_in.html", next=next_page, name="")
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    runtime = get_runtime(current_app)
    try:
        editor = editors.sign_in(runtime, name, password, request.remote_addr or "")
    except SignInRefused as exc:
        outcome = "rate-limited" if exc.limited else "refused"
        audit.record("sign-in", name, outcome, str(exc))
        flash(str(exc), "error")
        page = render_template("console/sign_in.html", next=next_page, name=name)
        return page, 429 if exc.limited else 401
    session.clear()  # nothing from before signing in carries over
    session.permanent = True
    session[SESSION_KEY] = {
        "id": editor.id,
        "epoch": editors.session_epoch(runtime, editor.id),
        "since": runtime.now().timestamp(),
    }
    setattr(g, G_EDITOR, editor)
    audit.record("sign-in", editor.name, "ok")
    return redirect(next_page)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Response:
    """Sign out: the account's sessions end, on every device (a cookie copied is of no use)."""
    editor = signed_in_editor()
    if editor is not None:
        editors.end_sessions(get_runtime(current_app), editor.id)
        audit.record("sign-out", editor.name, "ok")
    session.clear()
    flash("Signed out.", "ok")
    return redirect(url_for("console_auth.sign_in"))


@bp.route("/account")
@login_required
def account() -> str:
    """Show who is signed in, as what, and until when."""
    return render_template("console/account.html", editor=current_editor())
