"""Read an issue an editor wrote in Markdown, through the same parser as the text format.

Front matter (YAML between ``---`` lines) gives the keys in :data:`FRONT_MATTER`: ``series``
(the newsletter's name, printed above every issue), ``title`` (this issue's own article
title), ``date`` and ``organisation`` (a string or a list). The body uses headings for 摘要,
一、… sections and 参考文献, and a bullet list of ``source | title | date | note`` for the
references.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import IssueFormatError
from ..model import Issue
from .newsletter_text import parse_text

_md = MarkdownIt("commonmark")

#: The front-matter keys, and what each one is.
FRONT_MATTER = {
    "series": "the series name printed above every issue (default: [brand] series_name)",
    "title": "this issue's own article title (default: series｜date｜first topic)",
    "date": "the issue date, YYYY-MM-DD",
    "organisation": "the organisation line(s) under the series name",
    "organization": "the same as organisation",
}


def parse_markdown(text: str, name: str, *, raw: bytes | None = None) -> Issue:
    """Parse a Markdown issue; errors point at lines of the Markdown file."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    meta, body, offset = _front_matter(text, name)
    lines: list[str] = []
    numbers: list[int] = []

    def emit(line: str, no: int) -> None:
        lines.extend([line, ""])
        numbers.extend([no, no])

    unknown = sorted(str(k) for k in meta if k not in FRONT_MATTER)
    if unknown:
        keys = "; ".join(f"{k} = {what}" for k, what in FRONT_MATTER.items())
        raise IssueFormatError(
            name, _key_line(text, unknown[0]), f"unknown front-matter key {unknown[0]!r} ({keys})"
        )
    organisation = meta.get("organisation") or meta.get("organization") or []
    for org in [organisation] if isinstance(organisation, str) else organisation:
        emit(str(org), 1)
    if meta.get("date"):
        date = meta["date"]
        emit(date.isoformat() if isinstance(date, dt.date) else str(date), 1)

    tokens = _md.parse(body)
    in_list = 0
    for i, token in enumerate(tokens):
        if token.type in ("bullet_list_open", "ordered_list_open"):
            in_list += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            in_list -= 1
        elif token.type == "inline":
            no = (token.map[0] if token.map else 0) + 1 + offset
            content = _plain(token)
            opener = tokens[i - 1].type if i else ""
            if in_list and opener == "paragraph_open":
                emit(f"- {content}", no)
            elif content:
                emit(content, no)
        elif token.type in ("fence", "code_block") and token.content.strip():
            emit(token.content.strip(), (token.map[0] if token.map else 0) + 1 + offset)
    return parse_text(
        "\n".join(lines),
        name,
        fmt="markdown",
        raw=raw or text.encode(),
        line_numbers=numbers,
        series_title=str(meta.get("series") or ""),
        title=str(meta.get("title") or "").strip(),
    )


def _key_line(text: str, key: str) -> int:
    """Return the line of the front matter where ``key`` is set."""
    for no, line in enumerate(text.split("\n")[1:], start=2):
        if line.startswith(f"{key}:"):
            return no
    return 2


def _front_matter(text: str, name: str) -> tuple[dict[str, Any], str, int]:
    if not text.startswith("---\n"):
        return {}, text, 0
    end = text.find("\n---", 4)
    if end < 0:
        raise IssueFormatError(name, 1, "front matter opened with '---' is never closed")
    try:
        meta = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise IssueFormatError(name, line, f"front matter is not valid YAML: {problem}") from None
    if not isinstance(meta, dict):
        raise IssueFormatError(name, 2, "front matter must be 'key: value' lines")
    body_start = text.find("\n", end + 1) + 1
    return meta, text[body_start:], text.count("\n", 0, body_start)


def _plain(inline: Token) -> str:
    """Return an inline token's text without Markdown markup (links keep their text)."""
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts).strip()
