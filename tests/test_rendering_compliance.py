"""The compliance check: clean samples pass, and each thing WeChat strips or rejects is named."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result
from console_support import signed_in_client

from wxbot import config as config_module
from wxbot.app import create_app
from wxbot.archive import get_issue
from wxbot.parsing import parse_file
from wxbot.platform_limits import CONTENT_MAX_CHARS, IMAGE_MATERIAL_MAX_BYTES
from wxbot.rendering import RenderedArticle, render_issue
from wxbot.rendering.compliance import (
    HOSTED_IMAGE_URL_CHARS,
    ComplianceError,
    content_characters,
    ensure_compliant,
    lint_article,
    lint_content,
)
from wxbot.rendering.themes import available_themes
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime

WECHAT_IMAGE = "http://mmbiz.qpic.cn/mmbiz_png/abc/0?wx_fmt=png"


def settings(**overrides: Any) -> dict[str, dict[str, Any]]:
    return config_module.load(environ={}, overrides=overrides)


def article(html: str = "<p>正文</p>", **fields: Any) -> RenderedArticle:
    values: dict[str, Any] = {
        "issue_id": "2026-06-13",
        "theme": "blue",
        "title": "新质生产力每日动态｜6月13日",
        "author": "新质生产力工委",
        "digest": "摘要。",
        "html": html,
        "images": [],
    }
    return RenderedArticle(**(values | fields))


@pytest.mark.parametrize("theme", available_themes())
@pytest.mark.parametrize("path", sample_issues(), ids=lambda p: p.stem)
def test_both_samples_pass(path: Any, theme: str) -> None:
    rendered = render_issue(parse_file(path), settings(**{"render.theme": theme}))
    assert lint_article(rendered, publishing=False) == []
    assert rendered.cover_jpeg, "the cover was checked too"


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<style>p{color:red}</style><p>x</p>", "<style> tag: WeChat drops <style>"),
        ("<p>x</p><script>alert(1)</script>", "<script> tag: WeChat removes JavaScript"),
        ('<iframe src="https://v.qq.com/x"></iframe>', "<iframe> tag: WeChat drops <iframe>"),
        ('<link rel="stylesheet" href="a.css">', "<link> tag: WeChat drops <link>"),
        ('<form action="/x"><input name="q"></form>', "<form> tag: WeChat drops forms"),
        ('<form><input name="q"></form>', "<input> tag: WeChat drops form controls"),
        ('<p class="lead">x</p>', 'class="lead": WeChat drops class and id'),
        ('<section id="top">x</section>', 'id="top": WeChat drops class and id'),
        ('<p onclick="go()">x</p>', "onclick handler: WeChat removes JavaScript"),
        ('<a href="https://example.com/a">x</a>', "external link to https://example.com/a"),
        ('<a href="http://gyznsw.cn">x</a>', "WeChat rejects links to sites other than mp.weixin"),
        ('<a href="#refs">参考文献</a>', 'in-page anchor href="#refs": WeChat removes anchors'),
        ('<a href="javascript:void(0)">x</a>', "javascript: link"),
        (
            '<img src="https://example.com/a.png">',
            "image from example.com: not a WeChat image host",
        ),
        ('<img src="data:image/png;base64,iVBO">', "inline data: image"),
        ("<img alt=x>", "image without src"),
        ('<p style="color:var(--ink)">x</p>', "CSS variable var(…)"),
        (
            '<section style="background:url(https://cdn.example.com/bg.png)">x</section>',
            "image from cdn.example.com",
        ),
    ],
)
def test_crafted_bad_content_fails_with_the_reason(html: str, message: str) -> None:
    problems = lint_article(article(html), publishing=False)
    assert any(message in p.message for p in problems), [p.message for p in problems]
    assert all(p.field == "content" for p in problems)
    assert all(p.message.startswith("content line 1, column ") for p in problems)


def test_position_points_at_the_offending_tag() -> None:
    html = '<section>\n<p>ok</p>\n  <p class="x">bad</p>\n</section>'
    (problem,) = lint_article(article(html), publishing=False)
    assert problem.message.startswith('content line 3, column 3: class="x"')
    assert problem.message.endswith('in <p class="x">')


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://mp.weixin.qq.com/s/abc">往期</a>',
        f'<img src="{WECHAT_IMAGE}">',
        '<img src="https://mmbiz.qlogo.cn/mmbiz/x/0">',
        "<p>网站地址：https://gyznsw.cn</p>",  # an address as text is not a link
        '<p style="margin:0;color:#3f3f3f">正文<br>第二行</p>',
    ],
)
def test_what_wechat_accepts_passes(html: str) -> None:
    assert lint_article(article(html), publishing=True) == []


@pytest.mark.parametrize(
    ("src", "publishing", "fails"),
    [
        ("file:///srv/wxbot/assets/brand/qr-account.png", False, False),
        ("images/qr-account.png", False, False),
        ("file:///srv/wxbot/assets/brand/qr-account.png", True, True),
        ("/issues/2026-06-13/images/qr-account.png", True, True),
        (WECHAT_IMAGE, True, False),
        ("https://sandbox.test/mmbiz/abc.png", True, True),
    ],
)
def test_local_images_are_fine_until_publishing(src: str, publishing: bool, fails: bool) -> None:
    problems = lint_article(article(f'<img src="{src}">'), publishing=publishing)
    assert bool(problems) is fails, problems
    if fails and publishing and not src.startswith("http"):
        assert "upload it to WeChat (uploadimg) before publishing" in problems[0].message


def test_allowed_image_hosts_can_be_given() -> None:
    html = '<img src="http://127.0.0.1:8765/mmbiz/abc.png">'
    assert lint_article(article(html), publishing=True, allowed_image_hosts=["127.0.0.1"]) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"title": "题" * 33},
            "title is 33 characters (" + "题" * 33 + "); WeChat allows at most 32",
        ),
        ({"title": " "}, "title is empty"),
        ({"author": "作" * 17}, "author is 17 characters"),
        ({"digest": "摘" * 129}, "digest is 129 characters"),
        ({"html": "<p>" + "字" * 20_000 + "</p>"}, "content is 20,007 characters counting tags"),
        ({"html": "<p>" + "字" * 19_993 + "</p>"}, "WeChat needs fewer than 20,000"),
        ({"html": ""}, "content is empty"),
        (
            {"cover_jpeg": b"\xff\xd8\xff" + bytes(IMAGE_MATERIAL_MAX_BYTES - 2)},
            "cover.jpg is 10,000,001 bytes; WeChat's image material allows at most 10,000,000",
        ),
        ({"cover_jpeg": b"RIFF....WEBPVP8 "}, "cover.jpg is not an image"),
    ],
)
def test_field_limits(fields: dict[str, Any], message: str) -> None:
    problems = lint_article(article(**fields), publishing=False)
    assert any(message in p.message for p in problems), [p.message for p in problems]


def test_limits_are_inclusive_where_wechat_says_at_most() -> None:
    ok = article(
        "<p>" + "字" * 19_992 + "</p>", title="题" * 32, author="作" * 16, digest="摘" * 128,
        cover_jpeg=b"\xff\xd8\xff" + bytes(IMAGE_MATERIAL_MAX_BYTES - 3),
    )  # fmt: skip
    assert len(ok.html) == 19_999 and len(ok.cover_jpeg) == 10_000_000
    assert lint_article(ok, publishing=False) == []


def test_content_of_a_megabyte_is_named_as_such() -> None:
    big = article("<p>" + "𠀀" * 262_144 + "</p>")  # 4 bytes a character
    messages = [p.message for p in lint_article(big, publishing=False)]
    assert "content is 1,048,583 bytes; WeChat needs less than 1,048,576 (1 MB)" in messages


def test_ensure_compliant_raises_listing_every_problem() -> None:
    bad = article('<p class="a">x</p><script></script>', title="题" * 40)
    with pytest.raises(ComplianceError) as caught:
        ensure_compliant(bad)
    assert len(caught.value.problems) == 3
    text = str(caught.value)
    assert text.startswith("the article fails WeChat's compliance check:")
    assert "title is 40 characters" in text and "<script> tag" in text and 'class="a"' in text


def test_ensure_compliant_when_publishing_requires_wechat_hosted_images() -> None:
    rendered = render_issue(parse_file(sample_issues()[0]), settings(), with_covers=False)
    with pytest.raises(ComplianceError, match="local image file://"):
        ensure_compliant(rendered)
    ensure_compliant(rendered, publishing=False)


@pytest.mark.parametrize(
    ("html", "characters"),
    [
        ("<p>正文</p>", 9),
        # an image not on WeChat yet counts as its uploadimg address will, whatever its src
        ('<img src="file:///tmp/a.png">', 10 + HOSTED_IMAGE_URL_CHARS + 2),
        ('<img src="images/a.png">', 10 + HOSTED_IMAGE_URL_CHARS + 2),
        ('<img alt="x" src="wxbot-upload:' + "0" * 64 + '"/>', 18 + HOSTED_IMAGE_URL_CHARS + 3),
        # one WeChat already hosts counts as it is
        (f'<img src="{WECHAT_IMAGE}">', 12 + len(WECHAT_IMAGE)),
    ],
)
def test_content_characters_count_tags_and_hosted_image_addresses(
    html: str, characters: int
) -> None:
    assert content_characters(html) == characters


def test_the_limit_is_checked_on_that_count() -> None:
    image = '<img src="images/a.png">'
    body = "<p>" + "字" * (CONTENT_MAX_CHARS - 7 - content_characters(image)) + "</p>" + image
    assert len(body) < CONTENT_MAX_CHARS - 100  # the local address is short…
    assert content_characters(body) == CONTENT_MAX_CHARS  # …the uploaded one is not
    [problem] = lint_content(body, publishing=False)
    assert problem.message == (
        f"content is {CONTENT_MAX_CHARS:,} characters counting tags and attributes; "
        f"WeChat needs fewer than {CONTENT_MAX_CHARS:,}"
    )


def test_lint_publish_and_the_preview_give_one_count(
    wechat_cli: Callable[..., Result],
    wechat_config: dict[str, Any],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    issue = "2026-06-13"
    counted = re.compile(r"([\d,]+) characters counting tags")
    linted = wechat_cli("lint", issue)
    assert linted.exit_code == 0, linted.output
    published = wechat_cli("publish", issue)
    assert published.exit_code == 0, published.output
    runtime = runtime_factory(wechat_config)
    client = signed_in_client(create_app(runtime).test_client(), runtime)
    page = client.get(f"/console/issues/{issue}/preview")
    assert page.status_code == 200
    previewed = re.search(r"正文 ([\d,]+) / 20,000 字符（含标签）", page.get_data(as_text=True))
    assert previewed is not None
    counts = {counted.findall(linted.output)[0], counted.findall(published.output)[0]}
    assert counts == {previewed.group(1)}
    rendered = render_issue(get_issue(runtime_factory(wechat_config), issue), settings())
    assert previewed.group(1) == f"{content_characters(rendered.html):,}"
