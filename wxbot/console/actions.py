"""The issue's actions: save to drafts, preview, publish, mass send, schedule, cancel, reschedule.

Each is a POST to ``/console/issues/<issue_id>/<action>`` that calls one domain function
(:mod:`wxbot.publishing`, :mod:`wxbot.scheduling`), writes the audit log, and comes back to
the issue page with the outcome — or, when it failed, what went wrong and what to do next.

Nothing holds a request for minutes: a publish is submitted and the page returns at once
(WeChat's result comes by PUBLISHJOBFINISH, or "Check the result" asks ``freepublish/get``);
a mass send now is a scheduler job due at once, sent exactly once by the worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from werkzeug.wrappers import Response

from .. import editors, publishing, scheduling
from ..archive import get_issue
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import IssueNotFound, WxbotError
from ..issue_standing import IssueStanding, issue_standing
from ..local_time import local_time
from ..publishing.prepare import PreviewTarget
from ..runtime import Runtime, get_runtime
from ..scheduling import DayQuota, Job
from ..wechat.limits import PUBLISH_STATUS_TEXT
from . import audit
from .accounts import account_choices, acting_runtime
from .auth import current_editor, login_required
from .outcomes import explain_failure

bp = Blueprint("console_actions", __name__, url_prefix="/console/issues")

T = TypeVar("T")

#: How the form names an audience: everyone, or a tag by its id.
EVERYONE = "all"


@dataclass(frozen=True)
class ActionsPanel:
    """What the issue page's actions show: where the issue stands, and the forms' defaults."""

    issue_id: str
    status: publishing.IssueStatus
    jobs: list[Job]
    preview_kind: str  # openid | wxname
    preview_value: str
    zone: str
    earliest: str  # the datetime-local value of the first time a send may be scheduled
    min_lead_minutes: float
    quota: DayQuota
    #: The account the actions act for (its name), and every configured account as
    #: ``(name, the name editors see)`` — empty when only one is configured.
    account: str = DEFAULT_ACCOUNT
    accounts: tuple[tuple[str, str], ...] = ()

    @property
    def publishing(self) -> bool:
        """Return whether a publish was submitted and WeChat has not said how it went."""
        jobs = self.status.publish_jobs
        return bool(jobs) and publishing.is_pending(jobs[0])


def preview_target(key: str | None) -> tuple[str, str]:
    """Return ``(kind, value)`` of a remembered preview target (``wxname:<id>`` or an openid)."""
    if not key:
        return "openid", ""
    if key.startswith("wxname:"):
        return "wxname", key.removeprefix("wxname:")
    return "openid", key


def zone_name(runtime: Runtime) -> str:
    """Return the account's timezone as editors read it: ``CST (Asia/Shanghai)``."""
    return local_time(runtime.now(), runtime.tz).split(" ", 2)[2]


def field_time(moment: dt.datetime, runtime: Runtime) -> str:
    """Return ``moment`` as a datetime-local field's value in the account's timezone."""
    return moment.astimezone(runtime.tz).strftime("%Y-%m-%dT%H:%M")


def actions_panel(standing: IssueStanding, runtime: Runtime) -> ActionsPanel:
    """Return the actions of an issue as it stands on ``runtime``'s account, for the editor."""
    lead = runtime.settings.schedule.min_lead
    # Read with the session at the start of this request: no second look-up.
    kind, value = preview_target(current_editor().preview_target)
    # A minute's margin: the form is sent a little after it is shown.
    earliest = runtime.now() + lead + dt.timedelta(minutes=1)
    return ActionsPanel(
        issue_id=standing.issue.id,
        status=standing.status,
        jobs=standing.jobs,
        preview_kind=kind,
        preview_value=value,
        zone=zone_name(runtime),
        earliest=field_time(earliest, runtime),
        min_lead_minutes=lead.total_seconds() / 60,
        quota=standing.quota,
        account=runtime.account,
        accounts=account_choices(runtime),
    )


def standing_or_404(issue_id: str, runtime: Runtime) -> IssueStanding:
    """Return the issue and where it stands on ``runtime``'s account; 404 when there is none."""
    try:
        return issue_standing(runtime, issue_id)
    except IssueNotFound as exc:
        abort(404, str(exc))


@bp.app_template_global("console_time")
def console_time(moment: dt.datetime | None) -> str:
    """Return ``moment`` in the account's timezone with the zone named ("" for none)."""
    return local_time(moment, get_runtime(current_app).tz) if moment else ""


@bp.app_template_global("publish_status_text")
def publish_status_text(status: int | None) -> str:
    """Return what a publish job's status means."""
    return PUBLISH_STATUS_TEXT.get(1 if status is None else status, f"status {status}")


def _issue_page(issue_id: str, runtime: Runtime) -> Response:
    """Return to where the form was (the issue page or the actions page), on its account."""
    target = request.form.get("back", "")
    if target not in ("issue", "actions"):
        target = "issue"
    path = f"/console/issues/{issue_id}" + ("/actions" if target == "actions" else "")
    return redirect(path + _on_account(runtime))


def _on_account(runtime: Runtime, **args: str) -> str:
    """Return a link's query of ``args`` and ``runtime``'s account (none for the default)."""
    if runtime.account != DEFAULT_ACCOUNT:
        args["account"] = runtime.account
    return f"?{urlencode(args)}" if args else ""


def _audit(runtime: Runtime, action: str, issue_id: str, outcome: str, detail: str = "") -> None:
    """Write the action to the audit log, naming its account when it is not the default."""
    if runtime.account != DEFAULT_ACCOUNT:
        detail = f"on {runtime.account}: {detail}".rstrip(": ")
    audit.record(action, issue_id, outcome, detail)


def _known_issue(issue_id: str) -> None:
    try:
        get_issue(get_runtime(current_app), issue_id)
    except IssueNotFound:
        abort(404, f"There is no issue {issue_id} in the archive.")


def _attempt(
    runtime: Runtime,
    action: str,
    label: str,
    issue_id: str,
    call: Callable[[], T],
    detail: str = "",
) -> T | None:
    """Run ``call``; on a refusal flash what went wrong and what to do, and audit either way."""
    try:
        result = call()
    except (WxbotError, ValueError) as exc:
        failure = explain_failure(exc)
        _audit(runtime, action, issue_id, "failed", f"{detail} {failure.what}".strip())
        flash(failure.message(label), "error")
        return None
    return result


def _audience(value: str) -> int | None:
    """Return the tag id a form's audience names (None: everyone)."""
    value = value.strip()
    if value in ("", EVERYONE):
        return None
    try:
        tag_id = int(value.removeprefix("tag:"))
    except ValueError:
        raise ValueError(f"audience must be everyone or a tag number, not {value!r}") from None
    if tag_id < 0:
        raise ValueError(f"a tag number is not negative: {tag_id}")
    return tag_id


def _audience_text(tag_id: int | None) -> str:
    return "every follower" if tag_id is None else f"the followers tagged {tag_id}"


# --- pages ---------------------------------------------------------------------------------------


@bp.get("/<issue_id>/actions")
@login_required
def page(issue_id: str) -> str:
    """Show the issue's actions on a page of their own (the issue page includes the same)."""
    runtime = acting_runtime()
    panel = actions_panel(standing_or_404(issue_id, runtime), runtime)
    return render_template("console/issue_actions.html", issue_id=issue_id, panel=panel)


@bp.get("/<issue_id>/mass-send")
@login_required
def confirm_mass_send(issue_id: str) -> str | Response:
    """Ask to confirm a mass send now: who receives it, and today's remaining quota."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    try:
        tag_id = _audience(request.args.get("tag") or request.args.get("audience", EVERYONE))
    except ValueError as exc:
        flash(explain_failure(exc).message("Mass send"), "error")
        return redirect(f"/console/issues/{issue_id}{_on_account(runtime)}")
    return render_template(
        "console/mass_send_confirm.html",
        issue_id=issue_id,
        audience=EVERYONE if tag_id is None else str(tag_id),
        audience_text=_audience_text(tag_id),
        quota=scheduling.day_quota(runtime),
        zone=zone_name(runtime),
        poll_seconds=runtime.settings.schedule.poll_interval,
        account=runtime.account,
        account_shown=dict(account_choices(runtime)).get(runtime.account, ""),
        back=f"/console/issues/{issue_id}{_on_account(runtime)}",
    )


# --- actions -------------------------------------------------------------------------------------


@bp.post("/<issue_id>/draft")
@login_required
def save_draft(issue_id: str) -> Response:
    """Save the issue to WeChat's draft box (made, updated, or already there unchanged)."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    record = _attempt(
        runtime, "draft", "Saving the draft", issue_id,
        lambda: publishing.publish_issue(runtime, issue_id, "draft"),
    )  # fmt: skip
    if record is not None:
        _audit(runtime, "draft", issue_id, "ok", record.summary)
        flash(f"Saved to WeChat's draft box ({record.summary}).", "ok")
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/preview")
@login_required
def send_preview(issue_id: str) -> Response:
    """Send a preview to an editor's WeChat (openid or WeChat ID), remembered for next time."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    kind = request.form.get("kind", "openid")
    value = request.form.get("target", "").strip()
    target = _preview_target(kind, value)
    if target is None:
        _audit(runtime, "preview", issue_id, "refused", f"no usable target ({kind})")
        flash(
            "Preview not sent: give your openid (28 characters, from the follower list) or your "
            "WeChat ID (微信号, 6–20 letters, digits, _ or -). Next: fill it in and send again.",
            "error",
        )
        return _issue_page(issue_id, runtime)
    editors.remember_preview_target(runtime, current_editor().id, target.key)
    prepared = _attempt(
        runtime, "preview", "Sending the preview", issue_id,
        lambda: publishing.prepare_issue(
            runtime, issue_id, preview_openids=[target.openid] if target.openid else [],
            preview_wxname=target.wxname or None,
        ),
        detail=f"to {target.key}",
    )  # fmt: skip
    if prepared is None:
        return _issue_page(issue_id, runtime)
    shown = target.openid or f"WeChat ID {target.wxname}"
    if prepared.previews:
        _audit(runtime, "preview", issue_id, "ok", f"to {target.key}, draft v{prepared.version}")
        flash(f"Preview of draft version {prepared.version} sent to {shown}.", "ok")
    else:
        had = f"{target.key} already had v{prepared.version}"
        _audit(runtime, "preview", issue_id, "skipped", had)
        flash(
            f"{shown} already got a preview of draft version {prepared.version}; WeChat allows "
            "about 100 previews a day, so it is not sent twice. Edit the issue for a new version.",
            "ok",
        )
    return _issue_page(issue_id, runtime)


def _preview_target(kind: str, value: str) -> PreviewTarget | None:
    """Return the recipient a preview form names, or None when it names none usable."""
    if not value or len(value) > 64 or any(c.isspace() for c in value):
        return None
    if kind == "wxname":
        return PreviewTarget(wxname=value)
    if kind == "openid":
        return PreviewTarget(openid=value)
    return None


@bp.post("/<issue_id>/publish")
@login_required
def publish_now(issue_id: str) -> Response:
    """Publish the issue (发表, no push): submit and return; the result follows."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    record = _attempt(
        runtime, "publish", "Publishing", issue_id,
        lambda: publishing.publish_issue(runtime, issue_id, "publish", wait=0),
    )  # fmt: skip
    if record is None:
        return _issue_page(issue_id, runtime)
    _audit(runtime, "publish", issue_id, "ok", record.summary)
    if record.article_url:
        flash(f"Published: {record.article_url}", "ok")
    else:
        flash(
            f"Submitted to WeChat (publish_id {record.publish_id}). WeChat checks the article, "
            "usually within a minute; its link appears here when WeChat reports it. Next: "
            "press “Check the result” to ask now.",
            "ok",
        )
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/check")
@login_required
def check_result(issue_id: str) -> Response:
    """Ask WeChat how the issue's publish went (freepublish/get), and show it."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    if not publishing.issue_status(runtime, issue_id, runs=0).publish_jobs:
        flash("Nothing was submitted for publishing yet: there is no result to check.", "ok")
        return _issue_page(issue_id, runtime)
    job = _attempt(
        runtime, "check", "Checking the result", issue_id,
        lambda: publishing.check_publish(runtime, issue_id),
    )  # fmt: skip
    if job is None:
        return _issue_page(issue_id, runtime)
    outcome = PUBLISH_STATUS_TEXT.get(1 if job.status is None else job.status, str(job.status))
    _audit(runtime, "check", issue_id, "ok", f"publish_id {job.publish_id}: {outcome}")
    if job.status == 0:
        flash(f"Published: {job.article_url}", "ok")
    elif publishing.is_pending(job):
        flash(f"WeChat is still publishing it (publish_id {job.publish_id}): check soon.", "ok")
    else:
        flash(
            f"WeChat did not publish it: {outcome}. Next: open the draft in WeChat's web "
            "console (草稿箱) to see why, fix the issue, and publish again.",
            "error",
        )
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/mass-send")
@login_required
def mass_send_now(issue_id: str) -> Response:
    """Mass send now (群发): a scheduler job due at once, after the confirm step."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    try:
        tag_id = _audience(request.form.get("audience", EVERYONE))
    except ValueError as exc:
        _audit(runtime, "mass-send", issue_id, "refused", str(exc))
        flash(explain_failure(exc).message("Mass send"), "error")
        return _issue_page(issue_id, runtime)
    if request.form.get("confirmed") != "yes":
        _audit(runtime, "mass-send", issue_id, "refused", "not confirmed")
        flash("Mass send not started: confirm it on the confirmation page first.", "error")
        query = _on_account(runtime, audience=str(tag_id or EVERYONE))
        return redirect(f"/console/issues/{issue_id}/mass-send{query}")
    job = _attempt(
        runtime, "mass-send", "Mass send", issue_id,
        lambda: scheduling.send_now(runtime, issue_id, tag_id=tag_id),
        detail=f"to {_audience_text(tag_id)}",
    )  # fmt: skip
    if job is not None:
        _audit(runtime, "mass-send", issue_id, "ok", f"job {job.id} to {job.audience}, due now")
        flash(
            f"Mass send to {_audience_text(tag_id)} handed to the scheduler as job #{job.id}, "
            f"due now: it goes out within {runtime.settings.schedule.poll_interval:g} s of "
            "the scheduler's next look, exactly once. Its outcome shows in the job list.",
            "ok",
        )
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/schedule")
@login_required
def schedule(issue_id: str) -> Response:
    """Schedule a mass send at a time given in the account's timezone."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    text = request.form.get("send_at", "")

    def make() -> Job:
        tag_id = _audience(request.form.get("audience", EVERYONE))
        return scheduling.schedule_send(
            runtime, issue_id, scheduling.parse_send_time(text, runtime.tz), tag_id=tag_id
        )

    job = _attempt(runtime, "schedule", "Scheduling", issue_id, make, detail=f"at {text!r}")
    if job is not None:
        when = local_time(job.send_at, runtime.tz)
        _audit(runtime, "schedule", issue_id, "ok", f"job {job.id} to {job.audience} at {when}")
        flash(f"Scheduled job #{job.id}: to {job.audience} at {when}.", "ok")
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/cancel")
@login_required
def cancel(issue_id: str) -> Response:
    """Cancel a scheduled send of the issue that is still waiting for its time."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    job = _attempt(
        runtime, "cancel", "Cancelling", issue_id,
        lambda: scheduling.cancel_job(runtime, _job_of(runtime, issue_id).id),
        detail=f"job {request.form.get('job_id', '')}",
    )  # fmt: skip
    if job is not None:
        _audit(runtime, "cancel", issue_id, "ok", f"job {job.id}")
        flash(f"Cancelled job #{job.id}: nothing is sent.", "ok")
    return _issue_page(issue_id, runtime)


@bp.post("/<issue_id>/reschedule")
@login_required
def reschedule(issue_id: str) -> Response:
    """Move a waiting, missed or failed send of the issue to another time."""
    _known_issue(issue_id)
    runtime = acting_runtime()
    text = request.form.get("send_at", "")

    def move() -> Job:
        job = _job_of(runtime, issue_id)
        return scheduling.reschedule_job(
            runtime, job.id, scheduling.parse_send_time(text, runtime.tz)
        )

    job = _attempt(
        runtime, "reschedule", "Rescheduling", issue_id, move,
        detail=f"job {request.form.get('job_id', '')} to {text!r}",
    )  # fmt: skip
    if job is not None:
        when = local_time(job.send_at, runtime.tz)
        _audit(runtime, "reschedule", issue_id, "ok", f"job {job.id} to {when}")
        flash(f"Job #{job.id} now sends at {when}.", "ok")
    return _issue_page(issue_id, runtime)


def _job_of(runtime: Runtime, issue_id: str) -> Job:
    """Return the job the form names, which must be one of this issue's."""
    try:
        job_id = int(request.form.get("job_id", ""))
    except ValueError:
        raise ValueError("the form names no job") from None
    job = scheduling.get_job(runtime, job_id)
    if job.issue_id != issue_id:
        raise scheduling.JobNotFound(job_id)
    return job
