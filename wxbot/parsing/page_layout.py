"""Turn a file's text into measured lines: page furniture removed, wraps and gaps kept as evidence.

A PDF's text layer (and text saved from it) has no paragraphs, only lines: hard-wrapped at the
page width, with or without blank lines between paragraphs, and each page repeating its running
header, footer and page number. This module removes what repeats at page edges and records for
each remaining line what a reader uses to see a paragraph's end: whether a blank line or a page
break precedes it, whether it reaches the page width (it was cut, not ended) and whether it is
indented. The issue parser decides paragraphs from that evidence, region by region.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

# PDF extractors often return a radical (U+2F49 ⽉, U+2ED3 ⻓) or a compatibility form for a
# glyph the font shares with an ordinary ideograph (月, 长), and a ligature for a dash pair.
# Map only those: full NFKC would also turn CJK punctuation (：，) into ASCII.
_SUPPLEMENT_RADICALS = {  # Unicode's EquivalentUnifiedIdeograph.txt, simplified forms
    0x2E8E: "兀",
    0x2EA0: "民",
    0x2EA6: "丬",
    0x2EA9: "王",
    0x2EAB: "罒",
    0x2EBC: "月",
    0x2EC1: "虎",
    0x2EC5: "见",
    0x2EC6: "角",
    0x2EC8: "讠",
    0x2EC9: "贝",
    0x2ECB: "车",
    0x2ED3: "长",
    0x2ED4: "门",
    0x2ED8: "青",
    0x2EDA: "页",
    0x2EDB: "风",
    0x2EDC: "飞",
    0x2EDD: "食",
    0x2EE0: "饣",
    0x2EE2: "马",
    0x2EE3: "骨",
    0x2EE4: "鬼",
    0x2EE5: "鱼",
    0x2EE6: "鸟",
    0x2EE7: "卤",
    0x2EE8: "麦",
    0x2EE9: "黄",
    0x2EEC: "齐",
    0x2EEE: "齿",
    0x2EF0: "龙",
    0x2E3A: "——",
    0x2E3B: "———",
}
_IDEOGRAPH_LOOKALIKES = _SUPPLEMENT_RADICALS | {
    c: unicodedata.normalize("NFKC", chr(c))
    for block in (range(0x2E80, 0x2EFF), range(0x2F00, 0x2FD6), range(0xF900, 0xFB07))
    for c in block
    if c not in _SUPPLEMENT_RADICALS and unicodedata.normalize("NFKC", chr(c)) != chr(c)
}

#: A line that is only a page number: ``3``, ``- 3 -``, ``第 3 页``, ``第 3 页 / 共 6 页``…
PAGE_NUMBER_LINE = re.compile(
    r"^(?:[-–—]\s*)?\d{1,3}(?:\s*[-–—])?$"
    r"|^第\s*\d{1,3}\s*页(?:\s*[/／,，|]?\s*共\s*\d{1,3}\s*页)?$"
    r"|^\d{1,3}\s*[/／]\s*\d{1,3}$"
    r"|^(?:page|p\.)\s*\d{1,3}(?:\s*(?:of|/)\s*\d{1,3})?$",
    re.IGNORECASE,
)
#: Lines that are structure, never page furniture, however often they recur at page edges.
_STRUCTURE = re.compile(
    r"^(?:[-•·*]\s|[一二三四五六七八九十]{1,3}\s*[、.．])|^(?:摘要|目录|参考文献)$"
)
#: Widest a page's line can be, in half-width cells (80 CJK characters: landscape A3).
MAX_WRAP = 160
#: How many lines at each edge of a page may be running headers or footers.
EDGE_LINES = 2
_DIGITS = re.compile(r"\d+")
_SENTENCE_END = re.compile(r"[。！？；!?][”’」』）)]*$")
_SPACES = re.compile(r"\s+")


class Gap(StrEnum):
    """What separates a line from the line before it."""

    NONE = ""
    BLANK = "blank"  # one or more blank lines
    PAGE = "page"  # a page break (running header and footer removed)


@dataclass(frozen=True)
class Line:
    """A non-blank line of the issue, stripped, with what its layout says about it.

    :param no: 1-based line number in the file (or in the text extracted from it).
    :param gap: what precedes the line.
    :param full: the line reaches the text's wrap width, give or take what proportional
        type and line-breaking rules leave, so it was most likely cut rather than ended.
    :param brimful: the line could not have taken one more word or character: as strong a
        sign of a cut as layout gives (a paragraph's last line can still fill it exactly).
    :param indented: the line starts further right than the body's lines (a first line).
    :param index: the line's position among the text's lines.
    """

    no: int
    text: str
    gap: Gap = Gap.NONE
    full: bool = False
    indented: bool = False
    index: int = 0
    brimful: bool = False


@dataclass(frozen=True)
class Layout:
    """The lines of a text and the width it was wrapped at (``None`` when it was not)."""

    lines: list[Line]
    wrap_width: int | None
    blank_separated: bool  # blank lines separate the paragraphs


def display_width(text: str) -> int:
    """Return ``text``'s width in half-width cells: ASCII takes one, anything else two.

    In CJK text every non-ASCII character is wide or ambiguous-width (ideographs, full-width
    punctuation, curly quotes, ×, —), so this is Unicode's East Asian width, counted fast.
    """
    return 2 * len(text) - len(text.encode("ascii", "ignore"))


def normalise(text: str) -> str:
    """Return ``text`` without BOM or CR line ends, ideograph lookalikes mapped to ideographs."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.translate(_IDEOGRAPH_LOOKALIKES)


@dataclass
class _Raw:
    no: int
    lead: int  # leading whitespace, in half-width cells
    text: str


def layout_lines(text: str, line_numbers: Sequence[int] | None = None) -> Layout:
    """Return the lines of ``text`` (pages separated by form feeds) with their layout evidence.

    :param line_numbers: the original line number of each line of ``text`` when the text was
        derived from another format, so errors point into the original.
    """
    pages = _pages(normalise(text), line_numbers)
    _remove_running_lines(pages)
    measured = [r for page in pages for r in page if r is not None]
    base = _left_edge(r.lead for r in measured)
    wrap = _wrap_width([(r.lead - base) + display_width(r.text) for r in measured])
    # A blank line at the foot of a page is a paragraph's end, unless every page, the last
    # too, ends with one: then it is the space a removed footer left. Likewise at the head
    # of a page, unless every page after the first starts with one (a header's space).
    bottoms = [_edge_blank(page, top=False) for page in pages]
    tops = [_edge_blank(page, top=True) for page in pages[1:]]
    telling_bottom = any(bottoms[:-1]) and not all(bottoms)
    telling_top = any(tops) and not all(tops)
    at_breaks = [
        (telling_bottom and bottom) or (telling_top and top)
        for bottom, top in zip(bottoms[:-1], tops, strict=True)
    ]
    placed: list[tuple[_Raw, Gap]] = []
    for index, page in enumerate(pages):
        gap = Gap.NONE
        if index and placed:
            gap = Gap.BLANK if at_breaks[index - 1] else Gap.PAGE
        for raw in page:
            if raw is None:
                if placed and gap is Gap.NONE:
                    gap = Gap.BLANK
                continue
            placed.append((raw, gap))
            gap = Gap.NONE
    lines: list[Line] = []
    for k, (raw, gap) in enumerate(placed):
        indent = raw.lead - base
        width = indent + display_width(raw.text)
        full = brimful = False
        if wrap is not None:
            following = placed[k + 1] if k + 1 < len(placed) else None
            # Cut, not ended: the next line's first word (a Latin word, or a character with
            # the punctuation that may not leave it) would not have fitted on this one.
            pushed = False
            if following is not None and following[1] is not Gap.BLANK:
                unit = _first_unit(following[0].text)
                space = int(raw.text[-1].isascii() and unit[0].isascii())  # between words
                pushed = width + space + display_width(unit) > wrap
            full = pushed or width >= wrap - _tolerance(wrap)
            brimful = pushed or width >= wrap - 1
        lines.append(Line(raw.no, raw.text, gap, full, 2 <= indent <= 10, k, brimful))
    # Blank lines separate paragraphs when most finished sentences at a line's end have one
    # after them (blank lines around the header alone do not make it so).
    ends = [k for k in range(len(lines) - 1) if _SENTENCE_END.search(lines[k].text)]
    blank_ends = sum(lines[k + 1].gap is Gap.BLANK for k in ends)
    return Layout(lines, wrap, blank_ends >= 3 and blank_ends >= 0.5 * len(ends))


_FIRST_UNIT = re.compile(r"[!-~]+|[“‘（《「『【(]*.[，。、；：！？”’）》」』】…]*")


def _first_unit(text: str) -> str:
    """Return the start of ``text`` a line cannot be broken inside (a word, a character)."""
    m = _FIRST_UNIT.match(text)
    return m.group() if m else text[:1]


def _tolerance(wrap: int) -> int:
    """Return how much shorter than the wrap width a cut line may be (kinsoku, Latin words)."""
    return max(3, wrap // 12)


def _pages(text: str, line_numbers: Sequence[int] | None) -> list[list[_Raw | None]]:
    """Split into pages at form feeds and at page-number lines; blank lines become ``None``."""
    pages: list[list[_Raw | None]] = [[]]
    for i, raw_line in enumerate(text.split("\n")):
        no = line_numbers[i] if line_numbers is not None and i < len(line_numbers) else i + 1
        chunks = raw_line.split("\f")
        for k, chunk in enumerate(chunks):
            if k:
                pages.append([])
            expanded = chunk.replace("\t", "    ").replace("\xa0", " ")
            stripped = expanded.replace("\u3000", " ").strip()
            if not stripped:
                if k == len(chunks) - 1:
                    pages[-1].append(None)
                continue
            if PAGE_NUMBER_LINE.match(stripped):
                pages.append([])
                continue
            body = expanded.lstrip(" \u3000")
            lead = display_width(expanded[: len(expanded) - len(body)])
            pages[-1].append(_Raw(no, lead, _SPACES.sub(" ", stripped)))
    return [page for page in pages if any(r is not None for r in page)]


def _edge_blank(page: list[_Raw | None], top: bool) -> bool:
    """Return whether a page's content starts (or ends) with a blank line."""
    ordered = page if top else page[::-1]
    return bool(ordered) and ordered[0] is None and any(r is not None for r in ordered)


def _signature(text: str) -> str:
    return _DIGITS.sub("#", _SPACES.sub("", text))


def _remove_running_lines(pages: list[list[_Raw | None]]) -> None:
    """Remove running headers and footers: lines repeated at the edges of several pages."""
    first = [r for r in pages[0] if r is not None] if pages else []
    if len(first) > 1 and _signature(first[0].text) == _signature(first[1].text):
        pages[0].remove(first[0])  # a running header over the title that says the same
    if len(pages) < 2:
        return
    seen: Counter[str] = Counter()
    for page in pages:
        content = [r for r in page if r is not None]
        edge = content[:EDGE_LINES] + content[max(EDGE_LINES, len(content) - EDGE_LINES) :]
        seen.update({_signature(r.text) for r in edge if not _STRUCTURE.match(r.text)})
    running = {sig for sig, n in seen.items() if n >= max(2, (len(pages) + 1) // 2)}
    if not running:
        return
    for number, page in enumerate(pages):
        for from_top in (True, False):
            for _ in range(EDGE_LINES):
                content = [r for r in page if r is not None]
                if not content:
                    break
                outer = content[0] if from_top else content[-1]
                sig = _signature(outer.text)
                if sig not in running:
                    break
                if number == 0 and outer is content[0] and not _repeats_next(content, sig):
                    break  # the document's first line is its title, even when a header says it too
                page.remove(outer)


def _repeats_next(content: list[_Raw], sig: str) -> bool:
    return len(content) > 1 and _signature(content[1].text) == sig


def _left_edge(leads: Iterable[int]) -> int:
    """Return the body's left edge: the smallest indentation many lines share."""
    counts = Counter(leads)
    total = sum(counts.values())
    common = [lead for lead, n in counts.items() if n >= max(2, total // 10)]
    return min(common or counts or [0])


def _wrap_width(widths: list[int]) -> int | None:
    """Return the width the text was wrapped at, when most long lines end near one width."""
    if len(widths) < 4:
        return None
    ordered = sorted(widths)
    high = ordered[int(0.9 * (len(ordered) - 1))]
    # The commonest width near the top: lines with hanging punctuation stick out past it.
    near = Counter(w for w in widths if w >= high - _tolerance(high))
    wrap = max(near.items(), key=lambda item: (item[1], item[0]))[0]
    tolerance = _tolerance(wrap)
    full = sum(w >= wrap - tolerance for w in widths)
    long = sum(w >= wrap // 2 for w in widths)
    wider = sum(w > wrap + tolerance for w in widths)
    if wrap <= MAX_WRAP and full >= 4 and full >= 0.3 * long and wider <= 0.1 * len(widths):
        return wrap
    return None
