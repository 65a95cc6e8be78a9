"""What WeChat reports back: publish results, completion events, and the article URL backfill.

An article URL comes from ``freepublish/get``, a PUBLISHJOBFINISH or MASSSENDJOBFINISH event,
or ``freepublish/batchget``; whichever arrives, it lands in ``issue_links`` (the follower
search links to it). MASSSENDJOBFINISH also finishes the scheduled job that made the send. Its
``MsgID`` is not documented to be sendall's ``msg_id`` (field reports show other numbers), so it
is matched by msg_id or msg_data_id, and every send still unfinished is asked about with
``message/mass/get`` (:func:`reconcile_mass_sends`, from ``wxbot sync`` and the worker) — the
outcome is learned even when no event is matched or no server runs. Events may come twice:
handling one again changes nothing.
https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Batch_Sends_and_Originality_Checks.html
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import WxbotError
from ..runtime import Runtime
from ..states import DraftState, JobState, SendStatus
from ..storage import issue_links
from ..storage import jobs as job_store
from ..storage import publications as store
from ..wechat import WeChatApi, account_key, freepublish, mass_send
from ..wechat.events import MassSendJobFinish, PublishJobFinish
from ..wechat.freepublish import PublishStatus
from ..wechat.limits import BATCHGET_COUNT_MAX, PUBLISH_PUBLISHING, PUBLISH_SUCCESS
from .records import MassSendStatus

logger = logging.getLogger(__name__)


def record_publish_status(
    runtime: Runtime, account: str, status: PublishStatus, source: str
) -> store.PublishJobRow | None:
    """Store a publish job's status; on success, its article URL and the draft as consumed."""
    now = runtime.now()
    with runtime.db.begin_write() as conn:  # reads, then writes: take the lock first
        job = store.get_publish_job(conn, account, status.publish_id)
        if job is None:
            logger.info("publish %s is not one of ours; ignored", status.publish_id)
            return None
        url = status.article_urls[0] if status.article_urls else ""
        store.finish_publish_job(
            conn, account, status.publish_id, status=status.status,
            article_id=status.article_id, article_url=url,
            fail_idx=",".join(str(i) for i in status.fail_idx), now=now,
        )  # fmt: skip
        if status.status == PUBLISH_SUCCESS:
            store.set_draft_state(conn, account, job.draft_media_id, DraftState.PUBLISHED, now)
            if url:
                set_url(conn, job.issue_id, url, source, runtime)
        return store.get_publish_job(conn, account, status.publish_id)


def on_wechat_event(runtime: Runtime, event: PublishJobFinish | MassSendJobFinish) -> None:
    """Update the records from a completion event the follower callback received.

    A finished mass send also finishes the scheduled job that made it, if one did.
    """
    account = account_key(runtime.settings.wechat)
    if isinstance(event, PublishJobFinish):
        urls = tuple(a.url for a in sorted(event.articles, key=lambda a: a.index) if a.url)
        status = PublishStatus(
            str(event.publish_id), event.publish_status, event.article_id, urls, event.fail_idx
        )
        record_publish_status(runtime, account, status, "PUBLISHJOBFINISH")
        return
    now = runtime.now()
    with runtime.db.begin_write() as conn:
        send = store.mass_send_of_event(conn, account, str(event.msg_id))
        if send is None:
            # Not ours, or an id WeChat gave only the event (its documented example matches
            # neither msg_id nor msg_data_id): some send ended, so the worker asks
            # message/mass/get about every submitted job at its next step.
            due = job_store.look_at_outcomes_now(conn, now)
            logger.info(
                "MASSSENDJOBFINISH %s matches no send of ours; %d submitted jobs to be asked "
                "about with message/mass/get", event.msg_id, due,
            )  # fmt: skip
            return
        outcome = SendStatus.SUCCESS if event.succeeded else SendStatus.FAILED
        found = [a.url for a in sorted(event.articles, key=lambda a: a.index) if a.url]
        store.update_mass_send(
            conn, account, send.clientmsgid, now, status=outcome,
            total_count=event.total_count, filter_count=event.filter_count,
            sent_count=event.sent_count, error_count=event.error_count,
            article_url=found[0] if found else send.article_url,
            error="" if event.succeeded else event.status, finished_at=now,
        )  # fmt: skip
        if event.succeeded and found:
            set_url(conn, send.issue_id, found[0], "MASSSENDJOBFINISH", runtime)
        if send.total_count is None:  # the first delivery of this event
            detail = f"sent {event.sent_count}/{event.total_count}, errors {event.error_count}"
            _finish_job(conn, send.clientmsgid, outcome, detail, event.status, now)


def reconcile_mass_sends(
    runtime: Runtime, *, checked_before: dt.datetime | None = None, direct_only: bool = False
) -> int:
    """Ask WeChat (``message/mass/get``) how every unfinished send went; return how many ended.

    A send that ended finishes the scheduled job that made it, if one did.
    :param checked_before: only ask about sends not looked at since then (the worker's pace).
    :param direct_only: leave out the sends of scheduled jobs (the worker follows those).
    """
    api = WeChatApi(runtime)
    with runtime.db.begin() as conn:
        pending = store.unfinished_mass_sends(conn, api.account, checked_before=checked_before)
        if direct_only:
            pending = [s for s in pending if job_store.job_of_send(conn, s.clientmsgid) is None]
    ended = 0
    for send in pending:
        try:
            msg_status = mass_send.get_status(api, send.msg_id)
        except WxbotError as exc:
            logger.warning("mass send %s: message/mass/get failed: %s", send.msg_id, exc)
            continue
        if record_mass_status(runtime, api.account, send.clientmsgid, msg_status, finish_job=True):
            ended += 1
    logger.info("sync: %d of %d unfinished mass sends ended", ended, len(pending))
    return ended


def record_mass_status(
    runtime: Runtime, account: str, clientmsgid: str, msg_status: str, *, finish_job: bool
) -> SendStatus | None:
    """Store what ``message/mass/get`` said of a send; return its final status once it ended.

    :param finish_job: also finish the scheduled job that made the send (the worker's own
        outcome poll finishes its jobs itself).
    """
    outcome = MassSendStatus(clientmsgid, msg_status).outcome
    now = runtime.now()
    with runtime.db.begin_write() as conn:
        send = store.get_mass_send(conn, account, clientmsgid)
        if send is None:
            return None
        if outcome is None or send.status.is_final:
            store.update_mass_send(conn, account, clientmsgid, now)  # looked at: now
            return outcome
        error = "" if outcome.reached_followers else f"message/mass/get: {msg_status}"
        store.update_mass_send(
            conn, account, clientmsgid, now, status=outcome, error=error, finished_at=now
        )
        if finish_job:
            _finish_job(conn, clientmsgid, outcome, f"message/mass/get: {msg_status}",
                        msg_status, now)  # fmt: skip
    return outcome


def _finish_job(
    conn: Connection,
    clientmsgid: str,
    status: SendStatus,
    detail: str,
    wechat_status: str,
    now: dt.datetime,
) -> None:
    """Finish the scheduled job that made the send, or (finished by a poll) log its counts."""
    job = job_store.job_of_send(conn, clientmsgid)
    state = status.job_state
    if job is None or state is None or not job.msg_id:
        return  # a send made directly, or its job is not yet recorded as submitted
    error = None if state is JobState.SENT else f"WeChat reports the send failed ({wechat_status})"
    if job_store.finish(conn, job, state, error=error, detail=detail, now=now):
        logger.info("job %d (issue %s) %s: %s", job.id, job.issue_id, state, detail)


def sync_article_urls(runtime: Runtime) -> int:
    """Fill in article URLs WeChat knows and we missed; return how many issues changed.

    Publish jobs still without a result are asked about (``freepublish/get``); then the list
    of freely published articles (``freepublish/batchget``) is matched to issues by
    article_id, or by title for drafts published by hand in the web console.
    """
    api = WeChatApi(runtime)
    changed: set[str] = set()
    with runtime.db.begin() as conn:
        pending = store.unfinished_publish_jobs(conn, api.account)
    for job in pending:
        before = _url_of(runtime, job.issue_id)
        status = freepublish.get_status(api, job.publish_id)
        record_publish_status(runtime, api.account, status, "freepublish/get")
        if _url_of(runtime, job.issue_id) != before:
            changed.add(job.issue_id)
    offset, total = 0, 1
    while offset < total:
        total, items = freepublish.list_published(api, offset, BATCHGET_COUNT_MAX)
        offset += BATCHGET_COUNT_MAX
        with runtime.db.begin_write() as conn:
            known = store.article_ids(conn, api.account)
            for item in items:
                if item.index != 1 or item.deleted or not item.url:
                    continue
                issue_id = known.get(item.article_id)
                if issue_id is None:
                    draft = store.find_draft_by_title(conn, api.account, item.title)
                    issue_id = draft.issue_id if draft is not None else None
                if issue_id and set_url(conn, issue_id, item.url, "freepublish/batchget", runtime):
                    changed.add(issue_id)
    logger.info("sync: %d article URLs added or changed", len(changed))
    return len(changed)


def set_url(conn: Connection, issue_id: str, url: str, source: str, runtime: Runtime) -> bool:
    """Record an issue's article URL; return whether it was new or different.

    The issue has one link (the archive and the follower search are shared by every account):
    the default account's article. Another account's fills it in only while there is none;
    its own URL stays on its publish job or send.
    """
    known = issue_links.article_urls(conn, [issue_id]).get(issue_id)
    if known == url or (known and runtime.account != DEFAULT_ACCOUNT):
        return False
    try:
        with conn.begin_nested():
            issue_links.set_article_url(conn, issue_id, url, source, runtime.now())
    except IntegrityError:  # another account's result added the issue's link meanwhile
        if runtime.account != DEFAULT_ACCOUNT:
            return False
        issue_links.set_article_url(conn, issue_id, url, source, runtime.now())
    return True


def _url_of(runtime: Runtime, issue_id: str) -> str | None:
    with runtime.db.begin() as conn:
        return issue_links.article_urls(conn, [issue_id]).get(issue_id)


def is_pending(job: store.PublishJobRow) -> bool:
    """Return whether WeChat has not finished the job (or not told us yet)."""
    return job.status is None or job.status == PUBLISH_PUBLISHING


def check_publish(runtime: Runtime, issue_id: str) -> store.PublishJobRow | None:
    """Ask WeChat (``freepublish/get``) about the issue's unfinished publish; return its latest.

    One call per unfinished publish of the issue, none when WeChat has already told us.
    """
    api = WeChatApi(runtime)
    with runtime.db.begin() as conn:
        jobs = store.publish_jobs_of(conn, api.account, issue_id)
    for job in jobs:
        if is_pending(job):
            status = freepublish.get_status(api, job.publish_id)
            record_publish_status(runtime, api.account, status, "freepublish/get")
    with runtime.db.begin() as conn:
        jobs = store.publish_jobs_of(conn, api.account, issue_id)
    return jobs[0] if jobs else None
