"""What a search finds, as plain data: issues, the part of each that matched, a snippet of it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_WHITESPACE = re.compile(r"\s+")
_CLAUSE_ENDS = "。，；：！？、,;"


@dataclass(frozen=True)
class Item:
    """An issue found: which part matched, a snippet, where to read it."""

    issue_id: str
    heading: str
    snippet: str
    url: str
    cover_url: str


@dataclass(frozen=True)
class SearchResult:
    """The best issues for a query, newest first; ``total`` is None when there are many."""

    query: str
    items: tuple[Item, ...]
    scores: tuple[float, ...]
    total: int | None
    strong: bool


def clip(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    line = _WHITESPACE.sub(" ", text).strip()
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + "…"


def snippet(text: str, needles: Sequence[str], width: int = 60) -> str:
    """Return about ``width`` characters of ``text`` around the first of ``needles`` found.

    The excerpt starts at the clause the match stands in when that is near, so it does not
    open in the middle of a word.
    """
    line = _WHITESPACE.sub(" ", text).strip()
    lowered = line.lower()
    found = [i for n in needles if n and (i := lowered.find(n.lower())) != -1]
    if not found or len(line) <= width:
        return clip(line, width)
    at = min(found)
    start = max(at - width // 3, 0)
    clause = max(line.rfind(p, start, at) for p in _CLAUSE_ENDS)
    start = clause + 1 if clause != -1 else start
    while 0 < start < at and line[start - 1].isascii() and line[start - 1].isalnum():
        start -= 1  # not from the middle of a Latin word
    end = min(start + width, len(line))
    excerpt = line[start:end].strip()
    return ("…" if start else "") + excerpt + ("…" if end < len(line) else "")
