"""The console's dashboard, upload, issue and history pages, through the Flask test client."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy
from conftest import CHROMIUM, CHROMIUM_FLAGS, SAMPLES, dated_copies, serving
from console_support import PASSWORD, csrf_token, make_editor, post_form, signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from wxbot.app import create_app
from wxbot.archive import get_issue, ingest_paths, list_revisions
from wxbot.issue_states import dashboard
from wxbot.publishing import publish_issue
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling.rules import schedule_send
from wxbot.storage import audit_log
from wxbot.storage import issues as issue_store
from wxbot.wechat import WeChatError, explain

ISSUE = "2026-06-13"
RAW = SAMPLES[0].read_bytes()
EDITED = RAW.replace("国家数据局 6 月 8 日".encode(), "国家数据局 6 月 9 日".encode())

PAGES = [
    "/console/",
    "/console/upload",
    f"/console/issues/{ISSUE}",
    f"/console/issues/{ISSUE}/preview",
    f"/console/issues/{ISSUE}/history",
]


@pytest.fixture
def editor(client: FlaskClient, archive: Runtime) -> FlaskClient:
    """Return the test client signed in as an editor, over the archive of both samples."""
    return signed_in_client(client, archive)


@pytest.fixture
def wechat_editor(wechat_runtime: Runtime) -> FlaskClient:
    """Return a client of an app calling the sandbox, signed in as an editor."""
    client = create_app(wechat_runtime).test_client()
    return signed_in_client(client, wechat_runtime)


def audit(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.db.begin() as conn:
        entries = audit_log.recent_entries(conn, limit=50)
    return [(e.action, e.subject, e.outcome) for e in entries if e.action != "sign-in"]


def text(response: object) -> str:
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def upload(client: FlaskClient, name: str, raw: bytes, **kwargs: object) -> object:
    files = {"files": (io.BytesIO(raw), name)}
    return post_form(client, "/console/upload", files, page="/console/upload", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("path", [*PAGES, f"/issues/{ISSUE}/preview"])
def test_every_page_sends_a_stranger_to_sign_in(
    client: FlaskClient, archive: Runtime, path: str
) -> None:
    response = client.get(path, follow_redirects=True)
    assert response.request.path == "/console/sign-in"
    assert "/console/" in response.request.args["next"]


@pytest.mark.parametrize(
    ("path", "shown"),
    zip(
        PAGES,
        [
            "CST (Asia/Shanghai)",
            "Upload an issue",
            "Overrides",
            "订阅号消息",
            "CST (Asia/Shanghai)",
        ],
        strict=True,
    ),
)
def test_every_page_opens_for_an_editor(editor: FlaskClient, path: str, shown: str) -> None:
    page = editor.get(path)
    assert page.status_code == 200, text(page)
    assert shown in text(page)


def test_the_old_preview_address_leads_to_the_console(editor: FlaskClient) -> None:
    page = editor.get(f"/issues/{ISSUE}/preview", follow_redirects=True)
    assert page.request.path == f"/console/issues/{ISSUE}/preview"
    assert "订阅号消息" in text(page) and "转发卡片" in text(page)


def test_the_public_archive_page_stays_public(client: FlaskClient, archive: Runtime) -> None:
    assert client.get(f"/issues/{ISSUE}").status_code == 200


def test_the_dashboard_shows_every_state_and_the_health_line(
    wechat_editor: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    published = publish_issue(wechat_runtime, ISSUE, "publish")
    publish_issue(wechat_runtime, "2026-06-25", "draft")
    schedule_send(wechat_runtime, "2026-06-25", wechat_runtime.now() + dt.timedelta(hours=5))
    page = text(wechat_editor.get("/console/"))
    assert f'href="{published.article_url}"' in page
    assert "version 1 (live)" in page
    assert re.search(r"Next scheduled send: <a [^>]*>2026-06-25</a>\s+to every follower", page)
    assert "(in 4 h 59 min)" in page or "(in 5 h 00 min)" in page
    assert "access token cached, valid until" in page
    assert "no scheduler has run: start `wxbot worker`" in page
    assert "Nothing failed recently." in page
    # One account: a column per state, as before several accounts were possible.
    assert "<th>Draft</th><th>Published</th><th>Mass-sent</th><th>Scheduled</th>" in page
    assert "data-account" not in page and "WeChat (" not in page


SECOND = {"appid": "wxsecond0000000001", "secret": "second-account-secret-0000000001"}
OTHER = "2026-06-25"


@pytest.fixture
def two_accounts(
    wechat_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> Runtime:
    """Return a runtime of ``default`` and ``second``, each on its own sandbox, samples archived."""
    second = sandbox_factory(token="second-token", **SECOND)
    account = SECOND | {
        "api_base_url": second.base_url,
        "display_name": "工业智能算网",
        "brand": {"primary_color": "#AA3300"},
    }
    runtime = runtime_factory(wechat_config | {"accounts": {"second": account}})
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    return runtime


def account_cell(page: str, issue_id: str, account: str) -> str:
    row = page.split(f'<tr id="issue-{issue_id}">')[1].split("</tr>")[0]
    return row.split(f'data-account="{account}">')[1].split("</td>")[0]


def test_the_dashboard_shows_each_accounts_state_of_each_issue(two_accounts: Runtime) -> None:
    default, second = two_accounts, two_accounts.for_account("second")
    published = publish_issue(default, ISSUE, "publish")
    publish_issue(second, ISSUE, "mass")
    with pytest.raises(WeChatError):  # one mass send a day: WeChat refuses the second
        publish_issue(second, OTHER, "mass")
    schedule_send(second, OTHER, second.now() + dt.timedelta(days=1, hours=5))
    client = signed_in_client(create_app(two_accounts).test_client(), two_accounts)
    page = text(client.get("/console/"))

    assert '<th class="account">default</th><th class="account">工业智能算网</th>' in page
    assert "<th>Draft</th>" not in page
    assert f'Published: <a href="{published.article_url}"' in account_cell(page, ISSUE, "default")
    on_second = account_cell(page, ISSUE, "工业智能算网")
    assert "Mass-sent: all: accepted" in on_second and "Published" not in on_second
    on_other_second = account_cell(page, OTHER, "工业智能算网")
    assert "Scheduled: " in on_other_second
    assert "Scheduled" not in account_cell(page, OTHER, "default")
    assert "not on default" in account_cell(page, OTHER, "default")
    assert str(escape(explain(45028))) in account_cell(page, OTHER, "工业智能算网")
    assert "WeChat (工业智能算网): access token cached, valid until" in page
    assert "mass send to all (工业智能算网)" in page
    assert f'href="/console/issues/{OTHER}?account=second">actions</a>' in on_other_second


def actions_of(page: str) -> str:
    """Return the actions section of an issue page."""
    return page.split('<section class="issue-actions"')[1].split("</section>")[0]


def test_the_issue_page_acts_for_the_account_chosen(two_accounts: Runtime) -> None:
    client = signed_in_client(create_app(two_accounts).test_client(), two_accounts)
    on_default = actions_of(text(client.get(f"/console/issues/{ISSUE}")))
    assert re.search(r'aria-current="true">default<', on_default)
    assert 'name="account" value="default"' in on_default

    page = f"/console/issues/{ISSUE}?account=second"
    saved = post_form(client, f"/console/issues/{ISSUE}/draft", {"account": "second"}, page=page)
    assert saved.headers["Location"] == page  # back to the issue, on the same account
    on_second = actions_of(text(client.get(page)))
    assert re.search(r'aria-current="true">工业智能算网<', on_second)
    assert 'name="account" value="second"' in on_second
    assert "version 1" in on_second
    assert "not in WeChat's draft box yet" in actions_of(
        text(client.get(f"/console/issues/{ISSUE}"))
    )
    with two_accounts.db.begin() as conn:
        (entry,) = [e for e in audit_log.recent_entries(conn) if e.action == "draft"]
    assert entry.outcome == "ok" and entry.detail.startswith("on second: ")

    when = (two_accounts.now() + dt.timedelta(days=1)).astimezone(two_accounts.tz)
    scheduled = post_form(
        client, f"/console/issues/{ISSUE}/schedule",
        {"account": "second", "send_at": when.strftime("%Y-%m-%dT%H:%M")}, page=page,
    )  # fmt: skip
    assert scheduled.status_code == 302
    board = text(client.get("/console/"))
    assert "Scheduled: " in account_cell(board, ISSUE, "工业智能算网")
    assert "Scheduled" not in account_cell(board, ISSUE, "default")

    confirm = text(client.get(f"/console/issues/{ISSUE}/mass-send?account=second"))
    assert "<dt>Account</dt><dd><strong>工业智能算网</strong></dd>" in confirm
    assert 'name="account" value="second"' in confirm


def test_the_issue_page_previews_the_chosen_accounts_brand(two_accounts: Runtime) -> None:
    client = signed_in_client(create_app(two_accounts).test_client(), two_accounts)
    on_default = text(client.get(f"/console/issues/{ISSUE}"))
    on_second = text(client.get(f"/console/issues/{ISSUE}?account=second"))
    colour = re.compile("#aa3300", re.IGNORECASE)  # the second account's headings
    assert colour.search(on_second) and not colour.search(on_default)
    cover = re.compile(r'src="(/issues/[^"]*/cover\.jpg[^"]*)"')
    covers = [cover.search(page) for page in (on_default, on_second)]
    assert covers[0] and covers[1] and "account=second" in covers[1].group(1)
    images = [client.get(html.unescape(found.group(1))) for found in covers]
    assert [image.status_code for image in images] == [200, 200]
    assert images[0].data != images[1].data  # the second account's colour
    assert client.get(f"/issues/{ISSUE}/cover.jpg?account=nosuch").status_code == 404


@pytest.mark.parametrize(
    ("url", "form"),
    [
        (f"/console/issues/{ISSUE}?account=nosuch", None),
        (f"/console/issues/{ISSUE}/actions?account=nosuch", None),
        (f"/console/issues/{ISSUE}/mass-send?account=nosuch", None),
        (f"/console/issues/{ISSUE}/draft", {"account": "nosuch"}),
        ("/console/followers?account=nosuch", None),
    ],
)
def test_an_unknown_account_is_not_found(
    two_accounts: Runtime, url: str, form: dict[str, str] | None
) -> None:
    client = signed_in_client(create_app(two_accounts).test_client(), two_accounts)
    answer = client.get(url) if form is None else post_form(client, url, form)
    assert answer.status_code == 404
    assert str(escape("no account named 'nosuch' (accounts: default, second)")) in text(answer)


@pytest.mark.parametrize(("accounts", "fixture"), [(1, "wechat_runtime"), (2, "two_accounts")])
def test_a_dashboard_page_costs_the_same_queries_whatever_its_size(
    request: pytest.FixtureRequest, tmp_path: Any, accounts: int, fixture: str
) -> None:
    runtime: Runtime = request.getfixturevalue(fixture)
    ingest_paths(runtime, dated_copies(tmp_path, 30))
    for issue_id in ("2020-01-01", "2020-01-30", ISSUE):
        publish_issue(runtime, issue_id, "draft")
    if accounts == 2:
        publish_issue(runtime.for_account("second"), ISSUE, "draft")
    statements: list[int] = []

    def count(_conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        statements[-1] += statement.startswith("SELECT")

    sqlalchemy.event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        for per_page in (2, 32):
            statements.append(0)
            board = dashboard(runtime, per_page=per_page)
    finally:
        sqlalchemy.event.remove(runtime.db.engine, "before_cursor_execute", count)
    assert statements == [2, 2]  # reads: the page, then every row it shows, for every account
    drafted = [line for line in board.lines if line.draft]
    assert len(drafted) == 3 and len(board.accounts) == (0 if accounts == 1 else 2)
    if accounts == 2:
        (both,) = [line for line in board.lines if all(a.draft for a in line.accounts)]
        assert both.issue_id == ISSUE


def test_a_page_past_the_last_is_not_found(editor: FlaskClient) -> None:
    page = editor.get("/console/?page=3")
    assert page.status_code == 404 and "no page 3: the dashboard has 1" in text(page)


def test_an_upload_is_archived_and_audited(client: FlaskClient, runtime: Runtime) -> None:
    signed_in_client(client, runtime)
    page = upload(client, f"{ISSUE}.txt", RAW)
    assert page.status_code == 200  # type: ignore[attr-defined]
    assert f"{ISSUE}.txt: added" in text(page)
    assert get_issue(runtime, ISSUE).source.name == f"{ISSUE}.txt"
    assert audit(runtime) == [("upload", ISSUE, "added")]


def test_a_rejected_upload_shows_the_line_and_stores_nothing(
    editor: FlaskClient, archive: Runtime
) -> None:
    with archive.db.begin() as conn:
        before = issue_store.count_issues(conn)
    page = upload(editor, "notes.md", "# 随便写写\n\n没有日期。\n".encode())
    assert page.status_code == 422  # type: ignore[attr-defined]
    body = text(page)
    assert "notes.md: rejected, nothing stored" in body
    assert re.search(r"Line \d+: ", body), body
    with archive.db.begin() as conn:
        assert issue_store.count_issues(conn) == before
    (entry,) = audit(archive)
    assert entry[1:] == ("notes.md", "rejected")


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(
    editor: FlaskClient, archive: Runtime
) -> None:
    refused = editor.post("/console/upload", data={"files": (io.BytesIO(EDITED), f"{ISSUE}.txt")})
    assert refused.status_code == 400 and "nothing was changed" in text(refused)
    refused = editor.post(f"/console/issues/{ISSUE}/overrides", data={"title": "新标题"})
    assert refused.status_code == 400
    assert len(list_revisions(archive, ISSUE)) == 1
    assert not get_issue(archive, ISSUE).overrides


def test_replacing_a_drafted_issue_shows_the_diff_and_asks_first(
    wechat_editor: FlaskClient, wechat_runtime: Runtime
) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    page = text(upload(wechat_editor, f"{ISSUE}.txt", EDITED))
    assert f"{ISSUE}.txt: {ISSUE} is already drafted" in page
    assert "<strong>changed</strong>: 一、国家数据局推动行业高质量数据集建设" in page
    assert "+ 国家数据局 6 月 9 日" in page and "− 国家数据局 6 月 8 日" in page
    assert len(list_revisions(wechat_runtime, ISSUE)) == 1  # nothing replaced yet
    (token,) = re.findall(r'name="token" value="([^"]+)"', page)
    assert token not in str(wechat_editor.get_cookie("wxbot_session"))  # kept server-side

    done = post_form(
        wechat_editor,
        "/console/upload/confirm",
        {"token": token, "issue_id": ISSUE, "decision": "replace"},
    )
    assert done.status_code == 302 and done.location.endswith(f"/console/issues/{ISSUE}")
    assert len(list_revisions(wechat_runtime, ISSUE)) == 2
    assert audit(wechat_runtime)[:2] == [
        ("upload-confirm", ISSUE, "replaced"),
        ("upload", ISSUE, "held"),
    ]


def test_keeping_the_archived_issue_discards_the_upload(
    wechat_editor: FlaskClient, wechat_runtime: Runtime
) -> None:
    publish_issue(wechat_runtime, ISSUE, "draft")
    page = text(upload(wechat_editor, f"{ISSUE}.txt", EDITED))
    (token,) = re.findall(r'name="token" value="([^"]+)"', page)
    form = {"token": token, "issue_id": ISSUE}
    post_form(wechat_editor, "/console/upload/confirm", form | {"decision": "keep"})
    again = post_form(
        wechat_editor, "/console/upload/confirm", form | {"decision": "replace"},
        follow_redirects=True,
    )  # fmt: skip
    assert "Nothing replaced: that upload is no longer waiting" in text(again)
    assert len(list_revisions(wechat_runtime, ISSUE)) == 1


def test_the_issue_page_shows_preview_cover_checks_and_counters(editor: FlaskClient) -> None:
    page = text(editor.get(f"/console/issues/{ISSUE}"))
    assert "订阅号消息" in page and "转发卡片" in page  # the feed and share cards
    assert 'data-crop="pic_crop_235_1"' in page and 'data-crop="pic_crop_1_1"' in page
    assert f'src="/issues/{ISSUE}/cover.jpg?v=' in page
    assert "No problems: WeChat would take this article as it is." in page
    assert re.search(r'id="count-title">\d+ / 32<', page)
    assert re.search(r'id="count-digest">\d+ / 128<', page)
    assert 'data-limit="16" data-counter="count-author"' in page
    assert '<script src="/console/static/counters.js" defer></script>' in page
    with editor.get("/console/static/counters.js") as script:
        assert script.status_code == 200 and "javascript" in script.mimetype
        assert "data-limit" in text(script)


def test_overrides_are_saved_shown_audited_and_sent_in_the_draft(
    wechat_editor: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    form = {"title": "数据集建设方案发布", "digest": "一句话摘要。", "author": "编辑部",
            "headline": "数据要素周报", "keywords": "行业数据集\n场景指引"}  # fmt: skip
    saved = post_form(
        wechat_editor, f"/console/issues/{ISSUE}/overrides", form, page=f"/console/issues/{ISSUE}"
    )
    assert saved.status_code == 302
    page = text(wechat_editor.get(f"/console/issues/{ISSUE}"))
    assert '<p class="feed-title">数据集建设方案发布</p>' in page
    assert 'id="count-title">9 / 32<' in page and 'id="count-digest">6 / 128<' in page
    public = text(wechat_editor.get(f"/issues/{ISSUE}"))
    assert "<h1>数据集建设方案发布</h1>" in public and "编辑部" in public
    assert audit(wechat_runtime)[0] == ("overrides", ISSUE, "ok")

    publish_issue(wechat_runtime, ISSUE, "draft")
    (draft,) = sandbox.state.live_drafts()
    sent = draft.articles[0]
    assert (sent["title"], sent["digest"], sent["author"]) == (
        "数据集建设方案发布",
        "一句话摘要。",
        "编辑部",
    )


def test_an_override_past_its_limit_is_refused_with_the_count(
    editor: FlaskClient, archive: Runtime
) -> None:
    refused = post_form(editor, f"/console/issues/{ISSUE}/overrides", {"title": "题" * 33})
    assert refused.status_code == 422
    assert "Nothing saved: title: 33 characters; at most 32 are allowed." in text(refused)
    assert not get_issue(archive, ISSUE).overrides
    assert audit(archive) == [("overrides", ISSUE, "refused")]


def test_history_lists_every_call_and_explains_errors(
    wechat_editor: FlaskClient, wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    sandbox.faults.inject("draft/add", errcode=45009)
    with pytest.raises(WeChatError):
        publish_issue(wechat_runtime, ISSUE, "draft")
    publish_issue(wechat_runtime, ISSUE, "publish")
    page = text(wechat_editor.get(f"/console/issues/{ISSUE}/history"))
    for what in ("ingested revision 1", "draft run", "publish run", "↳ step draft",
                 "↳ step upload", "freepublish "):  # fmt: skip
        assert what in page, what
    assert escape(explain(45009)) in page
    assert page.count("state-failed") >= 2  # the failed run and its failed step
    assert "CST (Asia/Shanghai)" in page


def test_an_unknown_issue_is_not_found(editor: FlaskClient) -> None:
    for path in ("/console/issues/1999-01-01", "/console/issues/1999-01-01/history"):
        page = editor.get(path)
        assert page.status_code == 404 and escape("no issue '1999-01-01'") in text(page)


def test_the_sign_in_page_token_is_the_sessions(editor: FlaskClient) -> None:
    assert csrf_token(editor, "/console/upload")


@pytest.fixture
def served(app: Flask, archive: Runtime) -> Iterator[str]:
    """Return the URL of the app served on 127.0.0.1, with an editor account."""
    make_editor(archive)
    with serving(app) as url:
        yield url


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_counters_count_as_the_server_does_and_nothing_overflows_a_phone(served: str) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            errors: list[str] = []

            def note(message: Any) -> None:
                # The browser's own favicon look-up, and the refusal the test asks for, aside.
                url = message.location.get("url", "")
                if message.type == "error" and "favicon" not in url and "/overrides" not in url:
                    errors.append(f"{message.text} {url}")

            page.on("console", note)
            page.goto(f"{served}/console/issues/{ISSUE}", wait_until="load")
            page.fill("input[name=name]", "editor")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{served}/console/issues/{ISSUE}")
            shown = page.text_content("#count-title")
            page.fill("#override-title", "题" * 30 + "😀😀😀")  # emoji: one character each
            typed = page.text_content("#count-title")
            over = page.get_attribute("#count-title", "class")
            page.click("text=Save and re-render")
            page.wait_for_load_state("load")
            refused = page.text_content(".flash.error")
            wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        finally:
            browser.close()
    assert shown is not None and re.fullmatch(r"\d+ / 32", shown)
    assert typed == "33 / 32" and over is not None and "over" in over.split()
    assert refused == "Nothing saved: title: 33 characters; at most 32 are allowed."
    assert errors == [] and wide is False
