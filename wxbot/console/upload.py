"""The upload page: issues dropped as files, archived, or held until an editor confirms."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ..issue_uploads import (
    UploadCheck,
    UploadExpired,
    confirm_upload,
    discard_upload,
    receive_upload,
)
from ..parsing import SUFFIXES
from ..runtime import get_runtime
from . import audit
from .auth import current_editor, login_required

bp = Blueprint("console_upload", __name__, url_prefix="/console/upload")


@bp.get("")
@login_required
def form() -> str:
    """Show the upload form."""
    return _page([])


@bp.post("")
@login_required
def upload() -> tuple[str, int] | str:
    """Archive each file sent, or hold it when it would replace an issue on its way to WeChat."""
    files = [f for f in request.files.getlist("files") if f.filename]
    if not files:
        flash("Choose at least one file to upload.", "error")
        return _page([]), 400
    runtime = get_runtime(current_app)
    editor = current_editor().name
    checks = []
    for sent in files:
        check = receive_upload(runtime, sent.read(), sent.filename or "", editor)
        checks.append(check)
        if check.needs_confirmation:
            audit.record(
                "upload", check.issue_id, "held",
                f"{check.filename} would replace an issue {', '.join(check.stages)}",
            )  # fmt: skip
        elif check.result is not None:
            audit.record(
                "upload",
                check.issue_id or check.filename,
                check.result.status,
                check.result.message or check.filename,
            )
    rejected = any(c.result is not None and not c.result.ok for c in checks)
    return (_page(checks), 422) if rejected else _page(checks)


@bp.post("/confirm")
@login_required
def confirm() -> Response:
    """Replace the issue with the upload held under the form's token, or forget the upload."""
    runtime = get_runtime(current_app)
    token = request.form.get("token", "")
    issue_id = request.form.get("issue_id", "")
    if request.form.get("decision") != "replace":
        discard_upload(runtime, token)
        audit.record("upload-discard", issue_id, "ok", "kept the archived issue")
        flash(f"Kept {issue_id} as it was; the upload was discarded.", "ok")
        return redirect(url_for(".form"))
    try:
        done = confirm_upload(runtime, token)
    except UploadExpired as exc:
        audit.record("upload-confirm", issue_id, "expired", str(exc))
        flash(f"Nothing replaced: {exc}.", "error")
        return redirect(url_for(".form"))
    assert done.result is not None
    audit.record("upload-confirm", done.issue_id, done.result.status, done.filename)
    flash(f"{done.issue_id} {done.result.status} from {done.filename}.", "ok")
    return redirect(url_for("console_issue.show", issue_id=done.issue_id))


def _page(checks: list[UploadCheck]) -> str:
    return render_template("console/upload.html", checks=checks, accept=",".join(sorted(SUFFIXES)))
