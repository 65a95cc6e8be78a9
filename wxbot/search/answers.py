"""What a follower is answered: one article, a short list, or a friendly nothing — as plain data.

A passive reply to a follower carries one news article at most, and a text reply about
2048 bytes (community-measured); lists are fitted to that by shortening headings, then by
dropping the last items.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

#: Longest text reply WeChat shows, in UTF-8 bytes (community-measured).
#: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
TEXT_REPLY_MAX_BYTES = 2048

#: Most issues a list shows.
LIST_MAX_ITEMS = 5

#: Characters of a news title and description we send (WeChat cuts them on screen anyway).
NEWS_TITLE_MAX_CHARS = 64
NEWS_DESCRIPTION_MAX_CHARS = 120

_WHITESPACE = re.compile(r"\s+")
_CLAUSE_ENDS = "。，；：！？、,;"


@dataclass(frozen=True)
class Item:
    """An issue shown to a follower: which part matched, a snippet, where to read it."""

    issue_id: str
    heading: str
    snippet: str
    url: str
    cover_url: str


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


def clip(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = _WHITESPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + "…"


def snippet(text: str, needles: Sequence[str], width: int = 60) -> str:
    """Return about ``width`` characters of ``text`` around the first of ``needles`` found.

    The excerpt starts at the clause the match stands in when that is near, so it does not
    open in the middle of a word.
    """
    line = _WHITESPACE.sub(" ", text).strip()
    lowered = line.lower()
    found = [i for n in needles if n and (i := lowered.find(n.lower())) != -1]
    if not found or len(line) <= width:
        return clip(line, width)
    at = min(found)
    start = max(at - width // 3, 0)
    clause = max(line.rfind(p, start, at) for p in _CLAUSE_ENDS)
    start = clause + 1 if clause != -1 else start
    while 0 < start < at and line[start - 1].isascii() and line[start - 1].isalnum():
        start -= 1  # not from the middle of a Latin word
    end = min(start + width, len(line))
    excerpt = line[start:end].strip()
    return ("…" if start else "") + excerpt + ("…" if end < len(line) else "")


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
    # The text reply's links are markup: keep a heading's own angle brackets out of it.
    return text.replace("<", "＜").replace(">", "＞")


def _fits(text: str) -> bool:
    return len(text.encode("utf-8")) <= TEXT_REPLY_MAX_BYTES


def _list_line(number: int, item: Item, heading_chars: int) -> str:
    heading = _safe(clip(item.heading, heading_chars))
    return f'{number}. {date_label(item.issue_id)} <a href="{item.url}">{heading}</a>'


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
    """Return ``text`` cut to the text reply limit."""
    while not _fits(text):
        text = text[: len(text) - max(len(text) // 10, 1)].rstrip() + "…"
    return text


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
        f"没有找到与“{clip(query, 20)}”相关的日报。",
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
