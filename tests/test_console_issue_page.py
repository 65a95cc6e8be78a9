"""The console's issue page shows the issue as it is now: kept renderings follow every change."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLES
from console_support import post_form, signed_in_client
from flask.testing import FlaskClient

from wxbot.app import create_app
from wxbot.archive import get_issue, ingest_paths
from wxbot.links import issue_links_for
from wxbot.publishing import publish_issue
from wxbot.rendering.cover_images import make_cover
from wxbot.rendering.themes import available_themes
from wxbot.rendering.titles import article_title
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling import schedule_send

ISSUE = "2026-06-25"
PAGE = f"/console/issues/{ISSUE}"


def cover_src(page: str) -> str:
    """Return where the issue page's cover image comes from."""
    found = re.search(r'<img class="cover-full" src="([^"]+)"', page)
    assert found, "no cover on the issue page"
    return html.unescape(found.group(1))


def text_of(page: str) -> str:
    """Return a page's text: tags dropped, entities decoded, spaces squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


#: A change: make it; return what the page shows after it, and what it showed before.
Change = Callable[[FlaskClient, Runtime, Path], tuple[str, str]]


def edit_overrides(client: FlaskClient, runtime: Runtime, tmp_path: Path) -> tuple[str, str]:
    title = article_title(get_issue(runtime, ISSUE), runtime.settings)
    saved = post_form(client, f"{PAGE}/overrides", {"title": "编辑改的标题", "headline": "新封面"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    return '<p class="feed-title">编辑改的标题</p>', f'<p class="feed-title">{title}</p>'


def reingest(client: FlaskClient, runtime: Runtime, tmp_path: Path) -> tuple[str, str]:
    edited = tmp_path / f"{ISSUE}.txt"
    source = SAMPLES[-1].read_text(encoding="utf-8")
    edited.write_text(source.replace("规模化创新", "规模化跃迁"), encoding="utf-8")
    assert [r.status for r in ingest_paths(runtime, [edited])] == ["replaced"]
    return "规模化跃迁", "规模化创新"


def change_theme(client: FlaskClient, runtime: Runtime, tmp_path: Path) -> tuple[str, str]:
    theme = runtime.settings.render.theme
    other = next(t for t in available_themes() if t != theme)
    runtime.settings = runtime.settings.updated({"render": {"theme": other}})
    return f"主题 {other}", f"主题 {theme}"


@pytest.mark.parametrize("change", [edit_overrides, reingest, change_theme])
def test_a_change_shows_on_the_issue_page_at_once(
    client: FlaskClient, archive: Runtime, tmp_path: Path, change: Change
) -> None:
    signed_in_client(client, archive)
    before = client.get(PAGE).get_data(as_text=True)  # rendered, and kept by the worker
    shown, gone = change(client, archive, tmp_path)
    after = client.get(PAGE).get_data(as_text=True)
    assert (shown in before, gone in before) == (False, True)
    assert (shown in after, gone in after) == (True, False)
    # The cover is another URL (no browser shows the kept old one), served as it is now.
    assert cover_src(after) != cover_src(before)
    served = client.get(cover_src(after)).data
    assert served == make_cover(get_issue(archive, ISSUE), archive.settings)


def test_an_edited_headline_is_a_new_cover(
    client: FlaskClient, archive: Runtime, tmp_path: Path
) -> None:
    signed_in_client(client, archive)
    old = client.get(cover_src(client.get(PAGE).get_data(as_text=True))).data
    edit_overrides(client, archive, tmp_path)
    new = client.get(cover_src(client.get(PAGE).get_data(as_text=True))).data
    assert new != old


def test_the_issue_page_shows_where_the_issue_stands(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    client = signed_in_client(create_app(wechat_runtime).test_client(), wechat_runtime)
    publish_issue(wechat_runtime, ISSUE, "publish")
    job = schedule_send(wechat_runtime, ISSUE, wechat_runtime.now() + dt.timedelta(days=1))
    page = text_of(client.get(PAGE).get_data(as_text=True))
    (url,) = issue_links_for(wechat_runtime, [ISSUE]).values()
    assert f"Published {url}" in page
    assert "Draft published · version 1 · " in page and "Mass sends none" in page
    assert f"#{job.id} " in page and " everyone scheduled" in page
    assert "1 of 1 mass send(s) left today" in page
    assert "Phone preview" in page and "Overrides" in page and "No problems" in page
