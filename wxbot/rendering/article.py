"""Render an issue as the WeChat article: inline-styled HTML, title, digest and covers."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import css_inline

from ..config import BrandSection, Settings
from ..errors import ConfigError
from ..model import FooterBlock, Issue
from ..resources import assets_dir
from .digest import article_digest
from .environment import render_template
from .themes import Theme, load_theme
from .titles import article_author, article_title, date_text, series_name, tighten

#: Maps a local image to the URL its ``src`` gets (the publisher's uploads to WeChat).
ImageUrl = Callable[[Path], str]

#: Theme class for each kind of footer text block.
_FOOTER_CLASSES = {
    "contact": "footer-label",
    "website": "website",
    "disclaimer": "disclaimer",
    "text": "footer-text",
}

#: A start tag as the inliner serialises it: attribute values always in double quotes.
_START_TAG = re.compile(r"<[a-zA-Z][^\s/>]*(?:\s+[^\s=\"/>]+(?:=\"[^\"]*\")?)*\s*/?>")
_ATTRIBUTE = re.compile(r"\s+([^\s=\"/>]+)(?:=\"([^\"]*)\")?")
_DECLARATION_SPACE = re.compile(r"\s*([:;])\s*")
_TEMPLATE_WHITESPACE = re.compile(r">\s*\n\s*<")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^<>\s]+)>")

#: Attributes WeChat drops; kept only until the inliner has matched the theme's selectors.
SELECTOR_ATTRIBUTES = frozenset({"class", "id"})


@dataclass(frozen=True)
class ArticleBody:
    """The article's HTML and the local images it shows, in order."""

    html: str
    images: list[Path]


@dataclass(frozen=True)
class RenderedArticle:
    """Everything a WeChat draft of one issue needs."""

    issue_id: str
    theme: str
    title: str
    author: str
    digest: str
    html: str
    images: list[Path]
    cover_jpeg: bytes = field(default=b"", repr=False)  # one image for both crops


@dataclass(frozen=True)
class _QrCode:
    src: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _FooterItem:
    kind: str
    css_class: str = ""
    lines: tuple[str, ...] = ()
    qr_codes: tuple[_QrCode, ...] = ()


def render_issue(
    issue: Issue,
    settings: Settings,
    *,
    image_url: ImageUrl | None = None,
    with_covers: bool = True,
) -> RenderedArticle:
    """Render an issue as a WeChat article: HTML, title, author, digest and cover.

    :param image_url: gives the ``src`` for each local image, called once per image (the
        publisher's hook uploads it to WeChat); default a ``file://`` URL.
    :param with_covers: false skips the cover (``cover_jpeg`` stays empty),
        for callers that only need the HTML.
    :raises ConfigError: on an unknown theme or a missing brand image.
    """
    theme = load_theme(settings)
    body = render_article(issue, settings, image_url=image_url, theme=theme)
    cover = b""
    if with_covers:
        from .cover_images import make_cover  # Pillow only when covers are asked

        cover = make_cover(issue, settings)
    return RenderedArticle(
        issue_id=issue.id,
        theme=theme.name,
        title=article_title(issue, settings),
        author=article_author(issue, settings),
        digest=article_digest(issue),
        html=body.html,
        images=body.images,
        cover_jpeg=cover,
    )


def render_article(
    issue: Issue,
    settings: Settings,
    *,
    image_url: ImageUrl | None = None,
    theme: Theme | None = None,
) -> ArticleBody:
    """Render the article body: every part of the issue, in order, with the theme inlined."""
    theme = theme or load_theme(settings)
    to_url = image_url or _file_url
    urls: dict[Path, str] = {}  # each image is given to the hook once (one upload)

    def src(path: Path) -> str:
        if path not in urls:
            urls[path] = to_url(path)
        return urls[path]

    brand = settings.brand
    contents = [c.title for c in issue.contents] or [s.title for s in issue.sections]
    if issue.references and not issue.contents:
        contents.append("参考文献")
    raw = render_template(
        "article/article.html",
        series_title=series_name(issue, settings),
        organisation_lines=issue.organisation_lines or tuple(brand.organisation_lines),
        date_text=date_text(issue.date),
        summary_paragraphs=[p.strip() for p in issue.summary.splitlines() if p.strip()],
        contents=contents,
        sections=issue.sections,
        references=issue.references,
        footer=_footer(issue.footer, brand, src),
    )
    html = _inliner().inline_fragment(raw, theme.css)
    html = _START_TAG.sub(_clean_start_tag, html)
    return ArticleBody(html=_TEMPLATE_WHITESPACE.sub("><", html).strip(), images=list(urls))


@functools.cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(load_remote_stylesheets=False, keep_style_tags=False)


def _clean_start_tag(tag: re.Match[str]) -> str:
    """Drop class and id, and the inliner's spaces in styles: both count toward 20,000."""

    def clean(attribute: re.Match[str]) -> str:
        name = attribute.group(1).lower()
        if name in SELECTOR_ATTRIBUTES:
            return ""
        if name == "style" and attribute.group(2) is not None:
            style = _DECLARATION_SPACE.sub(r"\1", attribute.group(2)).rstrip(";")
            return f' style="{style}"'
        return attribute.group(0)

    return _ATTRIBUTE.sub(clean, tag.group(0))


def _file_url(path: Path) -> str:
    return path.resolve().as_uri()


def brand_image(image: str, index: int) -> Path:
    """Return the file of the ``index``-th ``[brand] qr_codes`` image.

    :raises ConfigError: when it does not exist.
    """
    path = Path(image)
    if not path.is_absolute():
        path = assets_dir() / path
    if not path.is_file():
        raise ConfigError(f"brand.qr_codes[{index}].image: {path} does not exist")
    return path


def _lines(text: str) -> tuple[str, ...]:
    text = _AUTOLINK.sub(r"\1", text)  # "<https://…>" is Markdown for a link: print the URL
    return tuple(tighten(line) for line in text.splitlines() if line.strip())


def _footer(
    blocks: Sequence[FooterBlock],
    brand: BrandSection,
    src: Callable[[Path], str],
) -> list[_FooterItem]:
    """Lay out the footer: the issue's blocks in order, QR captions paired with brand images."""
    configured = brand.qr_codes
    images = [brand_image(qr.image, i) for i, qr in enumerate(configured)]
    items: list[_FooterItem] = []
    row: list[_QrCode] = []
    used = 0
    for block in blocks:
        if block.kind == "qr_caption":
            image_src = src(images[used]) if used < len(images) else ""
            row.append(_QrCode(image_src, _lines(block.text)))
            used += 1
            continue
        if row:
            items.append(_FooterItem("qr_codes", qr_codes=tuple(row)))
            row = []
        css_class = _FOOTER_CLASSES.get(block.kind, "footer-text")
        items.append(_FooterItem(block.kind, css_class, _lines(block.text)))
    if row:
        items.append(_FooterItem("qr_codes", qr_codes=tuple(row)))
    unused = tuple(
        _QrCode(src(images[i]), _lines(configured[i].caption)) for i in range(used, len(images))
    )
    if unused:
        _add_qr_codes(items, unused)
    if not any(item.kind == "disclaimer" for item in items) and brand.footer_text:
        items.append(_FooterItem("disclaimer", "disclaimer", _lines(brand.footer_text)))
    return items


def _add_qr_codes(items: list[_FooterItem], qr_codes: tuple[_QrCode, ...]) -> None:
    """Add brand QR codes the issue did not caption: to its last row, else after its label."""
    for i in range(len(items) - 1, -1, -1):
        if items[i].kind == "qr_codes":
            items[i] = _FooterItem("qr_codes", qr_codes=items[i].qr_codes + qr_codes)
            return
    at = 1 if items and items[0].kind == "contact" else 0
    items.insert(at, _FooterItem("qr_codes", qr_codes=qr_codes))
