"""The compliance check: everything WeChat would strip or reject, found before it is sent."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urlsplit

from ..errors import WxbotError
from ..platform_limits import (
    ALLOWED_IMAGE_HOSTS,
    ALLOWED_LINK_HOSTS,
    CONTENT_MAX_BYTES,
    CONTENT_MAX_CHARS,
    FIELD_MAX_CHARS,
    IMAGE_MATERIAL_FORMATS,
    IMAGE_MATERIAL_MAX_BYTES,
    field_characters,
    image_format,
)

#: Tags WeChat's editor removes (with their content or effect), and why.
FORBIDDEN_TAGS = {
    "style": "WeChat drops <style>: every style must be inline",
    "script": "WeChat removes JavaScript",
    "noscript": "WeChat removes JavaScript and what stands in for it",
    "iframe": "WeChat drops <iframe>",
    "frame": "WeChat drops frames",
    "frameset": "WeChat drops frames",
    "link": "WeChat drops <link>: stylesheets must be inlined",
    "meta": "WeChat drops <meta> in article content",
    "base": "WeChat drops <base> in article content",
    "form": "WeChat drops forms",
    "input": "WeChat drops form controls",
    "button": "WeChat drops form controls",
    "select": "WeChat drops form controls",
    "textarea": "WeChat drops form controls",
    "object": "WeChat drops embedded objects",
    "embed": "WeChat drops embedded objects",
    "foreignobject": "WeChat drops SVG foreignObject",
}


#: Characters of the address ``media/uploadimg`` gives an image, as in
#: ``http://mmbiz.qpic.cn/mmbiz_png/<86-character id>/0``: what a local image's ``src`` will
#: count once uploaded (the real address is counted once publishing has it).
#: https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
HOSTED_IMAGE_URL_CHARS = 119

_IMAGE_SRC = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"", re.IGNORECASE)


def content_characters(html: str, *, image_hosts: Sequence[str] = ALLOWED_IMAGE_HOSTS) -> int:
    """Return the article body's length as WeChat counts it: tags and attributes included.

    ``draft/add`` needs fewer than :data:`CONTENT_MAX_CHARS` of these. An image not on WeChat
    yet counts as its address will once uploaded, so lint, publish and the preview all give
    this one number, whatever local addresses their images have.
    """
    hosts = tuple(h.lower() for h in image_hosts)
    length = len(html)
    for match in _IMAGE_SRC.finditer(html):
        src = match.group(1)
        if (urlsplit(unescape(src)).hostname or "").lower() not in hosts:
            length += HOSTED_IMAGE_URL_CHARS - len(src)
    return length


@dataclass(frozen=True)
class Problem:
    """One thing WeChat would strip or reject; ``message`` says what, where and why."""

    field: str  # "title" | "author" | "digest" | "content" | "cover"
    message: str

    def __str__(self) -> str:
        return self.message


class ArticleFields(Protocol):
    """What the check reads from an article (a RenderedArticle, or a publisher's own)."""

    @property
    def title(self) -> str: ...

    @property
    def author(self) -> str: ...

    @property
    def digest(self) -> str: ...

    @property
    def html(self) -> str: ...


class ComplianceError(WxbotError):
    """The article would be stripped or rejected by WeChat; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"- {p.message}" for p in self.problems)
        super().__init__(f"the article fails WeChat's compliance check:\n{lines}")


def lint_article(
    article: ArticleFields,
    *,
    publishing: bool,
    allowed_image_hosts: Sequence[str] = ALLOWED_IMAGE_HOSTS,
    cover_jpeg: bytes | None = None,
) -> list[Problem]:
    """Return every reason WeChat would strip or reject ``article``; empty when it is clean.

    :param publishing: when true, every image must already be WeChat-hosted; before that,
        local files are fine (publishing uploads them).
    :param cover_jpeg: the cover to check; default the article's own ``cover_jpeg``, if any.
    """
    problems = _lint_fields(article.title, article.author, article.digest)
    problems += lint_content(
        article.html, publishing=publishing, allowed_image_hosts=allowed_image_hosts
    )
    cover = getattr(article, "cover_jpeg", b"") if cover_jpeg is None else cover_jpeg
    if cover:
        problems += lint_cover(cover)
    return problems


def ensure_compliant(
    article: ArticleFields,
    *,
    publishing: bool = True,
    allowed_image_hosts: Sequence[str] = ALLOWED_IMAGE_HOSTS,
) -> None:
    """Check ``article`` as :func:`lint_article` does; run before every publish.

    :raises ComplianceError: listing every problem found.
    """
    problems = lint_article(article, publishing=publishing, allowed_image_hosts=allowed_image_hosts)
    if problems:
        raise ComplianceError(problems)


def _lint_fields(title: str, author: str, digest: str) -> list[Problem]:
    problems = []
    if not title.strip():
        problems.append(Problem("title", "title is empty; WeChat requires one"))
    for name, value in (("title", title), ("author", author), ("digest", digest)):
        limit, length = FIELD_MAX_CHARS[name], field_characters(value)
        if length > limit:
            problems.append(
                Problem(
                    name,
                    f"{name} is {length} characters ({_excerpt(value)}); "
                    f"WeChat allows at most {limit}",
                )
            )
    return problems


#: The name the cover is uploaded and exported under; lint reports it by this name.
COVER_NAME = "cover.jpg"


def lint_cover(cover: bytes, name: str = COVER_NAME) -> list[Problem]:
    """Return the problems of the cover as uploaded: ``material/add_material?type=image``.

    https://developers.weixin.qq.com/doc/offiaccount/Asset_Management/Adding_Permanent_Assets.html
    """
    problems = []
    found = image_format(cover)
    if found not in IMAGE_MATERIAL_FORMATS:
        problems.append(
            Problem(
                "cover",
                f"{name} is {found or 'not an image'}; WeChat's image material takes "
                f"{'/'.join(IMAGE_MATERIAL_FORMATS)}",
            )
        )
    if len(cover) > IMAGE_MATERIAL_MAX_BYTES:
        problems.append(
            Problem(
                "cover",
                f"{name} is {len(cover):,} bytes; WeChat's image material allows at most "
                f"{IMAGE_MATERIAL_MAX_BYTES:,} (10 MB)",
            )
        )
    return problems


def lint_content(
    html: str,
    *,
    publishing: bool,
    allowed_image_hosts: Sequence[str] = ALLOWED_IMAGE_HOSTS,
) -> list[Problem]:
    """Return the problems of an article body: tags, attributes, links, images and size."""
    return list(_content_problems(html, publishing, tuple(allowed_image_hosts)))


@functools.lru_cache(maxsize=64)
def _content_problems(
    html: str, publishing: bool, allowed_image_hosts: tuple[str, ...]
) -> tuple[Problem, ...]:
    # Pure in its arguments: a page shown again lints the same article once per worker.
    problems = []
    if not html.strip():
        problems.append(Problem("content", "content is empty"))
    characters = content_characters(html, image_hosts=allowed_image_hosts)
    if characters >= CONTENT_MAX_CHARS:
        problems.append(
            Problem(
                "content",
                f"content is {characters:,} characters counting tags and attributes; "
                f"WeChat needs fewer than {CONTENT_MAX_CHARS:,}",
            )
        )
    size = len(html.encode("utf-8"))
    if size >= CONTENT_MAX_BYTES:
        problems.append(
            Problem(
                "content",
                f"content is {size:,} bytes; WeChat needs less than {CONTENT_MAX_BYTES:,} (1 MB)",
            )
        )
    checker = _ContentChecker(publishing, tuple(h.lower() for h in allowed_image_hosts))
    checker.feed(html)
    checker.close()
    return (*problems, *checker.problems)


class _ContentChecker(HTMLParser):
    """Walk the body's tags, noting each thing WeChat strips or rejects, with its position."""

    def __init__(self, publishing: bool, image_hosts: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.publishing = publishing
        self.image_hosts = image_hosts
        self.problems: list[Problem] = []

    def report(self, what: str) -> None:
        """Note a problem at the current tag."""
        line, column = self.getpos()
        tag = _excerpt(self.get_starttag_text() or "", 60)
        self.problems.append(
            Problem("content", f"content line {line}, column {column + 1}: {what} in {tag}")
        )

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.report(f"<{tag}> tag: {FORBIDDEN_TAGS[tag]}")
        for name, value in attrs:
            value = value or ""
            if name in ("class", "id"):
                self.report(
                    f'{name}="{_excerpt(value, 30)}": WeChat drops class and id, '
                    "so the look must not depend on them (inline every style)"
                )
            elif name.startswith("on"):
                self.report(f"{name} handler: WeChat removes JavaScript")
            elif name == "style":
                self.check_style(value)
            elif name == "href" and tag == "a":
                self.check_link(value)
        if tag == "img":
            src = dict(attrs).get("src") or ""
            if src:
                self.check_image(src)
            else:
                self.report("image without src")

    def check_style(self, style: str) -> None:
        """Check an inline style for CSS variables and background images."""
        if "var(" in style:
            self.report("CSS variable var(…): WeChat does not support CSS variables")
        start = style.find("url(")
        if start >= 0:
            url = style[start + 4 : style.find(")", start)].strip("'\" ")
            self.check_image(url)

    def check_link(self, href: str) -> None:
        """Check a link: WeChat allows only official-account articles."""
        href = href.strip()
        parts = urlsplit(href)
        if href.startswith("#"):
            self.report(f'in-page anchor href="{_excerpt(href, 40)}": WeChat removes anchors')
        elif parts.scheme.lower() == "javascript":
            self.report("javascript: link: WeChat removes JavaScript")
        elif (parts.hostname or "").lower() not in ALLOWED_LINK_HOSTS:
            self.report(
                f"external link to {_excerpt(href, 60)}: WeChat rejects links to sites other "
                "than mp.weixin.qq.com (error 45166); print the address as text"
            )

    def check_image(self, src: str) -> None:
        """Check an image source against WeChat's image hosts."""
        parts = urlsplit(src)
        scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
        if scheme in ("http", "https") or src.startswith("//"):
            if host not in self.image_hosts:
                self.report(
                    f"image from {host or src}: not a WeChat image host "
                    f"({', '.join(self.image_hosts)}), so WeChat filters it out; "
                    "use a local file so publishing uploads it"
                )
        elif scheme == "data":
            self.report("inline data: image: WeChat filters out images it does not host")
        elif self.publishing:
            self.report(
                f"local image {_excerpt(src, 60)}: "
                "upload it to WeChat (uploadimg) before publishing"
            )


def _excerpt(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
