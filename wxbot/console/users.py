"""The users page: admins list, add and remove accounts and reset passwords."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from .. import editors
from ..editors import AccountError
from ..local_time import local_time
from ..runtime import get_runtime
from . import audit
from .auth import admin_required

bp = Blueprint("console_users", __name__, url_prefix="/console/users")


@bp.route("")
@admin_required
def index() -> str:
    """List every account, with forms to add one, reset a password or remove one."""
    runtime = get_runtime(current_app)
    accounts = editors.list_accounts(runtime)
    return render_template(
        "console/users.html",
        accounts=accounts,
        roles=[role.value for role in editors.Role],
        shown=lambda moment: local_time(moment, runtime.tz) if moment else "never",
    )


@bp.route("/add", methods=["POST"])
@admin_required
def add() -> Response:
    """Add an account with a role and a first password."""
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    try:
        editors.add_editor(get_runtime(current_app), name, role, request.form.get("password", ""))
    except AccountError as exc:
        audit.record("user-add", name, "refused", str(exc))
        flash(f"Account not added: {exc}.", "error")
    else:
        audit.record("user-add", name, "ok", f"role {role}")
        flash(f"Added {name} ({role}).", "ok")
    return redirect(url_for(".index"))


@bp.route("/<name>/password", methods=["POST"])
@admin_required
def reset_password(name: str) -> Response:
    """Give an account a new password; its sessions end."""
    try:
        editors.change_password(get_runtime(current_app), name, request.form.get("password", ""))
    except AccountError as exc:
        audit.record("user-password", name, "refused", str(exc))
        flash(f"Password not changed: {exc}.", "error")
    else:
        audit.record("user-password", name, "ok")
        flash(f"Changed the password of {name}: their sessions have ended.", "ok")
    return redirect(url_for(".index"))


@bp.route("/<name>/remove", methods=["POST"])
@admin_required
def remove(name: str) -> Response:
    """Remove an account; its sessions end."""
    try:
        editors.remove_editor(get_runtime(current_app), name)
    except AccountError as exc:
        audit.record("user-remove", name, "refused", str(exc))
        flash(f"Account not removed: {exc}.", "error")
    else:
        audit.record("user-remove", name, "ok")
        flash(f"Removed {name}.", "ok")
    return redirect(url_for(".index"))
