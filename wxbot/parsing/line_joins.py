"""Join the lines of a paragraph cut at line ends, restoring the spaces the cuts dropped.

A line cut next to a Latin word, a digit or a symbol (``AI``, ``6 月``, ``×``) loses the space
that may have stood there; whether it did is read from the same characters elsewhere in the
text, since editors space (or do not space) them consistently within a paragraph or section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

ASCII_WORD = re.compile(r"[A-Za-z0-9%]")
IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
LATIN_START = re.compile(r"[A-Za-z0-9%(\[<]")
#: Full-width punctuation, which takes no space beside it.
CJK_PUNCTUATION = re.compile(r"[\u3000-\u303f\uff00-\uffef]")
#: Characters beside which a cut may have dropped a space: Latin, digits, symbols (×).
UNUSUAL = re.compile(r"[^\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’—…·\s]")
#: A boundary between an ideograph and a Latin letter or digit, with or without a space.
SCRIPT_BOUNDARY = re.compile(r"[\u3400-\u9fff] ?[A-Za-z0-9(\[<]|[A-Za-z0-9] ?[\u3400-\u9fff]")


def join_wrapped(
    parts: Sequence[str], spacing: Callable[[int, str, str], bool | None] | None = None
) -> str:
    """Join pieces of one paragraph cut at line ends, restoring the spaces the cuts dropped.

    Latin words get one space between them. Where a cut leaves a Latin word, a digit or a
    symbol (``×``) beside other text, the space goes back if the text does so elsewhere:
    ``spacing(k, left, right)`` answers for the cut after part ``k`` from the text around it
    (``None``: no evidence); without it, the nearest ideograph–Latin pair in the paragraph
    decides, and an ideograph next to a Latin word is spaced when nothing else says.
    """
    result = ""
    undecided: list[tuple[int, int, str, str]] = []
    for k, part in enumerate(parts):
        if not part:
            continue
        if result:
            left, right = result[-1], part[0]
            if ASCII_WORD.match(left) and ASCII_WORD.match(right):
                result += " "
            elif left.isascii() and right.isascii() and left not in "-/":
                result += " "  # Latin text wraps at spaces (or after a hyphen or slash)
            elif UNUSUAL.search(result[-2:] + part[:2]) and not (
                CJK_PUNCTUATION.match(left) or CJK_PUNCTUATION.match(right)
            ):
                undecided.append((len(result), k - 1, result[-2:], part[:2]))
        result += part
    if not undecided:
        return result
    cuts = {cut for cut, *_ in undecided}
    known = [
        (m.start(), " " in m.group())
        for m in SCRIPT_BOUNDARY.finditer(result)
        if m.start() + 1 not in cuts
    ]
    for cut, before, left, right in reversed(undecided):
        spaced = spacing(before, left, right) if spacing else None
        if spaced is None and known and script_pair(left[-1], right[0]):
            spaced = min(known, key=lambda pair: abs(pair[0] - cut))[1]
        if spaced is None:  # an ideograph and a Latin word, or Latin text after a quote
            spaced = script_pair(left[-1], right[0]) or (
                left[-1] in "’”" and ASCII_WORD.match(right[0]) is not None
            )
        if spaced:
            result = result[:cut] + " " + result[cut:]
    return result


def script_pair(left: str, right: str) -> bool:
    """Return whether two characters are an ideograph and a Latin letter or digit."""
    return bool(
        (IDEOGRAPH.match(left) and LATIN_START.match(right))
        or (ASCII_WORD.match(left) and IDEOGRAPH.match(right))
    )


def kind(c: str) -> str:
    """Return the class of a character for spacing: ideograph, latin, or itself."""
    return "ideograph" if IDEOGRAPH.match(c) else "latin" if ASCII_WORD.match(c) else c


def spacing_of(text: str, probe: str, after: bool, other: str) -> bool | None:
    """Return whether ``probe`` inside ``text`` is spaced from a character of ``other``'s
    kind after it (or before it); ``None`` when it never stands beside one."""
    start = text.find(probe)
    while start >= 0:
        if after:
            rest = text[start + len(probe) :]
            spaced, beside = rest.startswith(" "), rest.lstrip(" ")[:1]
        else:
            head = text[:start]
            spaced, beside = head.endswith(" "), head.rstrip(" ")[-1:]
        if beside and kind(beside) == kind(other):
            return spaced
        start = text.find(probe, start + 1)
    return None
