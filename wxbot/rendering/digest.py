"""The article digest: the 摘要's leading sentences, within WeChat's length limit."""

from __future__ import annotations

import re

from ..model import Issue
from ..platform_limits import DIGEST_MAX_CHARS

#: A sentence ends at 。！？!? (or …… ) plus any closing quotes or brackets right after it.
_SENTENCE = re.compile(r".+?(?:[。！？!?]|……)[”’」』）)》]*|.+$", re.S)

#: Where a too-long first sentence may be cut, best first.
_CLAUSE_ENDS = ("；", "，", "、", "：")

ELLIPSIS = "…"

#: A line break with the whitespace around it, and the characters either side.
_LINE_BREAK = re.compile(r"(\S?)\s*\n\s*(\S?)")


def _join(match: re.Match[str]) -> str:
    # Chinese lines join without a space; Latin words keep one between them.
    before, after = match.group(1), match.group(2)
    space = " " if before.isascii() and after.isascii() else ""
    return before + space + after


def sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, keeping each one's final punctuation."""
    flat = _LINE_BREAK.sub(_join, text.strip())
    return [s.strip() for s in _SENTENCE.findall(flat) if s.strip()]


def make_digest(summary: str, limit: int = DIGEST_MAX_CHARS) -> str:
    """Return as many whole leading sentences of ``summary`` as fit in ``limit`` characters.

    When even the first sentence is too long, cut it after its last clause that fits and
    end with an ellipsis, so the digest never stops mid-word.
    """
    parts = sentences(summary)
    digest = ""
    for sentence in parts:
        if len(digest) + len(sentence) > limit:
            break
        digest += sentence
    if digest or not parts:
        return digest
    head = parts[0][: limit - len(ELLIPSIS)]
    for mark in _CLAUSE_ENDS:
        cut = head.rfind(mark)
        if cut > 0:
            return head[:cut] + ELLIPSIS
    return head + ELLIPSIS


def article_digest(issue: Issue) -> str:
    """Return the article's digest: the editor's, else the summary's leading sentences."""
    return issue.overrides.digest.strip() or make_digest(issue.summary)
