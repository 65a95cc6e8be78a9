"""What WeChat reports back: publish results, completion events, and the article URL backfill.

An article URL comes from ``freepublish/get``, a PUBLISHJOBFINISH or MASSSENDJOBFINISH event,
or ``freepublish/batchget``; whichever arrives, it lands in ``issue_links`` (the follower
search links to it). MASSSENDJOBFINISH also finishes the scheduled job that made the send (the
scheduler's status poll is the fallback when no event comes). Events may come twice: handling
one again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection

from ..runtime import Runtime
from ..states import DraftState, JobState, SendStatus
from ..storage import issue_links
from ..storage import jobs as job_store
from ..storage import publications as store
from ..wechat import WeChatApi, account_key, freepublish
from ..wechat.events import MassSendJobFinish, PublishJobFinish
from ..wechat.freepublish import PublishStatus
from ..wechat.limits import BATCHGET_COUNT_MAX, PUBLISH_PUBLISHING, PUBLISH_SUCCESS

logger = logging.getLogger(__name__)


def record_publish_status(
    runtime: Runtime, account: str, status: PublishStatus, source: str
) -> store.PublishJobRow | None:
    """Store a publish job's status; on success, its article URL and the draft as consumed."""
    now = runtime.now()
    with runtime.db.begin() as conn:
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
        send = store.get_mass_send(conn, account, str(event.msg_id))
        if send is None or send.msg_id != str(event.msg_id):
            logger.info("mass send %s is not one of ours; ignored", event.msg_id)
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
            _finish_job(conn, send.clientmsgid, outcome, event, now)


def _finish_job(
    conn: Connection,
    clientmsgid: str,
    status: SendStatus,
    event: MassSendJobFinish,
    now: dt.datetime,
) -> None:
    """Finish the scheduled job that made the send, or (finished by a poll) log its counts."""
    job = job_store.job_of_send(conn, clientmsgid)
    state = status.job_state
    if job is None or state is None or not job.msg_id:
        return  # a send made directly, or its job is not yet recorded as submitted
    error = None if state is JobState.SENT else f"WeChat reports the send failed ({event.status})"
    detail = f"sent {event.sent_count}/{event.total_count}, errors {event.error_count}"
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
        with runtime.db.begin() as conn:
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
    """Record an issue's article URL; return whether it was new or different."""
    if issue_links.article_urls(conn, [issue_id]).get(issue_id) == url:
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
