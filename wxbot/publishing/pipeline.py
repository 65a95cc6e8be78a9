"""``wxbot publish``: prepare the draft, then publish it or mass-send it, resuming any earlier run.

Modes: ``draft`` (prepare only), ``publish`` (freepublish/submit, then wait for the result:
an article URL without a push) and ``mass`` (message/mass/sendall: a push to followers).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from ..archive import get_issue
from ..model import Issue
from ..runtime import Runtime
from ..states import DraftState, RunStatus, StepStatus
from ..storage import issue_links, publish_runs
from ..storage import publications as store
from ..wechat import WeChatApi, WeChatError, WeChatNetworkError, account_key, freepublish
from ..wechat.errors import INVALID_MEDIA_ID
from ..wechat.limits import PUBLISH_STATUS_TEXT, PUBLISH_SUCCESS
from .mass import audience_of, default_clientmsgid, send_prepared
from .prepare import PreviewTarget, default_preview_openids, prepare_draft, preview_targets
from .records import Progress, PublishError, PublishFailed, PublishRecord, RunLog, run_log
from .results import is_pending, record_publish_status, set_url

MODES = ("draft", "publish", "mass")


def publish_issue(
    runtime: Runtime,
    issue_id: str,
    mode: str,
    *,
    tag_id: int | None = None,
    preview_to: str | None = None,
    preview_wxname: str | None = None,
    progress: Progress | None = None,
    wait: float | None = None,
) -> PublishRecord:
    """Take an issue to WeChat in ``mode`` (draft, publish or mass), recording every step.

    A re-run resumes: uploads, the draft, a submitted publish and an accepted send are found
    in the records and not repeated. Previews go to ``preview_to``/``preview_wxname``, and in
    mass mode by default to ``[publish] preview_openids`` (the default account's only). A
    publish waits up to ``wait`` seconds for WeChat's result (default ``[publish]
    wait_timeout``; 0: submit and return).
    :raises IssueNotFound, ComplianceError, PublishError, WeChatError, WeChatNetworkError:
        each saying in plain words what went wrong; the failed step is recorded.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if tag_id is not None and mode != "mass":
        raise PublishError("a tag only applies to a mass send (--mode mass)")
    issue = get_issue(runtime, issue_id)
    api = WeChatApi(runtime)
    openids: Sequence[str] = [preview_to] if preview_to else []
    if mode == "mass" and not (preview_to or preview_wxname):
        openids = list(default_preview_openids(runtime))
    recipients = preview_targets(openids, preview_wxname)
    with run_log(runtime, issue.id, mode, progress) as run:
        if mode == "draft":
            prepared = prepare_draft(runtime, api, run, issue, recipients=recipients)
            ending = _Ending(
                RunStatus.DONE, f"draft {prepared.action}: version {prepared.version}",
                {"draft_media_id": prepared.media_id},
            )  # fmt: skip
        elif mode == "publish":
            waited = runtime.settings.publish.wait_timeout if wait is None else wait
            ending = _publish(runtime, api, run, issue, recipients, waited)
        else:
            ending = _mass(runtime, api, run, issue, recipients, tag_id)
        run.finish(ending.status, ending.summary)
    with runtime.db.begin() as conn:
        url = issue_links.article_urls(conn, [issue.id]).get(issue.id, "")
    # This account's own article, when known: each account publishes its own.
    fields = {"article_url": url, **{k: v for k, v in ending.fields.items() if v}}
    return PublishRecord(
        run_id=run.id, issue_id=issue.id, mode=mode, status=ending.status,
        summary=ending.summary, steps=run.row().steps, account=runtime.account, **fields,
    )  # fmt: skip


@dataclass(frozen=True)
class _Ending:
    status: RunStatus
    summary: str
    fields: dict[str, Any]


def _publish(
    runtime: Runtime,
    api: WeChatApi,
    run: RunLog,
    issue: Issue,
    recipients: Sequence[PreviewTarget],
    wait: float,
) -> _Ending:
    recovered = _recover_lost_submit(runtime, api, run, issue.id)
    if recovered is not None:
        return _Ending(
            RunStatus.DONE, f"published: {recovered.article_url}", _job_fields(recovered)
        )
    with runtime.db.begin() as conn:
        jobs = store.publish_jobs_of(conn, api.account, issue.id)
    if jobs and is_pending(jobs[0]):
        job = jobs[0]
        run.record("submit", f"submitted before: publish_id {job.publish_id}", StepStatus.SKIPPED)
    else:
        prepared = prepare_draft(
            runtime, api, run, issue, recipients=recipients, keep_consumed=True
        )
        done = [
            j for j in jobs if j.status == PUBLISH_SUCCESS and j.draft_media_id == prepared.media_id
        ]
        if prepared.action == DraftState.PUBLISHED and done:
            run.record("submit", f"already published: {done[0].article_url}", StepStatus.SKIPPED)
            return _Ending(
                RunStatus.DONE, f"already published: {done[0].article_url}", _job_fields(done[0])
            )
        job = _submit(runtime, api, run, issue.id)
    with run.step("wait") as step:
        job = _wait(runtime, api, job, wait)
        if is_pending(job):
            step.detail = (
                f"still publishing after {wait:g}s; PUBLISHJOBFINISH or `wxbot sync` will "
                "record the result"
            )
            return _Ending(
                RunStatus.WAITING, f"publish_id {job.publish_id} still publishing", _job_fields(job)
            )
        if job.status != PUBLISH_SUCCESS:
            failed = f" (failed articles: {job.fail_idx})" if job.fail_idx else ""
            raise PublishFailed(
                f"WeChat did not publish issue {issue.id}: "
                f"{PUBLISH_STATUS_TEXT.get(job.status or 0, str(job.status))}{failed}"
            )
        step.detail = f"published: {job.article_url}"
    return _Ending(RunStatus.DONE, f"published: {job.article_url}", _job_fields(job))


def _submit(runtime: Runtime, api: WeChatApi, run: RunLog, issue_id: str) -> store.PublishJobRow:
    """Submit the issue's draft for publishing and record the job.

    A submit that got -1 or no answer is not simply repeated: freepublish.submit first
    watches the published list for its article (up to ``wait_timeout``) and adopts it.
    """
    publish = runtime.settings.publish
    with run.step("submit") as step:
        draft = _draft(runtime, api, issue_id)
        with runtime.db.begin() as conn:
            known = {j.article_id for j in store.publish_jobs_of(conn, api.account, issue_id)}
        try:
            submitted = freepublish.submit(
                api, draft.media_id, titles=(draft.title,), known_article_ids=known - {""},
                settle=publish.wait_timeout, poll=publish.poll_interval,
            )  # fmt: skip
        except WeChatError as exc:
            _forget_lost_draft(runtime, api, draft, exc)
            raise
        except WeChatNetworkError:
            # It may have gone through: the next run looks for the article before submitting.
            with runtime.db.begin() as conn:
                store.set_draft_state(
                    conn, api.account, draft.media_id, DraftState.SUBMITTING, runtime.now()
                )
            raise
        if submitted.found is not None:
            job = _adopt_published(runtime, api, draft, submitted.found)
            step.detail = f"a submit whose answer was lost went through: {submitted.found.url}"
            return job
        with runtime.db.begin() as conn:
            store.add_publish_job(conn, api.account, submitted.publish_id, draft, runtime.now())
            found_job = store.get_publish_job(conn, api.account, submitted.publish_id)
        assert found_job is not None
        step.detail = f"publish_id {submitted.publish_id} (draft version {draft.version})"
    return found_job


def _adopt_published(
    runtime: Runtime, api: WeChatApi, draft: store.DraftRow, item: freepublish.PublishedItem
) -> store.PublishJobRow:
    """Record an article found published, whose submit's answer never reached us."""
    publish_id = f"article:{item.article_id}"  # WeChat's publish_id never reached us
    now = runtime.now()
    with runtime.db.begin() as conn:
        store.add_publish_job(conn, api.account, publish_id, draft, now)
        store.finish_publish_job(
            conn, api.account, publish_id, status=PUBLISH_SUCCESS, article_id=item.article_id,
            article_url=item.url, fail_idx="", now=now,
        )  # fmt: skip
        store.set_draft_state(conn, api.account, draft.media_id, DraftState.PUBLISHED, now)
        set_url(conn, draft.issue_id, item.url, "freepublish/batchget", runtime)
        job = store.get_publish_job(conn, api.account, publish_id)
    assert job is not None
    return job


def _recover_lost_submit(
    runtime: Runtime, api: WeChatApi, run: RunLog, issue_id: str
) -> store.PublishJobRow | None:
    """After a run whose submit got no answer, find its article by title; else allow a new one."""
    with runtime.db.begin() as conn:
        draft = store.get_draft(conn, api.account, issue_id)
        known = {j.article_id for j in store.publish_jobs_of(conn, api.account, issue_id)}
    if draft is None or draft.state is not DraftState.SUBMITTING:
        return None
    with run.step("recover") as step:
        item = freepublish.watch_for_article(api, (draft.title,), known - {""})
        if item is None:
            with runtime.db.begin() as conn:
                store.set_draft_state(
                    conn, api.account, draft.media_id, DraftState.LIVE, runtime.now()
                )
            step.detail = "the last submit got no answer and nothing was published: submit again"
            return None
        job = _adopt_published(runtime, api, draft, item)
        step.detail = f"the last submit went through: {item.url}"
    return job


def _wait(
    runtime: Runtime, api: WeChatApi, job: store.PublishJobRow, wait: float
) -> store.PublishJobRow:
    """Wait up to ``wait`` s for a job's result: from the records (an event) or freepublish/get."""
    publish = runtime.settings.publish
    deadline = time.monotonic() + wait
    while is_pending(job):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        time.sleep(min(publish.poll_interval, remaining))
        with runtime.db.begin() as conn:
            job = store.get_publish_job(conn, api.account, job.publish_id) or job
        if not is_pending(job):
            break
        status = freepublish.get_status(api, job.publish_id)
        job = record_publish_status(runtime, api.account, status, "freepublish/get") or job
    return job


def _mass(
    runtime: Runtime,
    api: WeChatApi,
    run: RunLog,
    issue: Issue,
    recipients: Sequence[PreviewTarget],
    tag_id: int | None,
) -> _Ending:
    audience = audience_of(tag_id)
    with runtime.db.begin() as conn:
        sends = store.mass_sends_of(conn, api.account, issue.id)
    reached = [s for s in sends if s.audience == audience and s.status.may_have_reached]
    if reached and reached[0].msg_id:
        send = reached[0]
        detail = f"already sent to {audience}: msg_id {send.msg_id}"
        run.record("sendall", detail, StepStatus.SKIPPED)
        return _Ending(RunStatus.DONE, f"already sent to {audience}", _send_fields(send))
    if reached:  # the last call got no answer: repeat exactly that call
        clientmsgid = reached[0].clientmsgid
    else:
        prepared = prepare_draft(runtime, api, run, issue, recipients=recipients)
        clientmsgid = default_clientmsgid(issue.id, audience, prepared.version, runtime.account)
    outcome = send_prepared(runtime, api, run, issue.id, clientmsgid=clientmsgid, tag_id=tag_id)
    with runtime.db.begin() as conn:
        accepted = store.get_mass_send(conn, api.account, clientmsgid)
    assert accepted is not None
    return _Ending(
        RunStatus.DONE, f"sent to {audience}: msg_id {outcome.msg_id}", _send_fields(accepted)
    )


def _draft(runtime: Runtime, api: WeChatApi, issue_id: str) -> store.DraftRow:
    with runtime.db.begin() as conn:
        draft = store.get_draft(conn, api.account, issue_id)
    if draft is None or not draft.state.in_box:
        raise PublishError(f"issue {issue_id} has no draft in WeChat's draft box")
    return draft


def _forget_lost_draft(
    runtime: Runtime, api: WeChatApi, draft: store.DraftRow, exc: WeChatError
) -> None:
    """Mark a draft WeChat no longer has, so that a re-run makes a new one."""
    if exc.errcode == INVALID_MEDIA_ID:
        with runtime.db.begin() as conn:
            store.set_draft_state(conn, api.account, draft.media_id, DraftState.GONE, runtime.now())


def _job_fields(job: store.PublishJobRow) -> dict[str, Any]:
    return {
        "draft_media_id": job.draft_media_id,
        "publish_id": job.publish_id,
        "article_id": job.article_id,
        "article_url": job.article_url,
    }


def _send_fields(send: store.MassSendRow) -> dict[str, Any]:
    return {
        "draft_media_id": send.draft_media_id,
        "msg_id": send.msg_id,
        "article_url": send.article_url,
    }


@dataclass(frozen=True)
class IssueStatus:
    """Where an issue stands on WeChat, and every run that took it there."""

    issue_id: str
    article_url: str | None
    draft: store.DraftRow | None
    publish_jobs: list[store.PublishJobRow]
    mass_sends: list[store.MassSendRow]
    runs: list[publish_runs.RunRow]


def issue_status(runtime: Runtime, issue_id: str, runs: int | None = None) -> IssueStatus:
    """Return an issue's draft, publish jobs, mass sends, article URL and run history."""
    get_issue(runtime, issue_id)
    return known_issue_status(runtime, issue_id, runs)


def known_issue_status(runtime: Runtime, issue_id: str, runs: int | None = None) -> IssueStatus:
    """Return :func:`issue_status` of an issue the caller found in the archive already."""
    with runtime.db.begin() as conn:
        return read_issue_status(
            conn, account_key(runtime.settings.wechat), issue_id, runs, account_name=runtime.account
        )


def read_issue_status(
    conn: Connection, account: str, issue_id: str, runs: int | None = None, *, account_name: str
) -> IssueStatus:
    """Return :func:`issue_status` read in the caller's transaction (``runs=0``: no runs).

    ``account`` is the account's key (its WeChat records), ``account_name`` its name (its runs).
    """
    return IssueStatus(
        issue_id=issue_id,
        article_url=issue_links.article_url(conn, issue_id),
        draft=store.get_draft(conn, account, issue_id),
        publish_jobs=store.publish_jobs_of(conn, account, issue_id),
        mass_sends=store.mass_sends_of(conn, account, issue_id),
        runs=[] if runs == 0 else publish_runs.runs_of(conn, issue_id, runs, account=account_name),
    )
