"""Break Chinese and mixed text into lines of a given width, with 禁则 and an ellipsis.

Pure: widths come from a ``measure`` function, so covers (Pillow) and tests share it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

#: Characters that must not start a line (行首禁则): closing punctuation and marks.
NO_LINE_START = frozenset("，。、：；！？）》」』】〕〉”’…—·%‰℃,.:;!?)]}»›")

#: Characters that must not end a line (行尾禁则): opening punctuation.
NO_LINE_END = frozenset("“‘（《「『【〔〈([{«‹")

#: Characters not worth keeping just before an ellipsis.
_BEFORE_ELLIPSIS = frozenset("，、：；,;: ") | NO_LINE_END

ELLIPSIS = "…"

#: A run of visible ASCII (a Latin word, a number, a URL) breaks only at its ends.
_UNIT = re.compile(r"[!-~]+|\s+|.", re.S)

Measure = Callable[[str], float]


@dataclass(frozen=True)
class WrappedText:
    """Lines that fit the width, and whether text was left out (ending in an ellipsis)."""

    lines: tuple[str, ...]
    truncated: bool


def clusters(text: str) -> list[str]:
    """Split ``text`` into the pieces a line may break between, obeying 禁则."""
    out: list[str] = []
    for unit in _UNIT.findall(" ".join(text.split())):
        glue = bool(out) and not out[-1].isspace() and not unit.isspace()
        if glue and (unit[0] in NO_LINE_START or out[-1][-1] in NO_LINE_END):
            out[-1] += unit
        else:
            out.append(unit)
    return out


def wrap(text: str, measure: Measure, width: float, max_lines: int) -> WrappedText:
    """Fill lines up to ``width``; past ``max_lines`` end the last one with an ellipsis."""
    lines: list[str] = []
    current = ""
    for piece in clusters(text):
        if piece.isspace():
            if current:
                current += " "
            continue
        if measure(current + piece) <= width:
            current += piece
            continue
        if current.strip():
            lines.append(current.rstrip())
        current = ""
        while measure(piece) > width:  # a piece wider than a line: break it by character
            head = _longest_prefix(piece, measure, width)
            lines.append(head)
            piece = piece[len(head) :]
        current = piece
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) <= max_lines:
        return WrappedText(tuple(lines), truncated=False)
    kept = lines[: max_lines - 1]
    kept.append(with_ellipsis(lines[max_lines - 1], measure, width))
    return WrappedText(tuple(kept), truncated=True)


def with_ellipsis(line: str, measure: Measure, width: float) -> str:
    """Shorten ``line`` until it and an ellipsis fit ``width``, never mid-word."""
    while line and measure(line + ELLIPSIS) > width:
        line = _drop_last(line)
    while line and line[-1] in _BEFORE_ELLIPSIS:
        line = line[:-1]
    return line + ELLIPSIS


def fit_line(text: str, measure: Measure, width: float) -> str:
    """Return ``text`` on one line, ending with an ellipsis if it is too wide."""
    return wrap(text, measure, width, max_lines=1).lines[0] if text.strip() else ""


def _drop_last(line: str) -> str:
    """Remove the last character, or the whole last Latin word when it is longer than that."""
    pieces = clusters(line)
    last = pieces[-1]
    if len(pieces) > 1 and last.isascii() and last[-1:].isalnum() and not last.isspace():
        return "".join(pieces[:-1]).rstrip()
    return line[:-1]


def _longest_prefix(piece: str, measure: Measure, width: float) -> str:
    for end in range(len(piece) - 1, 0, -1):
        if measure(piece[:end]) <= width:
            return piece[:end]
    return piece[:1]
