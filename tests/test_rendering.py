"""The article as WeChat receives it: every part of the issue, inline-styled, class-free."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from wxbot import config as config_module
from wxbot.errors import ConfigError
from wxbot.model import Issue, Section
from wxbot.parsing import parse_file
from wxbot.platform_limits import DIGEST_MAX_CHARS, TITLE_MAX_CHARS
from wxbot.rendering import render_issue
from wxbot.rendering.compliance import lint_article
from wxbot.rendering.digest import make_digest
from wxbot.rendering.themes import available_themes
from wxbot.resources import assets_dir, sample_issues

SAMPLES = {path.stem: path for path in sample_issues()}
THEMES = available_themes()
BLOCK_TAGS = {"p", "section", "h1", "h2", "h3", "li", "br"}


def settings(**overrides: Any) -> dict[str, dict[str, Any]]:
    """Return the default configuration with dotted-key overrides."""
    return config_module.load(environ={}, overrides=overrides)


def sample(issue_id: str) -> Issue:
    return parse_file(SAMPLES[issue_id])


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser


def text_lines(html: str) -> list[str]:
    """Return the article's visible text, one line per block."""
    text = "".join(parse(html).parts)
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_article_carries_every_part_of_the_issue_in_order(issue_id: str) -> None:
    issue = sample(issue_id)
    article = render_issue(issue, settings(), with_covers=False)
    lines = text_lines(article.html)
    text = "\n".join(lines)

    expected_in_order = [
        issue.series_title,
        *issue.organisation_lines,
        "2026 年 6 月",
        "摘要",
        flat(issue.summary),
        *(flat(c.title) for c in issue.contents),
    ]
    for section in issue.sections:
        expected_in_order += [flat(section.title), *(flat(p) for p in section.paragraphs)]
    expected_in_order.append("参考文献")
    for ref in issue.references:
        expected_in_order += [flat(part) for part in (ref.source, ref.title, ref.date, ref.note)]
    position = 0
    for piece in expected_in_order:
        found = text.find(piece, position)
        assert found >= 0, f"missing or out of order: {piece!r}"
        position = found + len(piece)


@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_article_keeps_figures_and_footer_but_no_contents_page_numbers(issue_id: str) -> None:
    issue = sample(issue_id)
    article = render_issue(issue, settings(), with_covers=False)
    lines = text_lines(article.html)
    text = "\n".join(lines)

    for block in issue.footer:
        for line in block.text.splitlines():
            shown = re.sub(r"<(https?://[^>]+)>", r"\1", line).replace("： ", "：")
            assert flat(shown) in text, f"footer line missing: {line!r}"
    images = [attrs for tag, attrs in parse(article.html).tags if tag == "img"]
    assert [Path(str(a["src"])).name for a in images] == ["qr-account.png", "qr-website.png"]
    assert article.images == [
        assets_dir() / "brand/qr-account.png",
        assets_dir() / "brand/qr-website.png",
    ]
    captions = [b.text for b in issue.footer if b.kind == "qr_caption"]
    assert [a["alt"] for a in images] == [" ".join(c.split()) for c in captions]

    for entry in issue.contents:
        assert flat(entry.title) in lines, "contents entry is not a line of its own"
        numbered = re.compile(re.escape(flat(entry.title)) + r"\s*\d+$")
        assert not any(numbered.match(line) for line in lines), f"page number kept: {entry}"


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_every_style_is_inline_and_no_selector_survives(issue_id: str, theme: str) -> None:
    article = render_issue(sample(issue_id), settings(**{"render.theme": theme}), with_covers=False)
    tags = parse(article.html).tags

    assert not [t for t, attrs in tags if "class" in attrs or "id" in attrs]
    assert {t for t, _ in tags} <= {"section", "p", "h2", "span", "br", "img"}
    assert all(attrs.get("style") for t, attrs in tags if t in {"p", "h2", "img"})
    assert "var(" not in article.html and "<style" not in article.html
    assert "href" not in article.html, "no links: in-page anchors and external links both fail"


@pytest.mark.parametrize("theme", THEMES)
def test_typography_suits_a_phone_and_dark_mode(theme: str) -> None:
    html = render_issue(
        sample("2026-06-13"), settings(**{"render.theme": theme}), with_covers=False
    ).html
    root = dict(parse(html).tags[0][1])["style"] or ""
    declarations = dict(d.split(":", 1) for d in root.split(";"))

    assert 15 <= int(declarations["font-size"].removesuffix("px")) <= 17
    assert 1.6 <= float(declarations["line-height"]) <= 1.9
    assert declarations["letter-spacing"] != "0"
    assert not re.search(r"color:(#000\b|#000000|black|rgb\(0,0,0\))", html), "forced black text"
    assert html.count("background") == 1, "only the summary box has a background"
    headings = [a["style"] for t, a in parse(html).tags if t == "h2"]
    assert headings and all("font-weight:bold" in str(s) for s in headings)


def test_themes_differ_and_the_blue_one_takes_the_brand_colours() -> None:
    issue = sample("2026-06-25")
    blue = render_issue(issue, settings(**{"brand.primary_color": "#123456"}), with_covers=False)
    neutral = render_issue(
        issue,
        settings(**{"render.theme": "neutral", "brand.primary_color": "#123456"}),
        with_covers=False,
    )

    assert {"blue", "neutral"} <= set(THEMES)
    assert "#123456" in blue.html and "#123456" not in neutral.html
    assert text_lines(blue.html) == text_lines(neutral.html)


def test_an_unknown_theme_names_the_available_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"render.theme: no theme 'pink' \(available: blue, neutral"
    ):
        render_issue(sample("2026-06-13"), settings(**{"render.theme": "pink"}))


def test_a_missing_brand_image_is_a_config_error() -> None:
    config = settings(**{"brand.qr_codes": [{"image": "brand/nope.png", "caption": "x"}]})
    with pytest.raises(ConfigError, match=r"brand.qr_codes\[0\].image: .*nope.png does not exist"):
        render_issue(sample("2026-06-13"), config, with_covers=False)


def test_image_url_hook_gives_every_src_and_publishing_then_passes() -> None:
    seen: list[Path] = []

    def upload(path: Path) -> str:
        seen.append(path)
        return f"http://mmbiz.qpic.cn/mmbiz_png/{path.stem}/0?wx_fmt=png"

    article = render_issue(sample("2026-06-13"), settings(), image_url=upload, with_covers=False)

    assert seen == article.images, "each local image is uploaded once, in order"
    srcs = [a["src"] for t, a in parse(article.html).tags if t == "img"]
    assert srcs == [upload(p) for p in article.images]
    assert lint_article(article, publishing=True) == []


def test_brand_qr_codes_are_shown_when_the_issue_has_no_captions() -> None:
    issue = dataclasses.replace(sample("2026-06-13"), footer=())
    article = render_issue(issue, settings(), with_covers=False)
    lines = text_lines(article.html)

    assert "新质生产力工作委员会官方公众号" in lines and "工业智能算网 gyznsw.cn" in lines
    assert lines[-1] == "本报告仅供行业研究参考，不构成投资建议"
    assert len(article.images) == 2


def test_rendering_is_deterministic_and_covers_are_optional() -> None:
    issue = sample("2026-06-25")
    first = render_issue(issue, settings(), with_covers=False)
    second = render_issue(issue, settings(), with_covers=False)

    assert first == second
    assert first.cover_jpeg == b""
    assert first.author == "新质生产力工委"


@pytest.mark.parametrize(
    ("issue_id", "keywords", "expected"),
    [
        ("2026-06-25", [], "新质生产力每日动态｜6月25日｜李强出席夏季达沃斯开幕式"),
        ("2026-06-13", [], "新质生产力每日动态｜6月13日｜“数据要素 ×”进入收官攻坚"),
        ("2026-06-13", ["数据要素", "AI 资产"], "新质生产力每日动态｜6月13日｜数据要素"),
        (
            "2026-06-13",
            ["一个远远超过三十二个字符限制的非常非常长的关键词"],
            "新质生产力每日动态｜6月13日",
        ),
    ],
)
def test_title_is_series_date_and_the_first_topic_that_fits(
    issue_id: str, keywords: list[str], expected: str
) -> None:
    article = render_issue(
        sample(issue_id), settings(**{"cover.keywords": keywords}), with_covers=False
    )
    assert article.title == expected
    assert len(article.title) <= TITLE_MAX_CHARS


def test_title_fits_even_with_a_long_series_name() -> None:
    issue = dataclasses.replace(sample("2026-06-13"), series_title="长" * 40)
    title = render_issue(issue, settings(), with_covers=False).title
    assert len(title) <= TITLE_MAX_CHARS and title.endswith("…｜6月13日")


LONG = "这是一个很长的句子" * 12  # 108 characters


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("第一句。第二句！第三句？", "第一句。第二句！第三句？"),
        ("他说：“好了。”然后走了。", "他说：“好了。”然后走了。"),
        (f"{LONG}。{LONG}。", f"{LONG}。"),
        ("第一行\n第二行。", "第一行第二行。"),
        ("First line\nsecond line.", "First line second line."),
        (
            "甲" * 60 + "，" + "乙" * 60 + "，" + "丙" * 60 + "。",
            "甲" * 60 + "，" + "乙" * 60 + "…",
        ),
        ("无" * 200, "无" * 127 + "…"),
        ("", ""),
    ],
)
def test_digest_keeps_whole_sentences_within_the_limit(summary: str, expected: str) -> None:
    digest = make_digest(summary)
    assert digest == expected
    assert len(digest) <= DIGEST_MAX_CHARS


@pytest.mark.parametrize("issue_id", sorted(SAMPLES))
def test_sample_digests_are_the_summaries_opening_sentences(issue_id: str) -> None:
    issue = sample(issue_id)
    digest = render_issue(issue, settings(), with_covers=False).digest
    assert issue.summary.startswith(digest) and digest.endswith("。")
    assert 0 < len(digest) <= DIGEST_MAX_CHARS


def test_long_issue_stays_within_wechat_limits() -> None:
    issue = sample("2026-06-13")
    many = tuple(
        Section(number=str(n), heading=s.heading, paragraphs=s.paragraphs)
        for n, s in enumerate(issue.sections * 3, start=1)
    )
    article = render_issue(dataclasses.replace(issue, sections=many), settings(), with_covers=False)
    assert len(article.html) < 20_000, "fifteen sections still fit WeChat's 20,000 characters"
