"""Free publishing: submit a draft, read a job's status, list what was published.

https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html
``submit`` only means "task accepted": the result comes from ``get`` or PUBLISHJOBFINISH.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import WeChatApi
from .errors import WeChatNetworkError
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


def submit(api: WeChatApi, media_id: str) -> str:
    """Publish a draft without pushing it; return the publish_id (never repeated).

    https://developers.weixin.qq.com/doc/offiaccount/Publish/Publish.html
    """
    answer = api.post("freepublish/submit", {"media_id": media_id}, idempotent=False)
    if not answer.get("publish_id"):
        raise WeChatNetworkError("freepublish/submit", "the answer carried no publish_id")
    return str(answer["publish_id"])


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
