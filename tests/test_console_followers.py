"""The followers page: the query log by page, top and missed queries, the keyword rules editor."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from console_support import csrf_token, post_form, signed_in_client
from flask.testing import FlaskClient

from wxbot.app import create_app
from wxbot.callback import keyword_rules
from wxbot.runtime import Runtime
from wxbot.storage import audit_log, followers
from wxbot.storage.followers import LoggedMessage

PAGE = "/console/followers"


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def log(runtime: Runtime, *queries: tuple[str, bool, float]) -> None:
    """Log searches ``(query, found, hours ago)``."""
    now = runtime.now()
    rows = [
        LoggedMessage(
            f"k{i}",
            "o1",
            "text",
            query,
            "search",
            "list" if found else "nothing",
            found,
            "[]",
            "<xml/>",
            now - dt.timedelta(hours=hours),
        )  # fmt: skip
        for i, (query, found, hours) in enumerate(queries)
    ]
    with runtime.db.begin() as conn:
        followers.log_messages(conn, rows)


def client_as(archive: Runtime, role: str) -> FlaskClient:
    return signed_in_client(create_app(archive).test_client(), archive, role, role)


@pytest.fixture
def editor(archive: Runtime) -> FlaskClient:
    return client_as(archive, "editor")


@pytest.fixture
def admin(archive: Runtime) -> FlaskClient:
    return client_as(archive, "admin")


def test_the_page_shows_the_log_top_and_missed_queries_in_the_zone(
    editor: FlaskClient, archive: Runtime
) -> None:
    log(archive, ("数据要素", True, 1), ("鲸鱼", False, 2), ("鲸鱼", False, 30), ("算力", True, 3))
    page = text_of(editor.get(PAGE).text)
    assert "Newest first · page 1." in page and "Older" not in page
    assert page.index("数据要素") < page.index("算力")  # newest first in the log
    assert "CST (Asia/Shanghai)" in page
    top_week = text_of(editor.get(f"{PAGE}?period=week").text)
    assert "Most asked (last week) Query Asked Found nothing 鲸鱼 2 2" in top_week
    assert "Found nothing (ideas for editors) Query Times 鲸鱼 2" in top_week
    top_day = text_of(editor.get(f"{PAGE}?period=day").text)
    assert "Found nothing (ideas for editors) Query Times 鲸鱼 1" in top_day


def test_the_log_pages_newest_first(editor: FlaskClient, archive: Runtime) -> None:
    log(archive, *[(f"q{i:03d}", True, i) for i in range(60)])
    first = editor.get(PAGE).text
    assert "page 1." in first and 'rel="next"' in first
    assert logged_queries(first) == [f"q{i:03d}" for i in range(50)]
    second = editor.get(f"{PAGE}?page=2").text
    assert logged_queries(second) == [f"q{i:03d}" for i in range(50, 60)]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def logged_queries(page: str) -> list[str]:
    """Return the queries of the log table, in its order."""
    table = page[page.index('class="list query-log"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr[^>]*>\s*<td[^>]*>[^<]*</td><td>([^<]*)</td>", table)


def test_an_admin_adds_and_removes_rules_and_followers_get_them(
    admin: FlaskClient, archive: Runtime
) -> None:
    text_rule = {"keyword": "投稿", "match": "exact", "answer": "text", "reply": "请发邮件"}
    issue_rule = {"keyword": "峰会", "match": "contains", "answer": "issue"}
    issue_rule["issue_id"] = "2026-06-13"
    for form in (text_rule, issue_rule):
        response = post_form(admin, f"{PAGE}/rules", form, page=PAGE)
        assert response.status_code == 302
    rules = keyword_rules.list_rules(archive)
    assert [(r.keyword, r.match, r.reply, r.issue_id) for r in rules] == [
        ("投稿", "exact", "请发邮件", None),
        ("峰会", "contains", "", "2026-06-13"),
    ]
    page = text_of(admin.get(PAGE).text)
    assert "投稿 exact 请发邮件" in page and "峰会 contains issue 2026-06-13" in page
    response = post_form(admin, f"{PAGE}/rules/{rules[0].id}/remove", page=PAGE)
    assert response.status_code == 302
    assert [r.keyword for r in keyword_rules.list_rules(archive)] == ["峰会"]
    with archive.db.begin() as conn:
        entries = audit_log.recent_entries(conn, 10)
    assert [(e.action, e.outcome) for e in reversed(entries) if e.action != "sign-in"] == [
        ("rule-add", "ok"), ("rule-add", "ok"), ("rule-remove", "ok")
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ({"keyword": "kw", "answer": "issue", "issue_id": "2020-01-01"}, "no issue 2020-01-01"),
        ({"keyword": "kw", "answer": "text", "reply": " "}, "needs a keyword and a reply"),
        ({"keyword": "kw", "answer": "text", "reply": "r", "match": "regex"}, "match must be"),
    ],
)
def test_a_bad_rule_is_refused_in_plain_words(
    admin: FlaskClient, archive: Runtime, form: dict[str, str], words: str
) -> None:
    response = post_form(admin, f"{PAGE}/rules", form, page=PAGE, follow_redirects=True)
    page = text_of(response.text)
    assert "Adding the rule failed" in page and words in page and "Next: correct the form" in page
    assert keyword_rules.list_rules(archive) == []


def test_an_editor_reads_the_rules_but_may_not_change_them(
    editor: FlaskClient, archive: Runtime
) -> None:
    rule_id = keyword_rules.add_rule(archive, "投稿", "请发邮件")
    page = editor.get(PAGE).text
    assert "投稿" in page and "Add a rule" not in page and "/remove" not in page
    form = {"keyword": "kw", "answer": "text", "reply": "r"}
    assert post_form(editor, f"{PAGE}/rules", form, page=PAGE).status_code == 403
    assert post_form(editor, f"{PAGE}/rules/{rule_id}/remove", page=PAGE).status_code == 403
    assert [r.id for r in keyword_rules.list_rules(archive)] == [rule_id]


def test_the_page_needs_sign_in_and_rules_need_a_csrf_token(
    admin: FlaskClient, archive: Runtime
) -> None:
    stranger = create_app(archive).test_client()
    assert stranger.get(PAGE).headers["Location"].startswith("/console/sign-in")
    token = csrf_token(stranger)
    response = stranger.post(f"{PAGE}/rules", data={"csrf_token": token, "keyword": "kw"})
    assert response.headers["Location"].startswith("/console/sign-in")
    forged = admin.post(f"{PAGE}/rules", data={"keyword": "kw", "answer": "text", "reply": "r"})
    assert forged.status_code == 400
    assert keyword_rules.list_rules(archive) == []


def test_a_page_past_the_end_says_so(editor: FlaskClient, archive: Runtime) -> None:
    log(archive, ("数据要素", True, 1))
    page = text_of(editor.get(f"{PAGE}?page=7").text)
    assert "No older messages: this page is past the end of the log." in page
