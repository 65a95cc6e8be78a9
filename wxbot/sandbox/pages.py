"""What a follower's phone would fetch: uploaded pictures and article pages.

Their URLs name no account (as mmbiz.qpic.cn's and mp.weixin.qq.com's do not): each is
served from whichever account holds it; its ids are random, so no two accounts share one.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from flask import Blueprint, Response, abort

from .account import Account
from .accounts import current_accounts
from .material import CONTENT_TYPES, find_by_filename

bp = Blueprint("sandbox_pages", __name__)

DELETED_NOTICE = "该内容已被发布者删除"

_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title></head>
<body style="margin:0;background:#ededed">
<div style="max-width:677px;margin:0 auto;padding:20px 16px;background:#fff;min-height:100vh">
<h1 id="activity-name" style="font-size:22px;line-height:1.4;margin:0 0 14px">{title}</h1>
<div id="meta_content" style="color:rgba(0,0,0,.3);font-size:15px;margin-bottom:22px">
{author}<span id="js_name" style="color:#576b95">{account}</span> <span>{date}</span></div>
<div id="js_content">{content}</div>
{read_more}</div></body></html>
"""


@bp.get("/mmbiz/<name>")
def picture(name: str) -> Response:
    """Serve an uploaded picture, as mmbiz.qpic.cn would."""
    account = current_accounts().find(lambda a: find_by_filename(a, name) is not None)
    if account is None:
        abort(404)
    with account.lock:
        found = find_by_filename(account, name)
    if found is None:  # reset meanwhile
        abort(404)
    return Response(found.data, content_type=CONTENT_TYPES[found.image_format])


@bp.get("/s/<article_id>")
@bp.get("/s/<article_id>/<int:idx>")
def article(article_id: str, idx: int = 1) -> Response:
    """Serve a published article as a follower sees it."""
    accounts = current_accounts()
    accounts.tick()
    account = accounts.find(lambda a: article_id in a.state.articles) or accounts.first
    with account.lock:
        published = account.state.articles.get(article_id)
        if published is None or not 1 <= idx <= len(published.articles):
            abort(404)
        item = dict(published.articles[idx - 1])
        deleted, at = idx in published.deleted, published.published_at
    if deleted:
        return _html(f"<p>{DELETED_NOTICE}</p>")
    return _html(render_article(account, item, at))


@bp.get("/draft/<media_id>/<int:idx>")
def draft_preview(media_id: str, idx: int) -> Response:
    """Serve a draft's temporary preview page (the ``url`` of draft/get)."""
    accounts = current_accounts()
    account = accounts.find(lambda a: media_id in a.state.drafts) or accounts.first
    with account.lock:
        draft = account.state.drafts.get(media_id)
        if draft is None or draft.removed or not 1 <= idx <= len(draft.articles):
            abort(404)
        item, at = dict(draft.articles[idx - 1]), draft.updated_at
    return _html(render_article(account, item, at))


def render_article(account: Account, item: dict[str, Any], at: float) -> str:
    """Return the HTML page of one article item; the content is shown as stored."""
    date = dt.datetime.fromtimestamp(at, dt.UTC) + dt.timedelta(hours=8)
    author = item.get("author") or ""
    source = item.get("content_source_url") or ""
    read_more = (
        f'<p style="margin-top:30px"><a href="{html.escape(source)}">阅读原文</a></p>'
        if source
        else ""
    )
    return _PAGE.format(
        title=html.escape(item["title"]),
        author=f"<span>{html.escape(author)}</span> " if author else "",
        account=html.escape(account.settings.account_name),
        date=date.strftime("%Y-%m-%d %H:%M"),
        content=item["content"],
        read_more=read_more,
    )


def _html(text: str) -> Response:
    return Response(text, content_type="text/html; charset=utf-8")
