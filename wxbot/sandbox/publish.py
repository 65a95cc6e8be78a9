"""Free publishing: ``freepublish/submit``, ``get``, ``batchget``, ``getarticle``, ``delete``.

https://developers.weixin.qq.com/doc/service/api/public/api_freepublish_get
submit only accepts the task (publish_status 1); after ``publish_delay`` seconds of account time
the job ends — success unless a fault says otherwise — and PUBLISHJOBFINISH is delivered.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import events, limits
from .drafts import live_draft, page
from .protocol import ApiError, Call, Reply, ok, require
from .state import PublishedArticle, PublishJob

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


def article_url(base: str, article_id: str, idx: int) -> str:
    """Return the public URL of item ``idx`` (1-based) of a published article."""
    return f"{base}/s/{article_id}" + ("" if idx == 1 else f"/{idx}")


def publish_article(
    account: Account, source: str, articles: list[dict[str, Any]]
) -> PublishedArticle:
    """Create the public pages of a set of articles and return their record."""
    article_id = account.state.new_id(43)
    urls = [article_url(account.public_base(), article_id, i + 1) for i in range(len(articles))]
    published = PublishedArticle(article_id, source, articles, urls, account.now())
    account.state.articles[article_id] = published
    return published


def submit(account: Account, call: Call) -> Reply:
    """Accept a draft for publishing and answer the publish_id."""
    draft = live_draft(account, require(call.json(), "media_id"))
    now = account.now()
    job = PublishJob(
        publish_id=str(account.state.number()),
        msg_data_id=account.state.number(),
        media_id=draft.media_id,
        articles=[dict(a) for a in draft.articles],
        submitted_at=now,
        due_at=now + account.settings.publish_delay,
    )
    outcome = account.faults.take_outcome("freepublish/submit")
    if outcome is not None and outcome.publish_status is not None:
        job.outcome, job.fail_idx = outcome.publish_status, list(outcome.fail_idx)
    account.state.publishes[job.publish_id] = job
    return ok(publish_id=job.publish_id, msg_data_id=job.msg_data_id)


def complete_due(account: Account) -> None:
    """End every publish whose time has come and queue its PUBLISHJOBFINISH."""
    now = account.now()
    for job in account.state.publishes.values():
        if job.status != limits.PUBLISH_PUBLISHING or now < job.due_at:
            continue
        job.status, job.finished_at = job.outcome, now
        if job.outcome == limits.PUBLISH_SUCCESS:
            job.fail_idx = []
            job.article_id = publish_article(account, "freepublish", job.articles).article_id
            draft = account.state.drafts.get(job.media_id)
            if draft is not None and not draft.removed:
                draft.removed = "published"
        logger.info("publish %s finished with status %s", job.publish_id, job.status)
        events.queue_publish_finished(account, job)


def get_status(account: Account, call: Call) -> Reply:
    """Answer a publish job's status (0 success, 1 publishing, 2–6 failures)."""
    job = account.state.publishes.get(str(require(call.json(), "publish_id", (str, int))))
    if job is None:
        raise ApiError(40097, "no such publish_id")
    return Reply(status_body(account, job))


def status_body(account: Account, job: PublishJob) -> dict[str, Any]:
    """Return the freepublish/get answer for ``job``."""
    body: dict[str, Any] = {"publish_id": job.publish_id, "publish_status": job.status}
    if job.article_id:
        body["article_id"] = job.article_id
        urls = account.state.articles[job.article_id].urls
        body["article_detail"] = {
            "count": len(urls),
            "item": [{"idx": i, "article_url": u} for i, u in enumerate(urls, start=1)],
        }
    body["fail_idx"] = job.fail_idx
    return body


def batchget(account: Account, call: Call) -> Reply:
    """Answer a page of freely published articles (mass-sent ones are not listed)."""
    body = call.json()
    offset, count = page(body)
    no_content = body.get("no_content") in (1, "1", True)
    published = sorted(
        (a for a in account.state.articles.values() if a.source == "freepublish"),
        key=lambda a: a.published_at,
        reverse=True,
    )
    items = [
        {
            "article_id": a.article_id,
            "content": {
                "news_item": _news_items(account, a, no_content=no_content),
                "create_time": int(a.published_at),
                "update_time": int(a.published_at),
            },
            "update_time": int(a.published_at),
        }
        for a in published[offset : offset + count]
    ]
    return Reply({"total_count": len(published), "item_count": len(items), "item": items})


def get_article(account: Account, call: Call) -> Reply:
    """Answer one published article's items."""
    article = _published(account, require(call.json(), "article_id"))
    return Reply({"news_item": _news_items(account, article)})


def delete(account: Account, call: Call) -> Reply:
    """Delete item ``index`` (1-based; 0 or absent = all) of a published article."""
    body = call.json()
    article = _published(account, require(body, "article_id"))
    index = body.get("index", 0) or 0
    if not isinstance(index, int) or not 0 <= index <= len(article.articles):
        raise ApiError(40097, "index is outside the article")
    article.deleted.update([index] if index else range(1, len(article.articles) + 1))
    if len(article.deleted) == len(article.articles):
        for job in account.state.publishes.values():
            if job.article_id == article.article_id:
                job.status = limits.PUBLISH_USER_DELETED
    return ok()


def _published(account: Account, article_id: Any) -> PublishedArticle:
    article = account.state.articles.get(article_id) if isinstance(article_id, str) else None
    if article is None or article.source != "freepublish":
        raise ApiError(53600)
    return article


def _news_items(
    account: Account, article: PublishedArticle, *, no_content: bool = False
) -> list[dict[str, Any]]:
    items = []
    for idx, (item, url) in enumerate(zip(article.articles, article.urls, strict=True), start=1):
        entry = dict(item)
        if no_content:
            entry.pop("content", None)
        thumb = account.state.materials.get(item["thumb_media_id"])
        entry.update(url=url, thumb_url=thumb.url if thumb else "")
        entry["is_deleted"] = idx in article.deleted
        items.append(entry)
    return items
