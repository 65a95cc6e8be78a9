"""What an issue is called: its article title, its dates as printed, its key topics."""

from __future__ import annotations

import datetime as dt
import re

from ..config import Settings
from ..model import Issue
from ..platform_limits import TITLE_MAX_CHARS

#: Separator between the series name, the date and a topic in the title.
TITLE_SEPARATOR = "｜"

#: Where a section heading's first clause ends.
_CLAUSE_END = re.compile(r"[，：；,;:]|——")

#: CJK punctuation that takes no space beside it.
_CJK_PUNCTUATION = "，。、：；！？“”‘’（）《》「」『』【】—…·"
_SPACE_BY_PUNCTUATION = re.compile(rf"\s+(?=[{_CJK_PUNCTUATION}])|(?<=[{_CJK_PUNCTUATION}])\s+")


def date_text(date: dt.date) -> str:
    """Return the date as the newsletter prints it, e.g. ``2026 年 6 月 13 日``."""
    return f"{date.year} 年 {date.month} 月 {date.day} 日"


def short_date(date: dt.date) -> str:
    """Return the month and day, e.g. ``6月13日``."""
    return f"{date.month}月{date.day}日"


def tighten(text: str) -> str:
    """Return ``text`` with the spaces beside CJK punctuation removed, for titles and covers."""
    return _SPACE_BY_PUNCTUATION.sub("", " ".join(text.split()))


def heading_topic(heading: str) -> str:
    """Return a section heading's first clause, the topic it announces."""
    return tighten(_CLAUSE_END.split(heading, maxsplit=1)[0])


def key_topics(issue: Issue, settings: Settings) -> list[str]:
    """Return the issue's key topics: the editor's keywords, ``[cover] keywords``, else its
    sections' first clauses."""
    given = issue.overrides.keywords or settings.cover.keywords
    keywords = [tighten(str(k)) for k in given if k.strip()]
    if keywords:
        return keywords
    topics = (heading_topic(s.heading) for s in issue.sections)
    return [t for t in dict.fromkeys(topics) if t]


def series_name(issue: Issue, settings: Settings) -> str:
    """Return the series name as the issue prints it, else as ``[brand]`` names it."""
    return issue.series_title.strip() or settings.brand.series_name


def cover_headline(issue: Issue, settings: Settings) -> str:
    """Return the cover's big line: the editor's headline, else the series name."""
    return issue.overrides.headline.strip() or series_name(issue, settings)


def article_author(issue: Issue, settings: Settings) -> str:
    """Return the article's author: the editor's, else ``[publish] author``."""
    return issue.overrides.author.strip() or settings.publish.author


def article_title(issue: Issue, settings: Settings) -> str:
    """Return the WeChat title: the editor's, the issue's own, else series｜date and the first
    topic that fits."""
    if issue.overrides.title.strip():
        return issue.overrides.title.strip()
    if issue.title:
        return tighten(issue.title)
    series, dated = series_name(issue, settings), f"{TITLE_SEPARATOR}{short_date(issue.date)}"
    if len(series) + len(dated) > TITLE_MAX_CHARS:  # a very long configured name
        series = series[: TITLE_MAX_CHARS - len(dated) - 1] + "…"
    base = series + dated
    for topic in key_topics(issue, settings):
        title = f"{base}{TITLE_SEPARATOR}{topic}"
        if len(title) <= TITLE_MAX_CHARS:
            return title
    return base
