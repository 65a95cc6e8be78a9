"""The archive pages: an issue as a follower reads it, the editor's preview, the covers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from wxbot.archive import get_issue
from wxbot.rendering import render_issue
from wxbot.rendering.cover_images import make_cover, make_thumb
from wxbot.resources import assets_dir
from wxbot.runtime import Runtime


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
    page = client.get("/issues/2026-06-25/preview").get_data(as_text=True)
    assert 'src="/issues/2026-06-25/cover.jpg"' in page
    assert 'src="/issues/2026-06-25/thumb.jpg"' in page
    assert "合规检查通过" in page
    assert 'src="/issues/2026-06-25/images/qr-account.png"' in page


@pytest.mark.parametrize(("name", "make"), [("cover.jpg", make_cover), ("thumb.jpg", make_thumb)])
def test_covers_are_served_with_etags(
    archive: Runtime, client: FlaskClient, name: str, make: Callable[..., Any]
) -> None:
    response = client.get(f"/issues/2026-06-13/{name}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.data == make(get_issue(archive, "2026-06-13"), archive.settings)

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


@pytest.mark.parametrize(
    "path", ["", "/preview", "/cover.jpg", "/thumb.jpg", "/images/qr-account.png"]
)
def test_unknown_issue_is_not_found(archive: Runtime, client: FlaskClient, path: str) -> None:
    response = client.get(f"/issues/2025-01-01{path}")
    assert response.status_code == 404
