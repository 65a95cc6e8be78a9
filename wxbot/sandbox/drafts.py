"""The draft box: ``draft/add``, ``get``, ``update``, ``delete``, ``batchget``, ``count``.

https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add
"上传到草稿箱中的素材被群发或发布后，该素材将从草稿箱中移除": a published or mass-sent draft
leaves the box, and its media_id answers 40007 from then on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import limits
from .articles import normalize_article
from .protocol import ApiError, Call, Reply, ok, require
from .state import Draft

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)


def add_draft(account: Account, call: Call) -> Reply:
    """Create a draft of 1 to 8 articles and answer its media_id."""
    body = call.json(literal_unicode_escapes=True)
    raw_articles = body.get("articles")
    if not isinstance(raw_articles, list) or not raw_articles:
        raise ApiError(44003)
    if len(raw_articles) > limits.ARTICLES_PER_DRAFT_MAX:
        raise ApiError(45008)
    single = len(raw_articles) == 1
    articles, filtered = [], []
    for raw in raw_articles:
        article, dropped = _normalize(account, call, raw, single=single)
        articles.append(article)
        filtered.extend(dropped)
    now = account.now()
    draft = Draft(account.state.new_id(64), articles, now, now, filtered_images=filtered)
    account.state.drafts[draft.media_id] = draft
    if filtered:
        logger.warning("draft %s: filtered %d external images", draft.media_id, len(filtered))
    return Reply({"media_id": draft.media_id})


def get_draft(account: Account, call: Call) -> Reply:
    """Answer a draft's articles."""
    draft = live_draft(account, require(call.json(), "media_id"))
    return Reply(
        {
            "news_item": news_items(account, draft),
            "create_time": int(draft.created_at),
            "update_time": int(draft.updated_at),
        }
    )


def update_draft(account: Account, call: Call) -> Reply:
    """Replace the article at ``index`` (0-based) of a draft."""
    body = call.json(literal_unicode_escapes=True)
    draft = live_draft(account, require(body, "media_id"))
    index = body.get("index", 0)
    if not isinstance(index, int) or not 0 <= index < len(draft.articles):
        raise ApiError(40097, "index is outside the draft")
    raw = body.get("articles")
    if not isinstance(raw, dict):
        raise ApiError(44003)
    article, dropped = _normalize(account, call, raw, single=len(draft.articles) == 1)
    draft.articles[index] = article
    draft.filtered_images.extend(dropped)
    draft.updated_at = account.now()
    return ok()


def delete_draft(account: Account, call: Call) -> Reply:
    """Remove a draft from the box."""
    draft = live_draft(account, require(call.json(), "media_id"))
    draft.removed = "deleted"
    return ok()


def batchget_drafts(account: Account, call: Call) -> Reply:
    """Answer a page of drafts, newest first."""
    body = call.json()
    offset, count = page(body)
    drafts = account.state.live_drafts()
    chosen = drafts[offset : offset + count]
    no_content = body.get("no_content") in (1, "1", True)
    items = [
        {
            "media_id": d.media_id,
            "content": {
                "news_item": news_items(account, d, no_content=no_content),
                "create_time": int(d.created_at),
                "update_time": int(d.updated_at),
            },
            "update_time": int(d.updated_at),
        }
        for d in chosen
    ]
    return Reply({"total_count": len(drafts), "item_count": len(items), "item": items})


def count_drafts(account: Account, call: Call) -> Reply:
    """Answer how many drafts are in the box."""
    return Reply({"total_count": len(account.state.live_drafts())})


def live_draft(account: Account, media_id: Any) -> Draft:
    """Return the draft still in the box under ``media_id`` or raise 40007."""
    draft = account.state.drafts.get(media_id) if isinstance(media_id, str) else None
    if draft is None or draft.removed:
        raise ApiError(40007, "no such draft")
    return draft


def news_items(account: Account, draft: Draft, *, no_content: bool = False) -> list[dict[str, Any]]:
    """Return a draft's articles as ``news_item`` entries, with preview and cover URLs."""
    items = []
    for idx, article in enumerate(draft.articles, start=1):
        item = dict(article)
        if no_content:
            item.pop("content", None)
        item["url"] = f"{account.public_base()}/draft/{draft.media_id}/{idx}"
        thumb = account.state.materials.get(article["thumb_media_id"])
        item["thumb_url"] = thumb.url if thumb else ""
        items.append(item)
    return items


def page(body: dict[str, Any]) -> tuple[int, int]:
    """Return ``(offset, count)`` of a batchget, or raise 40097."""
    offset, count = body.get("offset", 0), body.get("count", 0)
    if not isinstance(offset, int) or offset < 0:
        raise ApiError(40097, "offset must be a non-negative integer")
    if not isinstance(count, int) or not 1 <= count <= limits.BATCHGET_COUNT_MAX:
        raise ApiError(40097, "count must be between 1 and 20")
    return offset, count


def _normalize(
    account: Account, call: Call, raw: Any, *, single: bool
) -> tuple[dict[str, Any], list[str]]:
    materials = account.state.materials

    def is_material(media_id: str) -> bool:
        found = materials.get(media_id)
        return found is not None and found.kind in ("image", "thumb")

    return normalize_article(
        raw, single=single, is_material=is_material, own_netloc=urlsplit(call.base_url).netloc
    )
