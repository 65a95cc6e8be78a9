"""The words followers read: one article, a short list, the menu, a welcome — as plain data.

Search finds issues (``wxbot.search``); this turns what it found into a follower's reply. A
passive reply carries one news article at most, and a text reply at most 2047 bytes
(community-measured: 2048 has been refused); lists are fitted to that by shortening headings,
then by dropping the last items.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from ..search.results import Item, SearchResult, clip

#: Longest text reply WeChat shows, in UTF-8 bytes: 2047 is the largest reported to work,
#: 2048 has been refused (community-measured; the page gives no number).
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
TEXT_REPLY_MAX_BYTES = 2047

#: What a cut text ends with.
ELLIPSIS = "…"

#: Most issues a list shows.
LIST_MAX_ITEMS = 5

#: Characters of a news title and description we send (WeChat cuts them on screen anyway).
NEWS_TITLE_MAX_CHARS = 64
NEWS_DESCRIPTION_MAX_CHARS = 120


@dataclass(frozen=True)
class Article:
    """The one article of a news reply."""

    title: str
    description: str
    picurl: str
    url: str


@dataclass(frozen=True)
class Answer:
    """A reply and what the query log records of it.

    ``kind``: ``news`` (one article), ``list`` (a text listing issues), ``text``, ``nothing``
    (a search that found nothing) or ``silent`` (no reply).
    """

    kind: str
    handler: str
    text: str = ""
    article: Article | None = None
    items: tuple[Item, ...] = ()

    @property
    def found(self) -> bool:
        """Return whether the follower got what they asked for."""
        return self.kind != "nothing"

    @cached_property
    def items_json(self) -> str:
        """Return the issues shown (id and heading) as JSON, as the query log keeps them."""
        shown = [{"issue_id": i.issue_id, "heading": i.heading} for i in self.items]
        return json.dumps(shown, ensure_ascii=False)


def date_label(issue_id: str) -> str:
    """Return an issue's date as followers read it, e.g. ``6月13日``."""
    _, month, day = issue_id.split("-")
    return f"{int(month)}月{int(day)}日"


def link(item: Item, text: str) -> str:
    """Return a tappable link to an item's issue in a text reply."""
    return f'<a href="{item.url}">{text}</a>'


def news_answer(item: Item, handler: str) -> Answer:
    """Return a one-article answer: date and heading as title, the snippet as description."""
    title = clip(f"{date_label(item.issue_id)}｜{item.heading}", NEWS_TITLE_MAX_CHARS)
    article = Article(
        title=title,
        description=clip(item.snippet, NEWS_DESCRIPTION_MAX_CHARS),
        picurl=item.cover_url,
        url=item.url,
    )
    return Answer("news", handler, article=article, items=(item,))


def _safe(text: str) -> str:
    # The text reply's links are markup: keep a heading's or a query's angle brackets out of it.
    return text.replace("<", "＜").replace(">", "＞")


def _fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= TEXT_REPLY_MAX_BYTES


def _list_line(number: int, item: Item, heading_chars: int) -> str:
    heading = _safe(clip(item.heading, heading_chars))
    return f"{number}. {date_label(item.issue_id)} {link(item, heading)}"


def list_answer(items: Sequence[Item], header: str, footer: str, handler: str) -> Answer:
    """Return a text answer listing issues with tappable links, within the text reply limit."""
    shown = list(items[:LIST_MAX_ITEMS])
    while shown:
        for limit in (40, 28, 18, 10):
            lines = [_list_line(n, i, limit) for n, i in enumerate(shown, start=1)]
            text = "\n".join([header, *lines, footer]).strip()
            if _fits(text):
                return Answer("list", handler, text=text, items=tuple(shown))
        shown.pop()
    return Answer("text", handler, text=fit_text(header))


def fit_text(text: str) -> str:
    """Return ``text`` cut at a character boundary to the reply's bytes, ending in an ellipsis."""
    if _fits(text):
        return text
    room = TEXT_REPLY_MAX_BYTES - len(ELLIPSIS.encode("utf-8"))
    # Decoding a byte prefix with errors="ignore" drops a character cut in half.
    kept = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return kept.rstrip() + ELLIPSIS


def keyword_hint(keywords: Sequence[str]) -> str:
    """Return the line suggesting keywords."""
    return "试试：" + "、".join(keywords) if keywords else ""


def help_text(series_name: str, keywords: Sequence[str]) -> str:
    """Return the menu: what followers can send."""
    example = keywords[0] if keywords else "数据要素"
    lines = [
        f"【{series_name}】回复以下内容：",
        f"· 关键词，如“{example}”：查找相关日报",
        "· “最新”：最新一期",
        "· 日期，如“6月13日”“0613”“昨天”：当天的日报",
        "· 列表里的序号：打开那一期",
        keyword_hint(keywords),
    ]
    return fit_text("\n".join(line for line in lines if line))


def nothing_answer(query: str, keywords: Sequence[str], handler: str) -> Answer:
    """Return the friendly answer to a search that found nothing."""
    lines = [
        f"没有找到与“{_safe(clip(query, 20))}”相关的日报。",
        keyword_hint(keywords),
        "回复“最新”看最新一期，回复“帮助”看用法。",
    ]
    return Answer("nothing", handler, text=fit_text("\n".join(line for line in lines if line)))


def text_answer(text: str, handler: str) -> Answer:
    """Return a plain text answer, cut to the limit."""
    return Answer("text", handler, text=fit_text(text))


def silent(handler: str) -> Answer:
    """Return the answer that sends nothing (WeChat's "success")."""
    return Answer("silent", handler)


def search_answer(
    result: SearchResult, query: str, keywords: Sequence[str], handler: str
) -> Answer:
    """Return the answer to a keyword search: one article, a list, or a friendly nothing."""
    if not result.items:
        return nothing_answer(query, keywords, handler)
    if result.strong:
        return news_answer(result.items[0], handler)
    header = f"与“{_safe(query.strip()[:20])}”相关的日报："
    return list_answer(result.items, header, "回复序号打开那一期。", handler)


def no_issues_yet(handler: str) -> Answer:
    """Return the answer to "latest" before the first issue."""
    return text_answer("还没有日报，敬请期待。", handler)


def no_issue_on(date: dt.date, nearest: Sequence[Item], handler: str) -> Answer:
    """Return the answer to a date without an issue: links to the nearest issues."""
    lines = [f"{date.month}月{date.day}日没有日报。"]
    lines.extend(link(near, f"{date_label(near.issue_id)}的日报") for near in nearest)
    return text_answer("\n".join(lines), handler)


def welcome(greeting: str, latest: Item | None, handler: str) -> Answer:
    """Return the welcome a new follower gets: the latest issue's card carrying the greeting.

    A passive reply is one message: the card's description carries the greeting and how to
    ask, so both arrive at once; with no issue yet, the greeting comes as text.
    """
    how_to_ask = "回复关键词查找往期日报，回复“帮助”查看用法。"
    if latest is None:
        return text_answer(f"{greeting}\n{how_to_ask}", handler)
    card = news_answer(latest, handler)
    assert card.article is not None
    description = clip(f"{greeting}\n点开阅读最新一期；{how_to_ask}", NEWS_DESCRIPTION_MAX_CHARS)
    article = Article(card.article.title, description, card.article.picurl, card.article.url)
    return Answer("news", handler, article=article, items=card.items)
