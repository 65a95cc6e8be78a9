"""Markdown front matter: which key is the series name and which the issue's article title."""

from __future__ import annotations

import pytest
from test_parsing import MARKDOWN

from wxbot.config import Settings
from wxbot.errors import IssueFormatError
from wxbot.parsing import parse_bytes
from wxbot.rendering.titles import article_title

ARTICLE_TITLE = "李强出席夏季达沃斯开幕式，“规模化创新”成为关键词"


def test_title_is_the_issues_own_article_title_and_series_its_series() -> None:
    md = MARKDOWN.replace("date:", f"title: {ARTICLE_TITLE}\ndate:", 1)
    issue = parse_bytes(md.encode(), "issue.md")
    assert issue.series_title == "新质生产力每日动态"
    assert issue.title == ARTICLE_TITLE
    assert article_title(issue, Settings()) == ARTICLE_TITLE


def test_without_a_title_the_article_title_is_made_from_series_and_date() -> None:
    issue = parse_bytes(MARKDOWN.encode(), "issue.md")
    assert article_title(issue, Settings()).startswith("新质生产力每日动态｜6月25日")


def test_without_a_series_the_configured_name_is_used() -> None:
    md = MARKDOWN.replace("series: 新质生产力每日动态\n", "title: 今日要闻\n")
    issue = parse_bytes(md.encode(), "issue.md")
    assert issue.series_title == ""
    assert issue.organisation_lines == ("中国高技术产业发展促进会新质生产力工作委员会",)
    assert article_title(issue, Settings()) == "今日要闻"


@pytest.mark.parametrize("key", ["titel", "name", "author"])
def test_an_unknown_key_is_refused_naming_every_key_and_its_meaning(key: str) -> None:
    md = MARKDOWN.replace("date:", f"{key}: x\ndate:", 1)
    with pytest.raises(IssueFormatError) as caught:
        parse_bytes(md.encode(), "issue.md")
    message = str(caught.value)
    assert message.startswith(f"issue.md:3: unknown front-matter key '{key}'"), message
    assert "title = this issue's own article title" in message
    assert "series = the series name" in message
