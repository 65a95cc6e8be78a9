"""What followers get: every query form, keyword rules, list numbers, links, limits, the log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from test_callback import NOW, WeChatSender

from wxbot.callback import keyword_rules
from wxbot.callback.replies import TEXT_REPLY_MAX_BYTES, fit_text, list_answer
from wxbot.runtime import Runtime
from wxbot.search.results import Item
from wxbot.storage import followers, issue_links

#: The fixture's archive: 2026-06-13 and 2026-06-25; the clock says 2026-06-26 in Shanghai.
LATEST, EARLIER = "2026-06-25", "2026-06-13"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration with a callback token, a fixed clock and no cache delay."""
    return app_config | {
        "clock": lambda: NOW,
        "wechat": {"token": "wxbot-callback-token"},
        "search": {"cache_seconds": 0.0},
        "callback": {"log_flush_seconds": 0.0},
    }


@pytest.fixture
def wechat(client: Any, archive: Runtime) -> WeChatSender:
    """Return a sender to the app, whose archive holds both sample issues."""
    return WeChatSender(client)


def news_of(reply: dict[str, Any]) -> dict[str, str]:
    """Return the one article of a news reply."""
    assert reply["MsgType"] == "news", reply
    assert reply["ArticleCount"] == "1"
    item = reply["Articles"]["item"]
    assert isinstance(item, dict), "a passive reply carries one article"
    return item


def listed_ids(reply: dict[str, Any]) -> list[str]:
    """Return the issue ids a list reply links to, in order."""
    assert reply["MsgType"] == "text", reply
    return [
        line.split("/issues/")[1].split('"')[0]
        for line in reply["Content"].splitlines()
        if "/issues/" in line
    ]


@pytest.mark.parametrize(
    ("query", "issue_id", "heading_part"),
    [
        ("达沃斯", LATEST, "夏季达沃斯"),
        ("软银", LATEST, "软银"),
        ("孙正义", LATEST, "软银"),
        ("正义", LATEST, "软银"),  # inside 孙正义
        ("低空经济", EARLIER, ""),
        ("5G", EARLIER, "5G"),
        ("5g", EARLIER, "5G"),
        ("５Ｇ", EARLIER, "5G"),  # full-width, as some keyboards type it
        ("具身智能", EARLIER, ""),
        ("机器人", LATEST, ""),
        ("夏季达沃斯 李强", LATEST, "达沃斯"),
    ],
)
def test_a_query_found_in_one_issue_gets_that_article(
    wechat: WeChatSender, query: str, issue_id: str, heading_part: str
) -> None:
    item = news_of(wechat.send(query))
    month, day = issue_id[5:7].lstrip("0"), issue_id[8:].lstrip("0")
    assert item["Title"].startswith(f"{month}月{day}日｜")
    assert heading_part in item["Title"]
    assert item["Url"] == f"http://wxbot.test/issues/{issue_id}"
    assert item["PicUrl"] == f"http://wxbot.test/issues/{issue_id}/cover.jpg"
    assert query.split()[0].lower() in item["Description"].lower() or query == "５Ｇ"


@pytest.mark.parametrize(
    "query",
    ["数据要素", "AI", "ai", "OpenAI", "openai", "数据中心", "中心", "人工智能"],
)
def test_a_query_found_in_several_issues_gets_a_list_newest_first(
    wechat: WeChatSender, query: str
) -> None:
    reply = wechat.send(query)
    assert listed_ids(reply) == [LATEST, EARLIER]
    assert reply["Content"].startswith(f"与“{query}”相关")
    assert '1. 6月25日 <a href="http://wxbot.test/issues/2026-06-25">' in reply["Content"]


@pytest.mark.parametrize("query", ["最新", "今天", "latest", "LATEST", "最新一期", " 最新 "])
def test_latest(wechat: WeChatSender, query: str) -> None:
    assert news_of(wechat.send(query))["Url"].endswith(LATEST)


@pytest.mark.parametrize(
    ("query", "issue_id"),
    [
        ("6月13日", EARLIER),
        ("6月13号", EARLIER),
        ("6.13", EARLIER),
        ("6/13", EARLIER),
        ("6-13", EARLIER),
        ("0613", EARLIER),
        ("０６１３", EARLIER),
        ("2026-06-13", EARLIER),
        ("2026/6/13", EARLIER),
        ("2026年6月13日", EARLIER),
        ("20260613", EARLIER),
        ("13日", EARLIER),
        ("昨天", LATEST),
        ("6月25日", LATEST),
    ],
)
def test_a_date_gets_that_days_issue(wechat: WeChatSender, query: str, issue_id: str) -> None:
    item = news_of(wechat.send(query))
    assert item["Url"].endswith(issue_id)
    assert item["Title"].startswith(f"6月{int(issue_id[8:])}日｜")


def test_a_date_without_an_issue_points_to_the_nearest(wechat: WeChatSender) -> None:
    reply = wechat.send("6月20日")
    assert reply["MsgType"] == "text"
    assert reply["Content"].startswith("6月20日没有日报")
    assert "/issues/2026-06-13" in reply["Content"] and "/issues/2026-06-25" in reply["Content"]


@pytest.mark.parametrize("query", ["帮助", "?", "？", "help", "菜单"])
def test_help(wechat: WeChatSender, query: str) -> None:
    content = wechat.send(query)["Content"]
    assert "最新" in content and "6月13日" in content and "数据要素" in content


@pytest.mark.parametrize("query", ["鲸鱼", "量子纠缠", "xyzzy", "鲸鱼和海豚", "我想看鲸鱼"])
def test_nothing_found_suggests_popular_keywords(wechat: WeChatSender, query: str) -> None:
    content = wechat.send(query)["Content"]
    assert content.startswith("没有找到")
    assert "数据要素、低空经济" in content


def test_one_issue_far_more_about_it_is_the_one_strong_match(wechat: WeChatSender) -> None:
    # 算力 is in both, but only 6月25日 has it in a heading (and several sections)
    item = news_of(wechat.send("算力"))
    assert item["Url"].endswith(LATEST)
    assert "算力" in item["Title"]


def test_several_words_all_match_then_any(wechat: WeChatSender) -> None:
    assert news_of(wechat.send("软银 孙正义"))["Url"].endswith(LATEST)  # both: one issue
    assert listed_ids(wechat.send("软银 低空经济")) == [LATEST, EARLIER]  # none has both: any
    # a phrase typed without spaces is split into words when it is found nowhere as is
    assert listed_ids(wechat.send("数据要素场景化改革")) != []


def test_a_number_opens_that_item_of_the_last_list(wechat: WeChatSender) -> None:
    assert listed_ids(wechat.send("数据要素")) == [LATEST, EARLIER]
    second = news_of(wechat.send("2"))
    assert second["Url"].endswith(EARLIER)
    assert "数据要素" in second["Title"]  # the heading that matched in the list
    assert news_of(wechat.send("1"))["Url"].endswith(LATEST)
    # out of range: no list item, so it is searched like any text
    stranger = WeChatSender(wechat.client, openid="oNoList")
    assert wechat.send("3") == stranger.send("3") | {"ToUserName": wechat.openid}


def test_a_number_without_a_list_is_searched(wechat: WeChatSender) -> None:
    other = WeChatSender(wechat.client, openid="oSomeoneElse")
    wechat.send("数据要素")
    assert other.send("1")["Content"].startswith("与“1”相关的日报")  # searched, not an item


def test_the_link_is_the_article_url_once_published(wechat: WeChatSender, archive: Runtime) -> None:
    url = "https://mp.weixin.qq.com/s/AbCdEf"
    with archive.db.begin() as conn:
        issue_links.set_article_url(conn, EARLIER, url, "PUBLISHJOBFINISH", NOW)
    assert news_of(wechat.send("低空经济"))["Url"] == url
    content = wechat.send("数据要素")["Content"]
    assert f'href="{url}"' in content and 'href="http://wxbot.test/issues/2026-06-25"' in content


def test_a_list_fits_in_a_text_reply(wechat: WeChatSender, archive: Runtime) -> None:
    with archive.db.begin() as conn:
        for issue_id in (LATEST, EARLIER):
            long_url = "https://mp.weixin.qq.com/s?__biz=" + "x" * 900 + issue_id
            issue_links.set_article_url(conn, issue_id, long_url, "sync", NOW)
    content = wechat.send("数据要素")["Content"]
    assert len(content.encode("utf-8")) <= 2047
    assert "1. 6月25日" in content


def test_a_list_of_long_headings_and_links_is_cut_to_the_text_reply_limit() -> None:
    items = [
        Item(
            f"2026-06-{d:02d}", "很长的标题" * 20, "", "https://mp.weixin.qq.com/s?" + "x" * 300, ""
        )
        for d in range(1, 6)
    ]
    answer = list_answer(items, "与“数据要素”相关的日报：", "回复序号打开那一期。", "search")
    assert len(answer.text.encode("utf-8")) <= TEXT_REPLY_MAX_BYTES
    assert answer.kind == "list" and 1 <= len(answer.items) <= 5
    assert answer.text.count("<a href=") == len(answer.items)


@pytest.mark.parametrize(
    ("text", "cut"),
    [
        ("数据要素" * 170, False),  # 680 characters, 2040 bytes: fits as it is
        ("数据要素" * 171, True),  # 2052 bytes: one character too many
        ("数据要素" * 2000, True),  # far too long
        ("a" + "数据要素" * 682, True),  # the cut falls inside a three-byte character
        ("x" * 2047, False),
        ("x" * 2048, True),  # the size reported refused
    ],
)
def test_a_text_reply_is_cut_to_2047_bytes_at_a_character(text: str, cut: bool) -> None:
    fitted = fit_text(text)
    size = len(fitted.encode("utf-8"))
    assert size <= 2047
    if not cut:
        assert fitted == text
    else:
        assert fitted.endswith("…") and text.startswith(fitted[:-1])
        assert size > 2047 - 3 - 4  # as much as fits: at most one character and the ellipsis less


# --- editors' keyword rules --------------------------------------------------------------------


def test_keyword_rules_come_before_commands_and_search(
    wechat: WeChatSender, run_cli: Callable[..., Result]
) -> None:
    assert run_cli("keywords", "add", "投稿", "投稿请发邮件至 news@example.com").exit_code == 0
    result = run_cli("keywords", "add", "合作", "商务合作请联系小编", "--contains")
    assert result.exit_code == 0, result.output
    assert run_cli("keywords", "add", "最新", "编辑部：最新一期今晚发布").exit_code == 0

    assert wechat.send("投稿")["Content"] == "投稿请发邮件至 news@example.com"
    assert wechat.send("我想投稿")["Content"].startswith("没有找到")  # exact rule: equal only
    assert wechat.send("想谈谈合作吗")["Content"] == "商务合作请联系小编"
    assert wechat.send("最新")["Content"] == "编辑部：最新一期今晚发布"  # before the command

    listing = run_cli("keywords", "list")
    assert listing.exit_code == 0
    assert "contains  合作" in listing.output
    rule_id = next(line.split()[0] for line in listing.output.splitlines() if "最新" in line)
    assert run_cli("keywords", "remove", rule_id).exit_code == 0
    assert news_of(wechat.send("最新"))["Url"].endswith(LATEST)
    assert run_cli("keywords", "remove", "999").exit_code == 1


def test_a_keyword_rule_can_answer_with_an_issue(
    wechat: WeChatSender, archive: Runtime, run_cli: Callable[..., Result]
) -> None:
    added = run_cli("keywords", "add", "达沃斯专题", "--issue", EARLIER, "--contains")
    assert added.exit_code == 0, added.output
    assert f"contains  达沃斯专题  →  issue {EARLIER}" in run_cli("keywords", "list").output
    assert news_of(wechat.send("达沃斯"))["Url"].endswith(LATEST)  # search, as before
    assert news_of(wechat.send("看看达沃斯专题"))["Url"].endswith(EARLIER)  # the rule's issue
    with archive.db.begin() as conn:
        assert followers.recent_messages(conn, 1)[0].handler == "rule"


@pytest.mark.parametrize(
    ("reply", "issue_id", "message"),
    [
        ("text", EARLIER, "not both"),
        ("", "2020-01-01", "no issue 2020-01-01"),
        ("", "", "needs a keyword and a reply"),
    ],
)
def test_bad_issue_rules_are_refused(
    archive: Runtime, reply: str, issue_id: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        keyword_rules.add_rule(archive, "kw", reply, issue_id=issue_id)
    assert keyword_rules.list_rules(archive) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["keywords", "add", " ", "reply"], "needs a keyword"),
        (["keywords", "add", "kw", "  "], "needs a keyword and a reply"),
        (["keywords", "add", "kw", "text", "--issue", EARLIER], "not both"),
        (["keywords", "add", "kw", "--issue", "2020-01-01"], "no issue 2020-01-01"),
    ],
)
def test_bad_keyword_rules_are_refused(
    run_cli: Callable[..., Result], args: list[str], message: str
) -> None:
    result = run_cli(*args)
    assert result.exit_code == 1
    assert message in result.output


# --- the query log -----------------------------------------------------------------------------


def test_every_query_and_its_answer_is_logged(
    wechat: WeChatSender, archive: Runtime, run_cli: Callable[..., Result]
) -> None:
    for query in ("数据要素", "鲸鱼", "最新", "软银", "鲸鱼"):
        wechat.send(query)
    with archive.db.begin() as conn:
        rows = followers.recent_messages(conn, 10)
    assert [(r.query, r.handler, r.answer) for r in reversed(rows)] == [
        ("数据要素", "search", "list"),
        ("鲸鱼", "search", "nothing"),
        ("最新", "latest", "news"),
        ("软银", "search", "news"),
        ("鲸鱼", "search", "nothing"),
    ]
    missed = run_cli("queries", "--missed")
    assert missed.exit_code == 0
    assert missed.output.count("鲸鱼") == 2 and "数据要素" not in missed.output
    top = run_cli("queries", "--top", "7")
    assert top.exit_code == 0
    assert top.output.splitlines()[0].split() == ["2", "2", "found", "nothing", "鲸鱼"]
