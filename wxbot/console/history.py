"""The history page: every WeChat call and job event of an issue, errors in plain words."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from ..errors import IssueNotFound
from ..issue_history import issue_history
from ..runtime import get_runtime
from .auth import login_required

bp = Blueprint("console_history", __name__, url_prefix="/console/issues")


@bp.get("/<issue_id>/history")
@login_required
def show(issue_id: str) -> str:
    """List the issue's publish runs and steps, mass sends and scheduled jobs, newest first."""
    runtime = get_runtime(current_app)
    try:
        history = issue_history(runtime, issue_id)
    except IssueNotFound as exc:
        abort(404, str(exc))
    return render_template("console/history.html", history=history, zone=runtime.tz.key)
