"""The draft box: ``draft/add``, ``draft/update`` and ``draft/batchget``, with cover crops.

https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Update_draft.html
https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_batchget
wechatpy's ``draft.add`` rebuilds each article from eight fields and drops ``pic_crop_235_1`` and
``pic_crop_1_1``, so the documented payload is sent as built here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .client import WeChatApi
from .errors import WeChatNetworkError
from .limits import BATCHGET_COUNT_MAX


@dataclass(frozen=True)
class DraftArticle:
    """One article of a draft, with the fields WeChat documents."""

    title: str
    author: str
    digest: str
    content: str
    thumb_media_id: str
    content_source_url: str = ""
    pic_crop_235_1: str = ""
    pic_crop_1_1: str = ""
    need_open_comment: int = 0
    only_fans_can_comment: int = 0

    def payload(self) -> dict[str, Any]:
        """Return the article as the JSON object WeChat expects (empty crops left out)."""
        data: dict[str, Any] = {
            "article_type": "news",
            "title": self.title,
            "author": self.author,
            "digest": self.digest,
            "content": self.content,
            "content_source_url": self.content_source_url,
            "thumb_media_id": self.thumb_media_id,
            "need_open_comment": self.need_open_comment,
            "only_fans_can_comment": self.only_fans_can_comment,
        }
        for name in ("pic_crop_235_1", "pic_crop_1_1"):
            if getattr(self, name):
                data[name] = getattr(self, name)
        return data


def crop(x1: float, y1: float, x2: float, y2: float) -> str:
    """Return a crop as WeChat's ``X1_Y1_X2_Y2`` fractions of the image, 6 decimals at most.

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html: the crop is
    measured on the ``thumb_media_id`` image from (0,0) top left to (1,1) bottom right, each
    coordinate with at most 6 decimals (as the team's platform notes give it).
    """
    return "_".join(f"{v:.6f}".rstrip("0").rstrip(".") for v in (x1, y1, x2, y2))


@dataclass(frozen=True)
class DraftInBox:
    """One draft as ``draft/batchget`` lists it: its media_id and its articles' news items."""

    media_id: str
    update_time: int
    news_items: tuple[dict[str, Any], ...]


def content_sha256(content: str) -> str:
    """Return the hex SHA-256 of an article body, as drafts are matched by it."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def add_draft(api: WeChatApi, article: DraftArticle) -> str:
    """Create a one-article draft and return its media_id, never making two.

    draft/add is not safe to repeat: after -1 or a lost answer, the draft box is searched
    for this article (title, cover and content hash) and a draft found is adopted; only
    when none is found is the call made again.
    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
    """

    def make() -> str:
        answer = api.post("draft/add", {"articles": [article.payload()]}, idempotent=False)
        if not answer.get("media_id"):
            raise WeChatNetworkError("draft/add", "the answer carried no media_id")
        return str(answer["media_id"])

    return api.create("draft/add", make, lambda: find_draft(api, article))


def find_draft(api: WeChatApi, article: DraftArticle) -> str | None:
    """Return the media_id of the newest one-article draft holding ``article``, if any.

    Only the newest page is searched: a draft a lost call made is the newest in the box.
    """
    wanted = (article.title, article.thumb_media_id, content_sha256(article.content))
    _, drafts = list_drafts(api)
    for draft in drafts:
        if len(draft.news_items) != 1:
            continue
        item = draft.news_items[0]
        found = (
            str(item.get("title", "")),
            str(item.get("thumb_media_id", "")),
            content_sha256(str(item.get("content", ""))),
        )
        if found == wanted:
            return draft.media_id
    return None


def list_drafts(
    api: WeChatApi, offset: int = 0, count: int = BATCHGET_COUNT_MAX, *, no_content: bool = False
) -> tuple[int, list[DraftInBox]]:
    """Return the number of drafts in the box and one page of them, newest first.

    https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_batchget
    """
    answer = api.post(
        "draft/batchget",
        {
            "offset": offset,
            "count": max(1, min(count, BATCHGET_COUNT_MAX)),
            "no_content": 1 if no_content else 0,
        },
        idempotent=True,
    )
    drafts = [
        DraftInBox(
            media_id=str(entry.get("media_id", "")),
            update_time=int(entry.get("update_time", 0) or 0),
            news_items=tuple((entry.get("content") or {}).get("news_item") or ()),
        )
        for entry in answer.get("item") or []
    ]
    return int(answer.get("total_count", 0)), drafts


def update_draft(api: WeChatApi, media_id: str, article: DraftArticle, index: int = 0) -> None:
    """Replace article ``index`` (0-based) of a draft; repeating it changes nothing more.

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Update_draft.html
    """
    api.post(
        "draft/update",
        {"media_id": media_id, "index": index, "articles": article.payload()},
        idempotent=True,
    )
