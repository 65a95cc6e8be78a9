"""Group an issue's footer lines into blocks and tell what each block is."""

from __future__ import annotations

import re

from .page_layout import Gap, Line


def blocks_by_gaps(texts: list[str], units: list[list[Line]]) -> list[list[str]]:
    """Group footer lines into the blocks blank lines (and page breaks) separate."""
    groups: list[list[str]] = []
    for text, unit in zip(texts, units, strict=True):
        if not groups or unit[0].gap is not Gap.NONE:
            groups.append([])
        groups[-1].append(text)
    return groups


#: A line that names where a QR code leads, closing its caption.
_CHANNEL = re.compile(r"(?:公众号|服务号|视频号|小程序|网站|平台)$|^[\w.-]+\.(?:cn|com|net|org)$")


def blocks_by_captions(texts: list[str]) -> list[list[str]]:
    """Group footer lines with no blank lines between them: a QR caption is a name and the
    channel it leads to; every other footer line is a block of its own."""
    groups: list[list[str]] = []
    open_caption = False
    for text in texts:
        caption = footer_kind([text]) == "qr_caption"
        if caption and open_caption:
            groups[-1].append(text)
        else:
            groups.append([text])
        open_caption = caption and not _CHANNEL.search(text)
    return groups


_WEBSITE = re.compile(r"网站|网址|https?://|<https?://")
_DISCLAIMER = re.compile(r"仅供|不构成|免责|版权")
_CONTACT = re.compile(r"联系|扫描|扫码|电话|邮箱|@")
#: Longest line of a caption printed under a QR code.
MAX_CAPTION_LINE = 20


def footer_kind(lines: list[str]) -> str:
    """Return what a footer block is: disclaimer, contact, website, qr_caption or text."""
    text = "".join(lines)
    if _DISCLAIMER.search(text):
        return "disclaimer"
    if _CONTACT.search(text):
        return "contact"
    if _WEBSITE.search(text):
        return "website"
    if all(len(line) <= MAX_CAPTION_LINE for line in lines):
        return "qr_caption"
    return "text"
