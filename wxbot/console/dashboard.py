"""The dashboard: every issue newest first with where it stands, the next send, failures, health."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, url_for

from ..issue_states import dashboard
from ..runtime import get_runtime
from .auth import login_required

bp = Blueprint("console_dashboard", __name__, url_prefix="/console")


@bp.get("/")
@login_required
def index() -> str:
    """Show a page of issues with a column per state, the next send, failures and health."""
    page = request.args.get("page", 1, type=int) or 1
    runtime = get_runtime(current_app)
    try:
        board = dashboard(runtime, page)
    except ValueError as exc:
        abort(404, str(exc))
    # Each row links to its issue page: one url_for for the page, not one per row.
    issues_root = url_for("console_issue.show", issue_id="_")[:-1]
    return render_template(
        "console/dashboard.html", board=board, zone=runtime.tz.key, issues_root=issues_root
    )
