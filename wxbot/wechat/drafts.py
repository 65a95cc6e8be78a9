"""The draft box: ``draft/add`` and ``draft/update`` of one article, with its cover crops.

https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Update_draft.html
wechatpy's ``draft.add`` rebuilds each article from eight fields and drops ``pic_crop_235_1`` and
``pic_crop_1_1``, so the documented payload is sent as built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .client import WeChatApi
from .errors import WeChatNetworkError


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
    measured on the ``thumb_media_id`` image from (0,0) top left to (1,1) bottom right, "每个
    坐标值的精度为不超过小数点后六位数字".
    """
    return "_".join(f"{v:.6f}".rstrip("0").rstrip(".") for v in (x1, y1, x2, y2))


def add_draft(api: WeChatApi, article: DraftArticle) -> str:
    """Create a one-article draft and return its media_id (never repeated: it would duplicate).

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Add_draft.html
    """
    answer = api.post("draft/add", {"articles": [article.payload()]}, idempotent=False)
    if not answer.get("media_id"):
        raise WeChatNetworkError("draft/add", "the answer carried no media_id")
    return str(answer["media_id"])


def update_draft(api: WeChatApi, media_id: str, article: DraftArticle, index: int = 0) -> None:
    """Replace article ``index`` (0-based) of a draft; repeating it changes nothing more.

    https://developers.weixin.qq.com/doc/offiaccount/Draft_Box/Update_draft.html
    """
    api.post(
        "draft/update",
        {"media_id": media_id, "index": index, "articles": article.payload()},
        idempotent=True,
    )
