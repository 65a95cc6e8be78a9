"""Free publishing: submit a draft, read a job's status, list what was published.

https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html
``submit`` only means "task accepted": the result comes from ``get`` or PUBLISHJOBFINISH.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .client import WeChatApi
from .errors import INVALID_MEDIA_ID, WeChatError, WeChatNetworkError
from .limits import BATCHGET_COUNT_MAX, PUBLISH_STATUS_TEXT


@dataclass(frozen=True)
class PublishStatus:
    """A publish job as ``freepublish/get`` reports it (0 success, 1 publishing, 2–6 failed)."""

    publish_id: str
    status: int
    article_id: str = ""
    article_urls: tuple[str, ...] = ()
    fail_idx: tuple[int, ...] = ()

    @property
    def finished(self) -> bool:
        """Return whether the job is over, one way or the other."""
        return self.status != 1

    @property
    def description(self) -> str:
        """Return the status in plain words."""
        return PUBLISH_STATUS_TEXT.get(self.status, f"status {self.status}")


@dataclass(frozen=True)
class PublishedItem:
    """One freely published article as ``freepublish/batchget`` lists it."""

    article_id: str
    index: int
    title: str
    url: str
    deleted: bool


@dataclass(frozen=True)
class Submitted:
    """A submit WeChat accepted: its publish_id, or — when its answer was lost — the article."""

    publish_id: str
    found: PublishedItem | None = None


def submit(
    api: WeChatApi,
    media_id: str,
    *,
    titles: Sequence[str],
    known_article_ids: Collection[str] = (),
    settle: float = 0.0,
    poll: float = 1.0,
) -> Submitted:
    """Publish a draft without pushing it, never twice.

    freepublish/submit is not safe to repeat: after -1 or a lost answer, the published list
    (freepublish/batchget) is watched for up to ``settle`` seconds for an article with these
    ``titles`` that is not among ``known_article_ids``; one found is adopted, else the call
    is made again. A repeat answered 40007 means the lost call consumed the draft.
    https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html
    """
    name = "freepublish/submit"
    lost = False

    def find() -> Submitted | None:
        nonlocal lost
        lost = True
        try:
            item = watch_for_article(api, titles, known_article_ids, settle=settle, poll=poll)
        except (WeChatError, WeChatNetworkError) as exc:
            # The submit may have gone through: report it as unanswered, never as refused.
            raise WeChatNetworkError(name, f"looking for its article failed: {exc}") from None
        return Submitted("", item) if item is not None else None

    def make() -> Submitted:
        try:
            answer = api.post(name, {"media_id": media_id}, idempotent=False)
        except WeChatError as exc:
            if not (lost and exc.errcode == INVALID_MEDIA_ID):
                raise
            found = find()
            if found is not None:
                return found
            raise WeChatNetworkError(
                name, "an earlier submit whose answer was lost took the draft, and its article "
                "is not listed yet",
            ) from None  # fmt: skip
        if not answer.get("publish_id"):
            raise WeChatNetworkError(name, "the answer carried no publish_id")
        return Submitted(str(answer["publish_id"]))

    return api.create(name, make, find)


def watch_for_article(
    api: WeChatApi,
    titles: Sequence[str],
    known_article_ids: Collection[str] = (),
    *,
    settle: float = 0.0,
    poll: float = 1.0,
) -> PublishedItem | None:
    """Return the first item of a newly published article with ``titles``, watching ``settle`` s.

    A publish shows in freepublish/batchget only once it succeeded, so a submit that took
    effect may need a while to appear.
    """
    deadline = time.monotonic() + settle
    while True:
        _, items = list_published(api)
        by_article: dict[str, list[PublishedItem]] = {}
        for item in items:
            by_article.setdefault(item.article_id, []).append(item)
        for article_id, article in by_article.items():
            if article_id in known_article_ids or any(i.deleted for i in article):
                continue
            if [i.title for i in sorted(article, key=lambda i: i.index)] == list(titles):
                return min(article, key=lambda i: i.index)
        if time.monotonic() >= deadline:
            return None
        api.sleep(min(poll, max(deadline - time.monotonic(), 0.0)))


def get_status(api: WeChatApi, publish_id: str) -> PublishStatus:
    """Return a publish job's status.

    https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_status.html
    """
    answer = api.post("freepublish/get", {"publish_id": publish_id}, idempotent=True)
    detail = answer.get("article_detail") or {}
    items = sorted(detail.get("item") or [], key=lambda i: int(i.get("idx", 0)))
    return PublishStatus(
        publish_id=str(answer.get("publish_id", publish_id)),
        status=int(answer["publish_status"]),
        article_id=str(answer.get("article_id") or ""),
        article_urls=tuple(str(i["article_url"]) for i in items if i.get("article_url")),
        fail_idx=tuple(int(i) for i in answer.get("fail_idx") or ()),
    )


def list_published(api: WeChatApi, offset: int = 0, count: int = BATCHGET_COUNT_MAX) -> tuple[
    int, list[PublishedItem]
]:  # fmt: skip
    """Return the total and one page of freely published articles, newest first.

    https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_publication_records.html
    """
    answer = api.post(
        "freepublish/batchget",
        {"offset": offset, "count": min(count, BATCHGET_COUNT_MAX), "no_content": 1},
        idempotent=True,
    )
    items: list[PublishedItem] = []
    for entry in answer.get("item") or []:
        news: list[dict[str, Any]] = (entry.get("content") or {}).get("news_item") or []
        for index, news_item in enumerate(news, start=1):
            items.append(
                PublishedItem(
                    article_id=str(entry.get("article_id", "")),
                    index=index,
                    title=str(news_item.get("title", "")),
                    url=str(news_item.get("url", "")),
                    deleted=bool(news_item.get("is_deleted")),
                )
            )
    return int(answer.get("total_count", 0)), items
