"""The archive pages: an issue as a follower reads it, the covers; and the editor's preview."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLES
from console_support import signed_in_client
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from wxbot.archive import get_issue, ingest_paths
from wxbot.rendering import render_issue
from wxbot.rendering.cover_images import make_cover
from wxbot.rendering.themes import available_themes
from wxbot.resources import assets_dir
from wxbot.runtime import Runtime
from wxbot.web import archive_pages
from wxbot.web.rendered_pages import RENDER_SLOTS

#: The editor's phone preview: a console page, for signed-in editors.
PREVIEW = "/console/issues/2026-06-25/preview"


def test_public_page_shows_the_article_with_served_images(
    archive: Runtime, client: FlaskClient
) -> None:
    response = client.get("/issues/2026-06-13")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)

    issue = get_issue(archive, "2026-06-13")
    article = render_issue(
        issue,
        archive.settings,
        image_url=lambda p: f"/issues/2026-06-13/images/{p.name}",
        with_covers=False,
    )
    assert article.html in page
    assert f"<h1>{article.title}</h1>" in page
    assert (
        '<meta property="og:image" content="http://wxbot.test/issues/2026-06-13/cover.jpg">' in page
    )
    assert f'<meta property="og:description" content="{article.digest}">' in page


def test_preview_shows_checks_cards_and_article(archive: Runtime, client: FlaskClient) -> None:
    signed_in_client(client, archive)
    page = client.get(PREVIEW).get_data(as_text=True)
    assert page.count('src="/issues/2026-06-25/cover.jpg?v=') == 2  # its band and its square
    assert "thumb.jpg" not in page
    assert "合规检查通过" in page
    assert 'src="/issues/2026-06-25/images/qr-account.png"' in page


def test_the_cover_is_served_with_an_etag(archive: Runtime, client: FlaskClient) -> None:
    name = "cover.jpg"
    response = client.get(f"/issues/2026-06-13/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == make_cover(get_issue(archive, "2026-06-13"), archive.settings)

    again = client.get(
        f"/issues/2026-06-13/{name}", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304


def test_article_images_are_served_and_nothing_else(archive: Runtime, client: FlaskClient) -> None:
    response = client.get("/issues/2026-06-13/images/qr-website.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == (assets_dir() / "brand/qr-website.png").read_bytes()
    assert client.get("/issues/2026-06-13/images/other.png").status_code == 404
    assert client.get("/issues/2026-06-13/images/..%2F..%2Fpyproject.toml").status_code == 404


@pytest.mark.parametrize("path", ["", "/cover.jpg", "/images/qr-account.png"])
def test_unknown_issue_is_not_found(archive: Runtime, client: FlaskClient, path: str) -> None:
    response = client.get(f"/issues/2025-01-01{path}")
    assert response.status_code == 404


def titles(response: Any) -> list[str]:
    """Return the issue titles an index page lists, in order."""
    return re.findall(r'<span class="title">([^<]*)</span>', response.get_data(as_text=True))


def test_the_index_lists_issues_newest_first(archive: Runtime, client: FlaskClient) -> None:
    response = client.get("/issues")
    assert response.status_code == 200
    assert titles(response) == [
        "新质生产力每日动态｜6月25日｜李强出席夏季达沃斯开幕式",
        "新质生产力每日动态｜6月13日｜“数据要素 ×”进入收官攻坚",
    ]
    page = response.get_data(as_text=True)
    assert 'href="http://wxbot.test/issues/2026-06-25"' in page  # not on WeChat yet
    assert '<form class="search" action="/issues" method="get"' in page
    assert 'rel="next"' not in page  # one page


@pytest.mark.parametrize(
    ("query", "listed", "links"),
    [
        ("", ["6月25日"], ['rel="next"', "第 1 / 2 页"]),
        ("?page=1", ["6月25日"], ['href="/issues?page=2" rel="next"']),
        ("?page=2", ["6月13日"], ['href="/issues?page=1" rel="prev"', "第 2 / 2 页"]),
    ],
)
def test_the_index_is_paginated(
    archive: Runtime,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
    query: str,
    listed: list[str],
    links: list[str],
) -> None:
    monkeypatch.setattr(archive_pages, "PER_PAGE", 1)
    response = client.get(f"/issues{query}")
    assert response.status_code == 200
    assert [title.split("｜")[1] for title in titles(response)] == listed
    page = response.get_data(as_text=True)
    assert all(link in page for link in links), page


@pytest.mark.parametrize("page", ["3", "-1"])
def test_a_page_past_the_end_is_not_found(
    archive: Runtime, client: FlaskClient, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    monkeypatch.setattr(archive_pages, "PER_PAGE", 1)
    assert client.get(f"/issues?page={page}").status_code == 404


@pytest.mark.parametrize(
    ("query", "listed", "says"),
    [
        ("数据要素", ["6月25日", "6月13日"], "与“数据要素”相关的 2 期"),
        ("达沃斯", ["6月25日"], "与“达沃斯”相关的 1 期"),
        ("量子引力", [], "没有找到与“量子引力”相关的日报"),
    ],
)
def test_the_search_box_searches_the_archive(
    archive: Runtime, client: FlaskClient, query: str, listed: list[str], says: str
) -> None:
    response = client.get("/issues", query_string={"q": query})
    assert response.status_code == 200
    assert [title.split("｜")[1] for title in titles(response)] == listed
    page = response.get_data(as_text=True)
    assert says in page
    assert f'name="q" value="{query}"' in page  # the box keeps the query


@pytest.mark.parametrize(
    "query", ['"><script>alert(1)</script>', "<img src=x onerror=alert(1)>", "数据'要素"]
)
def test_the_index_escapes_what_it_is_given(
    archive: Runtime, client: FlaskClient, query: str
) -> None:
    page = client.get("/issues", query_string={"q": query}).get_data(as_text=True)
    assert query not in page
    assert "<script>alert" not in page and "<img src=x" not in page
    assert f'value="{escape(query)}"' in page


# --- what each worker keeps, and how many pages it renders at once ----------------------------


def test_the_preview_follows_a_reingest_and_a_settings_change(
    archive: Runtime, client: FlaskClient, tmp_path: Path
) -> None:
    signed_in_client(client, archive)
    before = client.get(PREVIEW).get_data(as_text=True)
    assert "规模化创新" in before and "规模化跃迁" not in before
    edited = tmp_path / "2026-06-25.txt"
    edited.write_text(
        SAMPLES[-1].read_text(encoding="utf-8").replace("规模化创新", "规模化跃迁"),
        encoding="utf-8",
    )
    assert [r.status for r in ingest_paths(archive, [edited])] == ["replaced"]
    after = client.get(PREVIEW).get_data(as_text=True)
    assert "规模化跃迁" in after and "规模化创新" not in after

    theme = archive.settings.render.theme
    other = next(t for t in available_themes() if t != theme)
    archive.settings = archive.settings.updated({"render": {"theme": other}})
    restyled = client.get(PREVIEW).get_data(as_text=True)
    assert (f"主题 {theme}" in after, f"主题 {other}" in restyled) == (True, True)


@pytest.fixture
def slow_covers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[str]]]:
    """Make drawing a cover wait for a signal, and record each issue's cover drawn."""
    go, drawn = threading.Event(), []

    def draw(issue: Any, settings: Any) -> bytes:
        drawn.append(issue.id)
        assert go.wait(30), "the test never let the covers finish"
        return make_cover(issue, settings)

    monkeypatch.setattr(archive_pages, "make_cover", draw)
    yield go, drawn
    go.set()


def test_a_busy_worker_refuses_more_renders_at_once_and_keeps_what_it_rendered(
    archive: Runtime,
    app: Flask,
    slow_covers: tuple[threading.Event, list[str]],
) -> None:
    go, drawn = slow_covers
    answers: dict[str, int] = {}

    def fetch(issue_id: str) -> None:
        answers[issue_id] = app.test_client().get(f"/issues/{issue_id}/cover.jpg").status_code

    rendering = [threading.Thread(target=fetch, args=(i,)) for i in ("2026-06-13", "2026-06-25")]
    for thread in rendering:
        thread.start()
    while len(drawn) < RENDER_SLOTS:  # both slots taken (the samples are two issues)
        threading.Event().wait(0.01)

    client = signed_in_client(app.test_client(), archive)
    refused = client.get(PREVIEW)
    searched = client.get("/issues?q=数据要素")
    assert (refused.status_code, refused.headers["Retry-After"]) == (503, "1")
    assert searched.status_code == 503
    assert client.get("/wechat").status_code != 503  # the callback takes no render slot

    go.set()
    for thread in rendering:
        thread.join(30)
    assert answers == {"2026-06-13": 200, "2026-06-25": 200}
    assert client.get(PREVIEW).status_code == 200
    assert client.get("/issues/2026-06-25/cover.jpg").status_code == 200
    assert sorted(drawn) == ["2026-06-13", "2026-06-25"]  # each cover drawn once
