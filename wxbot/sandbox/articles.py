"""The rules an article must meet in ``draft/add`` and ``draft/update``, and what the editor strips.

https://developers.weixin.qq.com/doc/service/api/draftbox/draftmanage/api_draft_add
Limits are checked on the content as sent (tags and attributes count); then scripts and the
other stripped elements go, external images are filtered out, and links to sites other than
mp.weixin.qq.com refuse the whole draft with 45166.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from . import limits
from .protocol import ApiError

ARTICLE_TYPES = ("news", "newspic")
FLAG_FIELDS = ("need_open_comment", "only_fans_can_comment", "show_cover_pic")
CROP_FIELDS = ("pic_crop_235_1", "pic_crop_1_1")
_COORDINATE = rf"(\d+(?:\.\d{{1,{limits.CROP_MAX_DECIMALS}}})?)"
_CROP = re.compile(rf"^{_COORDINATE}_{_COORDINATE}_{_COORDINATE}_{_COORDINATE}$")


@dataclass
class CleanContent:
    """Content after the editor's pass, and what it removed."""

    html: str
    text: str
    filtered_images: list[str] = field(default_factory=list)
    bad_links: list[str] = field(default_factory=list)


def normalize_article(
    raw: Any,
    *,
    single: bool,
    is_material: Callable[[str], bool],
    own_netloc: str,
) -> tuple[dict[str, Any], list[str]]:
    """Return the article as stored plus the image URLs filtered out of its content.

    :param single: whether the draft has one article (only then is a digest kept).
    :param is_material: whether a media_id names a permanent material.
    :param own_netloc: the sandbox's ``host:port``, which counts as WeChat's own host.
    :raises ApiError: with the documented errcode for the first rule broken.
    """
    if not isinstance(raw, Mapping):
        raise ApiError(40097, "each article must be an object")
    article_type = raw.get("article_type") or "news"
    if article_type not in ARTICLE_TYPES:
        raise ApiError(40097, "article_type must be news or newspic")
    title = _text(raw, "title", required=True)
    if len(title) > limits.TITLE_MAX_CHARS:
        raise ApiError(45003)
    author = _text(raw, "author")
    if len(author) > limits.AUTHOR_MAX_CHARS:
        raise ApiError(45110)
    digest = _text(raw, "digest")
    if len(digest) > limits.DIGEST_MAX_CHARS:
        raise ApiError(45004)
    content = _text(raw, "content", required=True)
    if (
        len(content) >= limits.CONTENT_MAX_CHARS
        or len(content.encode("utf-8")) >= limits.CONTENT_MAX_BYTES
    ):
        raise ApiError(45002)
    source_url = _text(raw, "content_source_url")
    if len(source_url.encode("utf-8")) > limits.CONTENT_SOURCE_URL_MAX_BYTES:
        raise ApiError(45005)
    thumb = _text(raw, "thumb_media_id")
    if (thumb or article_type == "news") and not is_material(thumb):
        raise ApiError(40007, "thumb_media_id must be a permanent material")
    article: dict[str, Any] = {
        "article_type": article_type,
        "title": title,
        "author": author,
        "content_source_url": source_url,
        "thumb_media_id": thumb,
    }
    for name in FLAG_FIELDS:
        article[name] = _flag(raw, name)
    for name in CROP_FIELDS:
        if raw.get(name) not in (None, ""):
            article[name] = check_crop(raw[name])
    clean = clean_content(content, own_netloc)
    if clean.bad_links:
        raise ApiError(45166, f"links to other sites: {', '.join(clean.bad_links[:3])}")
    article["content"] = clean.html
    if not single:
        article["digest"] = ""  # only single-article drafts keep a digest
    else:
        article["digest"] = digest or clean.text[: limits.DIGEST_DEFAULT_CHARS]
    return article, clean.filtered_images


def check_crop(value: Any) -> str:
    """Return a valid ``X1_Y1_X2_Y2`` crop (fractions of the image) or raise 53402.

    Each coordinate has at most six decimals, and the crop lies inside the image (draft/add).
    """
    match = _CROP.match(value) if isinstance(value, str) else None
    if match is None:
        raise ApiError(
            53402,
            f"crop {value!r} is not X1_Y1_X2_Y2 with at most "
            f"{limits.CROP_MAX_DECIMALS} decimals each",
        )
    x1, y1, x2, y2 = (float(g) for g in match.groups())
    if not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
        raise ApiError(53402, f"crop {value!r} is not inside the image")
    return str(value)


def is_wechat_image(src: str, own_netloc: str) -> bool:
    """Return whether an image URL is hosted by WeChat (or by this sandbox)."""
    parts = urlsplit(src)
    if parts.scheme not in ("http", "https"):
        return False
    return parts.hostname in limits.WECHAT_IMAGE_HOSTS or parts.netloc == own_netloc


def is_allowed_link(href: str, own_netloc: str) -> bool:
    """Return whether a body link points at an official-account article."""
    parts = urlsplit(href)
    if parts.scheme not in ("http", "https"):
        return False
    if parts.hostname in limits.ALLOWED_LINK_HOSTS:
        return True
    return parts.netloc == own_netloc and parts.path.startswith("/s/")


def clean_content(content: str, own_netloc: str) -> CleanContent:
    """Return the content as the editor keeps it, noting filtered images and bad links."""
    parser = _EditorPass(own_netloc)
    parser.feed(content)
    parser.close()
    text = re.sub(r"\s+", " ", html.unescape("".join(parser.text))).strip()
    return CleanContent("".join(parser.out), text, parser.filtered_images, parser.bad_links)


class _EditorPass(HTMLParser):
    """Copy content through, dropping what the WeChat editor drops."""

    def __init__(self, own_netloc: str) -> None:
        super().__init__(convert_charrefs=False)
        self.own_netloc = own_netloc
        self.out: list[str] = []
        self.text: list[str] = []
        self.filtered_images: list[str] = []
        self.bad_links: list[str] = []
        self._skipping: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        if self._skipping:
            self._depth += tag == self._skipping and not self_closing
            return
        if tag in limits.STRIPPED_ELEMENTS:
            if not self_closing and tag != "link":
                self._skipping, self._depth = tag, 1
            return
        kept = [(k, v) for k, v in attrs if k not in limits.STRIPPED_ATTRIBUTES]
        if tag == "img":
            src = dict(attrs).get("src") or ""
            if not is_wechat_image(src, self.own_netloc):
                self.filtered_images.append(src)
                return
        if tag == "a":
            href = dict(attrs).get("href")
            if href is not None and href.startswith("#"):
                kept = [(k, v) for k, v in kept if k != "href"]  # in-page anchors are removed
            elif href is not None and not is_allowed_link(href, self.own_netloc):
                self.bad_links.append(href)
        if kept == attrs:
            self.out.append(self.get_starttag_text() or "")
        else:
            rendered = "".join(
                f" {k}" if v is None else f' {k}="{html.escape(v, quote=True)}"' for k, v in kept
            )
            self.out.append(f"<{tag}{rendered}{' /' if self_closing else ''}>")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping:
            if tag == self._skipping:
                self._depth -= 1
                if self._depth == 0:
                    self._skipping = None
            return
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.out.append(data)
            self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if not self._skipping:
            self.out.append(f"&{name};")
            self.text.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        if not self._skipping:
            self.out.append(f"&#{name};")
            self.text.append(f"&#{name};")


def _text(raw: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise ApiError(44003 if name == "content" else 40097, f"{name} is required")
        return ""
    if not isinstance(value, str):
        raise ApiError(40097, f"{name} must be a string")
    return value


def _flag(raw: Mapping[str, Any], name: str) -> int:
    value = raw.get(name, 0)
    if value in (0, 1, "0", "1", True, False):
        return int(value)
    raise ApiError(40097, f"{name} must be 0 or 1")
