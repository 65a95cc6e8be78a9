"""Parse the newsletter's text format (as extracted from its PDF) into an :class:`Issue`.

The layout, top to bottom: series title, organisation lines, the date (``2026 年 6 月 13 日``),
``摘要`` and its paragraphs, ``Contents``/``目录`` entries, numbered sections (``一、heading``
then paragraphs), ``参考文献`` entries (``- source | title | date | note``) and footer blocks.

Paragraphs are found by evidence, region by region (:mod:`.page_layout` measures the lines):
a paragraph goes on while its sentence is unfinished or its line was cut at the wrap width,
and ends at a finished sentence on a short line, a blank line, an indented line or the next
heading. Blank lines, wrapping, page numbers, running headers and footers, ``- `` bullets,
CRLF, a BOM and full-width spaces therefore do not change the issue.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from ..errors import IssueFormatError
from ..model import (
    CHINESE_NUMERALS,
    ContentsEntry,
    FooterBlock,
    Issue,
    Reference,
    Section,
    Source,
)
from .footer_blocks import blocks_by_captions, blocks_by_gaps, footer_kind
from .line_joins import (
    ASCII_WORD,
    IDEOGRAPH,
    SCRIPT_BOUNDARY,
    UNUSUAL,
    join_wrapped,
    script_pair,
    spacing_of,
)
from .page_layout import Gap, Layout, Line, layout_lines

__all__ = [
    "Line",
    "chinese_numeral",
    "compact",
    "ends_sentence",
    "join_wrapped",
    "parse_date",
    "parse_text",
]

SUMMARY_HEADINGS = {"摘要", "内容摘要", "本期摘要"}
CONTENTS_HEADINGS = {"contents", "目录", "目 录"}
REFERENCES_HEADINGS = {"参考文献", "参考资料", "资料来源"}

_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})")
_HEADING = re.compile(rf"^([{CHINESE_NUMERALS}]{{1,3}})\s*[、.．]\s*(\S.*)$")
_TRAILING_PAGE = re.compile(r"(?:\t+|\s+)\d{1,3}$")
_BULLET = re.compile(r"^[-•·*]\s+")
_TERMINAL = tuple("。！？!?…；;")
_CLOSERS = "”’」』）)】》\"'"
#: Longest a heading may be before it is read as a paragraph that happens to start with 一、.
MAX_HEADING_CHARS = 80
#: Longest a line of the header (series title, organisation, date) may be.
MAX_HEADER_CHARS = 60


def parse_text(
    text: str,
    name: str,
    *,
    fmt: str = "text",
    raw: bytes | None = None,
    line_numbers: Sequence[int] | None = None,
    series_title: str | None = None,
    title: str = "",
) -> Issue:
    """Parse one issue from newsletter text.

    :param name: the file name used in error messages and kept with the source.
    :param raw: the file's bytes, hashed as the source (the text is hashed otherwise).
    :param line_numbers: the original line number of each line of ``text`` when the text
        was derived from another format (Markdown, Word), so errors point into the original.
    :param series_title: the series name when the format states it apart (Markdown front
        matter); every header line is then an organisation line.
    :param title: the issue's own article title, when the format states one.
    :raises IssueFormatError: ``name:line: what is wrong`` when the text is not an issue.
    """
    layout = layout_lines(text, line_numbers)
    if not layout.lines:
        raise IssueFormatError(name, 1, "file is empty (no text)")
    parser = _Parser(name, layout, series_title)
    return parser.parse(Source.of(name, fmt, text, raw), title)


def ends_sentence(text: str) -> bool:
    """Return whether a paragraph ends like a finished sentence (not cut by a page break)."""
    return text.rstrip(_CLOSERS).endswith(_TERMINAL) or text.endswith(_TERMINAL)


def parse_date(text: str) -> dt.date | None:
    """Return the date written in ``text`` (``2026 年 6 月 13 日`` or ``2026-06-13``), if any."""
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None


def compact(text: str) -> str:
    """Return ``text`` without any whitespace, to compare headings spaced differently."""
    return re.sub(r"\s+", "", text)


class _Parser:
    def __init__(self, name: str, layout: Layout, series_title: str | None) -> None:
        self.name = name
        self.lines = layout.lines
        self.wrapped = layout.wrap_width is not None
        self.blank_separated = layout.blank_separated
        self.given_series = series_title
        self.pos = 0
        self.contents_titles: list[str] = []

    def text(self, lines: Sequence[Line]) -> str:
        """Return the text of lines that make one paragraph (or one heading, entry, line)."""
        return join_wrapped(
            [ln.text for ln in lines],
            lambda k, left, right: self.spacing(lines, k, left, right),
        )

    def spacing(
        self, lines: Sequence[Line], k: int, left: str, right: str, reach: int = 20
    ) -> bool | None:
        """Return whether the text near the cut after ``lines[k]`` spaces what it separates.

        The nearest other occurrence of the two characters on the side of the cut that holds
        a Latin word, digit or symbol — in the same paragraph, else in the same section —
        says; failing that, the nearest ideograph–Latin pair; ``None`` when there is neither.
        """
        if UNUSUAL.search(left):
            probe, after, other = left, True, right[0]
        else:
            probe, after, other = right, False, left[-1]
        for line in lines:
            found = spacing_of(line.text, probe, after, other)
            if found is not None:
                return found
        wanted_pair = script_pair(left[-1], right[0])
        # A heading's section lies after it; a paragraph's starts before it.
        open_sides = {-1: not _HEADING.match(lines[0].text), 1: True}
        for distance in range(1, reach + 1):
            for step in (-1, 1):
                index = (lines[0].index if step < 0 else lines[-1].index) + step * distance
                if not open_sides[step] or not 0 <= index < len(self.lines):
                    continue
                text = self.lines[index].text
                boundary = _HEADING.match(_BULLET.sub("", text)) or _is_heading_word(
                    self.lines[index], SUMMARY_HEADINGS | CONTENTS_HEADINGS | REFERENCES_HEADINGS
                )
                if boundary and step > 0:
                    open_sides[step] = False  # the next section starts here
                    continue
                found = spacing_of(text, probe, after, other)
                if found is None and wanted_pair and (pairs := SCRIPT_BOUNDARY.findall(text)):
                    found = " " in pairs[-1 if step < 0 else 0]
                if found is not None:
                    return found
                if boundary:
                    open_sides[step] = False  # the section's heading: it starts here
        return None

    def error(self, line: int, message: str) -> IssueFormatError:
        return IssueFormatError(self.name, line, message)

    def peek(self, ahead: int = 0) -> Line | None:
        k = self.pos + ahead
        return self.lines[k] if k < len(self.lines) else None

    def parse(self, source: Source, title: str) -> Issue:
        series_title, organisations, date = self.header()
        summary = self.summary()
        contents = self.contents()
        sections = self.sections()
        contents = _spell_like_headings(contents, sections)
        references = self.references()
        footer = self.footer()
        return Issue(
            id=date.isoformat(),
            date=date,
            series_title=series_title,
            organisation_lines=tuple(organisations),
            summary=summary,
            contents=tuple(contents),
            sections=tuple(sections),
            references=tuple(references),
            footer=tuple(footer),
            source=source,
            title=title,
        )

    def wrapped_unit(self) -> list[Line]:
        """Take the line at the cursor and the lines it was wrapped onto (header, footer)."""
        unit = [self.lines[self.pos]]
        self.pos += 1
        while (
            (nxt := self.peek()) is not None
            and unit[-1].full
            and not ends_sentence(unit[-1].text)  # header and footer lines are one sentence
            and nxt.gap is not Gap.BLANK  # a page break may cut it
            and not nxt.indented
        ):
            unit.append(nxt)
            self.pos += 1
        return unit

    # -- header ---------------------------------------------------------------------------

    def header(self) -> tuple[str, list[str], dt.date]:
        header_lines: list[str] = []
        while (line := self.peek()) is not None:
            if _is_heading_word(line, SUMMARY_HEADINGS | CONTENTS_HEADINGS) or _HEADING.match(
                line.text
            ):
                break
            if len(line.text) > MAX_HEADER_CHARS and parse_date(line.text) is None:
                raise self.error(
                    line.no,
                    "expected the issue date (a line like '2026 年 6 月 13 日') after the "
                    "series title and organisation lines, found a paragraph",
                )
            unit = self.text(self.wrapped_unit())
            date = parse_date(unit)
            if date is None:
                header_lines.append(unit)
                continue
            rest = compact(_DATE.sub("", unit))
            if self.given_series is not None:
                return self.given_series, header_lines, date
            if not header_lines and rest:  # title and date on one line
                return _DATE.sub("", unit).strip(" ｜|·-—"), [], date
            if not header_lines:
                raise self.error(line.no, "the date comes before the series title")
            return header_lines[0], header_lines[1:], date
        stop = self.peek()
        if stop is None and not header_lines:
            raise self.error(1, "file is empty (no text)")
        raise self.error(
            stop.no if stop else self.lines[-1].no,
            "no issue date before this point (expected a line like '2026 年 6 月 13 日')",
        )

    # -- paragraphs -----------------------------------------------------------------------

    def continues(self, paragraph: list[Line], line: Line) -> bool:
        """Return whether ``line`` goes on with ``paragraph`` rather than starting one."""
        last = paragraph[-1]
        if not ends_sentence(last.text):
            # An unfinished sentence goes on (a wrap, a page break, an extractor's cut),
            # unless it stopped at no mark at all on a short line and the next line is
            # indented: two signs of a new paragraph after an unpunctuated one.
            unpunctuated = ASCII_WORD.match(last.text[-1]) or IDEOGRAPH.match(last.text[-1])
            return not (unpunctuated and line.indented and not last.full)
        if line.gap is Gap.BLANK or line.indented:
            return False
        if self.blank_separated and line.gap is Gap.NONE:
            return True  # blank lines end this text's paragraphs, and there is none here
        # A finished sentence on a line filled to the wrap width: the paragraph goes on, since
        # a sentence ends at a line's end far more often than a paragraph fills its last line.
        return self.wrapped and last.brimful

    def paragraphs(self, stop: Callable[[Line, list[list[Line]]], bool]) -> list[str]:
        paragraphs: list[list[Line]] = []
        while (line := self.peek()) is not None and not stop(line, paragraphs):
            if paragraphs and self.continues(paragraphs[-1], line):
                paragraphs[-1].append(line)
            else:
                paragraphs.append([line])
            self.pos += 1
        return [self.text(p) for p in paragraphs]

    # -- summary and contents -------------------------------------------------------------

    def summary(self) -> str:
        line = self.peek()
        if line is None or not _is_heading_word(line, SUMMARY_HEADINGS):
            return ""
        self.pos += 1
        paragraphs = self.paragraphs(
            lambda ln, paras: (
                _is_heading_word(ln, CONTENTS_HEADINGS) or self.starts_section(ln, paras, 1)
            )
        )
        return "\n".join(paragraphs)

    def contents(self) -> list[ContentsEntry]:
        line = self.peek()
        if line is None or not _is_heading_word(line, CONTENTS_HEADINGS):
            return []
        self.pos += 1
        entries: list[list[Line]] = []
        seen_numbers: set[str] = set()
        open_entry = False  # the last entry's page number has not been seen yet
        while (line := self.peek()) is not None:
            if line.gap is not Gap.NONE and not (entries and _cut(entries[-1][-1].text, line)):
                open_entry = False  # a blank line closes an entry (its page number was alone)
            text = _BULLET.sub("", line.text)
            title = _TRAILING_PAGE.sub("", text).strip()
            m = _HEADING.match(title)
            number = m.group(1) if m else None
            starts_entry = number is not None or title in REFERENCES_HEADINGS
            if number in seen_numbers or (not starts_entry and not open_entry):
                break  # the body starts: the first line that is no contents entry
            if starts_entry:
                if number:
                    seen_numbers.add(number)
                entries.append([replace(line, text=title)])
            else:  # an entry the extractor wrapped onto a second line
                entries[-1].append(replace(line, text=title))
            open_entry = title == text.strip()
            self.pos += 1
        self.contents_titles = [self.text(entry) for entry in entries]
        return [ContentsEntry(e) for e in self.contents_titles]

    # -- sections -------------------------------------------------------------------------

    def starts_section(self, line: Line, paragraphs: list[list[Line]], expected: int) -> bool:
        """Return whether ``line`` is a section heading rather than a line of a paragraph."""
        m = _HEADING.match(line.text)
        if m is None or not _looks_like_heading(line):
            return False
        if not paragraphs or line.gap is not Gap.NONE or line.indented:
            return True
        return ends_sentence(paragraphs[-1][-1].text) or _numeral(m.group(1)) == expected

    def section_end(self, following: int) -> Callable[[Line, list[list[Line]]], bool]:
        """Return the test for the line that ends a section: the next heading, or 参考文献."""

        def ends(line: Line, paragraphs: list[list[Line]]) -> bool:
            return self.starts_section(line, paragraphs, following) or _is_heading_word(
                line, REFERENCES_HEADINGS
            )

        return ends

    def sections(self) -> list[Section]:
        sections: list[Section] = []
        while (first := self.peek()) is not None:
            m = _HEADING.match(first.text)
            if m is None or not _looks_like_heading(first):
                break
            expected = len(sections) + 1
            number = _numeral(m.group(1))
            if number != expected:
                wanted = chinese_numeral(expected)
                raise self.error(
                    first.no, f"section {m.group(1)}、 is out of order (expected {wanted}、)"
                )
            taken = self.heading_length()
            heading = self.text(self.lines[self.pos : self.pos + taken])
            m = _HEADING.match(heading) or m
            self.pos += taken
            paragraphs = self.paragraphs(self.section_end(expected + 1))
            if not paragraphs:
                raise self.error(first.no, f"section {m.group(1)}、 has no paragraphs")
            sections.append(Section(m.group(1), m.group(2).strip(), tuple(paragraphs)))
        if not sections:
            line = self.peek()
            raise self.error(
                line.no if line else self.lines[-1].no,
                "no numbered sections (expected a heading like '一、…')",
            )
        return sections

    def heading_length(self) -> int:
        """Return how many lines the heading at the cursor takes (it may be wrapped)."""
        first = compact(self.lines[self.pos].text)
        listed = next((t for t in map(compact, self.contents_titles) if t.startswith(first)), None)
        taken, text = 1, first
        while (nxt := self.peek(taken)) is not None and (
            nxt.gap is Gap.NONE or (listed is not None and nxt.gap is Gap.PAGE)
        ):
            if listed is not None:
                if text == listed or not listed.startswith(text + compact(nxt.text)):
                    break
            elif not self.lines[self.pos + taken - 1].full or ends_sentence(text):
                break
            text += compact(nxt.text)
            taken += 1
        return taken

    # -- references and footer ------------------------------------------------------------

    def references(self) -> list[Reference]:
        line = self.peek()
        if line is None or not _is_heading_word(line, REFERENCES_HEADINGS):
            return []
        self.pos += 1
        entries: list[list[Line]] = []
        while (line := self.peek()) is not None:
            if _BULLET.match(line.text):
                entries.append([line])
            elif entries and self.continues_reference(entries[-1], line):
                entries[-1].append(line)
            elif "|" in line.text:  # an entry of a list whose bullets are drawn, not written
                entries.append([line])
            else:
                break
            self.pos += 1
        return [self.reference(entry) for entry in entries]

    def continues_reference(self, entry: list[Line], line: Line) -> bool:
        """Return whether a line without a bullet is the rest of the entry before it."""
        text = self.text(entry)
        if text.count("|") < 3:
            return "|" in line.text or line.gap is Gap.NONE  # its fields are not all there yet
        if "|" in line.text:
            return False  # a note has no fields: this is the next entry
        last = entry[-1]
        if ends_sentence(last.text):
            return False
        if last.full:
            return True
        return line.gap is Gap.NONE and self.blank_separated

    def reference(self, entry: list[Line]) -> Reference:
        fields = [f.strip() for f in _BULLET.sub("", self.text(entry)).split("|")]
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise self.error(entry[0].no, "a reference needs 'source | title | date | note'")
        if len(fields) > 4:
            fields = fields[:3] + [" | ".join(fields[3:])]
        fields += [""] * (4 - len(fields))
        return Reference(*fields)

    def footer(self) -> list[FooterBlock]:
        units: list[list[Line]] = []
        while self.peek() is not None:
            units.append(self.wrapped_unit())
        if any(u[0].gap is Gap.BLANK for u in units[1:]):
            groups = blocks_by_gaps([self.text(u) for u in units], units)
        else:
            groups = blocks_by_captions([self.text(u) for u in units])
        return [FooterBlock(footer_kind(g), "\n".join(g)) for g in groups]


def _cut(entry: str, line: Line) -> bool:
    """Return whether a contents entry goes on past a gap (a page break cut it)."""
    return (
        line.gap is Gap.PAGE and not _TRAILING_PAGE.search(entry) and not _HEADING.match(line.text)
    )


def _looks_like_heading(line: Line) -> bool:
    text = line.text
    return bool(_HEADING.match(text)) and len(text) <= MAX_HEADING_CHARS and not ends_sentence(text)


def _spell_like_headings(
    contents: list[ContentsEntry], sections: list[Section]
) -> list[ContentsEntry]:
    """Return contents entries spelt as their sections' headings (PDF spacing differs)."""
    by_compact = {compact(s.title): s.title for s in sections}
    return [ContentsEntry(by_compact.get(compact(e.title), e.title)) for e in contents]


def _is_heading_word(line: Line, words: set[str]) -> bool:
    text = _TRAILING_PAGE.sub("", line.text)
    return text.lower() in words or compact(text).lower() in words


def _numeral(text: str) -> int:
    """Return the value of a Chinese numeral up to 99 (一 … 十 … 九十九)."""
    digits = {c: i + 1 for i, c in enumerate(CHINESE_NUMERALS[:9])}
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (digits.get(tens, 1) if tens else 1) * 10 + (digits.get(ones, 0) if ones else 0)
    return digits.get(text, 0)


def chinese_numeral(n: int) -> str:
    """Return ``n`` (1–99) as a Chinese numeral."""
    units = CHINESE_NUMERALS[:9]
    if n < 10:
        return units[n - 1]
    tens, ones = divmod(n, 10)
    return (units[tens - 1] if tens > 1 else "") + "十" + (units[ones - 1] if ones else "")
