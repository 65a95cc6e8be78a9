"""Parse the newsletter's text format (as extracted from its PDF) into an :class:`Issue`.

The layout, top to bottom: series title, organisation lines, the date (``2026 年 6 月 13 日``),
``摘要`` and its paragraphs, ``Contents``/``目录`` entries, numbered sections (``一、heading``
then paragraphs), ``参考文献`` entries (``- source | title | date | note``) and footer blocks.

PDF extraction leaves artifacts this parser absorbs: page numbers after contents entries
(after a space or a tab) and on lines of their own, ``- `` bullets, blank lines splitting a
paragraph or the reference list across a page break, CRLF, a BOM and full-width spaces.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Line:
    """A non-blank source line, stripped, with its 1-based line number in the file."""

    no: int
    text: str


@dataclass
class _Block:
    """Consecutive non-blank lines (a paragraph, possibly wrapped)."""

    lines: list[Line]

    @property
    def no(self) -> int:
        return self.lines[0].no

    @property
    def text(self) -> str:
        return join_wrapped([ln.text for ln in self.lines])


SUMMARY_HEADINGS = {"摘要", "内容摘要", "本期摘要"}
CONTENTS_HEADINGS = {"contents", "目录", "目 录"}
REFERENCES_HEADINGS = {"参考文献", "参考资料", "资料来源"}

_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日|(\d{4})-(\d{2})-(\d{2})")
_HEADING = re.compile(rf"^([{CHINESE_NUMERALS}]{{1,3}})\s*[、.．]\s*(\S.*)$")
_PAGE_NUMBER_LINE = re.compile(
    r"^(?:[-–—]\s*)?\d{1,3}(?:\s*[-–—])?$|^第\s*\d{1,3}\s*页$|^\d{1,3}\s*/\s*\d{1,3}$"
)
_TRAILING_PAGE = re.compile(r"(?:\t+|\s+)\d{1,3}$")
_BULLET = re.compile(r"^[-•·*]\s+")
_TERMINAL = tuple("。！？!?…；;")
_CLOSERS = "”’」』）)】》\"'"
_ASCII_WORD = re.compile(r"[A-Za-z0-9%]")
#: Longest a heading may be before it is read as a paragraph that happens to start with 一、.
MAX_HEADING_CHARS = 80

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


def parse_text(
    text: str,
    name: str,
    *,
    fmt: str = "text",
    raw: bytes | None = None,
    line_numbers: Sequence[int] | None = None,
) -> Issue:
    """Parse one issue from newsletter text.

    :param name: the file name used in error messages and kept with the source.
    :param raw: the file's bytes, hashed as the source (the text is hashed otherwise).
    :param line_numbers: the original line number of each line of ``text`` when the text
        was derived from another format (Markdown), so errors point into the original.
    :raises IssueFormatError: ``name:line: what is wrong`` when the text is not an issue.
    """
    lines = split_lines(text, line_numbers)
    if not lines:
        raise IssueFormatError(name, 1, "file is empty (no text)")
    return _Parser(name, lines).parse(Source.of(name, fmt, text, raw))


def split_lines(text: str, line_numbers: Sequence[int] | None = None) -> list[Line | None]:
    """Normalise text and return its lines; blank lines become ``None`` and page numbers vanish."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_IDEOGRAPH_LOOKALIKES)
    out: list[Line | None] = []
    for i, raw_line in enumerate(text.split("\n")):
        no = line_numbers[i] if line_numbers is not None and i < len(line_numbers) else i + 1
        stripped = raw_line.replace("\u3000", " ").replace("\xa0", " ").strip()
        if not stripped or _PAGE_NUMBER_LINE.match(stripped):
            out.append(None)
        else:
            out.append(Line(no, stripped))
    while out and out[-1] is None:
        out.pop()
    while out and out[0] is None:
        out.pop(0)
    return out


def join_wrapped(parts: Sequence[str]) -> str:
    """Join pieces of one paragraph: no space between CJK text, one between Latin words."""
    result = ""
    for part in parts:
        if result and _ASCII_WORD.match(result[-1]) and _ASCII_WORD.match(part[0]):
            result += " "
        result += part
    return result


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
    def __init__(self, name: str, lines: list[Line | None]) -> None:
        self.name = name
        self.blocks = _blocks(lines)
        self.pos = 0
        self.contents_titles: list[str] = []

    def error(self, line: int, message: str) -> IssueFormatError:
        return IssueFormatError(self.name, line, message)

    def peek(self) -> _Block | None:
        return self.blocks[self.pos] if self.pos < len(self.blocks) else None

    def parse(self, source: Source) -> Issue:
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
        )

    # -- header ---------------------------------------------------------------------------

    def header(self) -> tuple[str, list[str], dt.date]:
        header_lines: list[Line] = []
        while (block := self.peek()) is not None:
            if _is_heading_word(block, SUMMARY_HEADINGS | CONTENTS_HEADINGS) or _HEADING.match(
                block.lines[0].text
            ):
                break
            header_lines.extend(block.lines)
            self.pos += 1
            date = parse_date(block.text)
            if date is not None:
                titles = header_lines[: -len(block.lines)]
                if not titles:
                    raise self.error(block.no, "the date comes before the series title")
                return titles[0].text, [ln.text for ln in titles[1:]], date
        first_line = header_lines[0].no if header_lines else 1
        if not header_lines and self.peek() is None:
            raise self.error(1, "file is empty (no text)")
        stop = self.peek()
        raise self.error(
            stop.no if stop else first_line,
            "no issue date before this point (expected a line like '2026 年 6 月 13 日')",
        )

    # -- summary and contents -------------------------------------------------------------

    def summary(self) -> str:
        block = self.peek()
        if block is None or not _is_heading_word(block, SUMMARY_HEADINGS):
            return ""
        self.pos += 1
        paragraphs = self.paragraphs_until(
            lambda b: _is_heading_word(b, CONTENTS_HEADINGS) or self.is_section_heading(b, 1)
        )
        return "\n".join(paragraphs)

    def contents(self) -> list[ContentsEntry]:
        block = self.peek()
        if block is None or not _is_heading_word(block, CONTENTS_HEADINGS):
            return []
        self.pos += 1
        entries: list[str] = []
        seen_numbers: set[str] = set()
        open_entry = False  # the last entry's page number has not been seen yet
        while (block := self.peek()) is not None:
            for k, line in enumerate(block.lines):
                text = _BULLET.sub("", line.text)
                title = _TRAILING_PAGE.sub("", text).strip()
                m = _HEADING.match(title)
                number = m.group(1) if m else None
                starts_entry = number is not None or title in REFERENCES_HEADINGS
                if number in seen_numbers or (not starts_entry and not open_entry):
                    # The body starts: the first line that is no contents entry.
                    if k:
                        self.blocks[self.pos] = _Block(block.lines[k:])
                    self.contents_titles = entries
                    return [ContentsEntry(e) for e in entries]
                if starts_entry:
                    if number:
                        seen_numbers.add(number)
                    entries.append(title)
                else:  # an entry the extractor wrapped onto a second line
                    entries[-1] = join_wrapped([entries[-1], title])
                open_entry = title == text.strip()
            self.pos += 1
            open_entry = False  # a blank line closes an entry (its page number was alone)
        self.contents_titles = entries
        return [ContentsEntry(e) for e in entries]

    # -- sections -------------------------------------------------------------------------

    def is_section_heading(self, block: _Block, expected: int) -> bool:
        m = _HEADING.match(block.lines[0].text)
        return m is not None and len(block.lines) == 1 and _numeral(m.group(1)) == expected

    def sections(self) -> list[Section]:
        sections: list[Section] = []
        while (block := self.peek()) is not None:
            first = block.lines[0]
            m = _HEADING.match(first.text)
            if m is None or not _looks_like_heading(block):
                break
            expected = len(sections) + 1
            number = _numeral(m.group(1))
            if number != expected:
                raise self.error(
                    first.no,
                    f"section {m.group(1)}、 is out of order (expected {_to_numeral(expected)}、)",
                )
            heading_lines = self.heading_length(block)
            heading = join_wrapped([ln.text for ln in block.lines[:heading_lines]])
            m = _HEADING.match(heading) or m
            if len(block.lines) > heading_lines:  # a paragraph followed without a blank line
                self.blocks[self.pos] = _Block(block.lines[heading_lines:])
            else:
                self.pos += 1
            paragraphs = self.paragraphs_until(
                lambda b: _looks_like_heading(b) or _is_heading_word(b, REFERENCES_HEADINGS)
            )
            if not paragraphs:
                raise self.error(first.no, f"section {m.group(1)}、 has no paragraphs")
            sections.append(Section(m.group(1), m.group(2).strip(), tuple(paragraphs)))
        if not sections:
            block = self.peek()
            raise self.error(
                block.no if block else (self.blocks[-1].lines[-1].no if self.blocks else 1),
                "no numbered sections (expected a heading like '一、…')",
            )
        return sections

    def heading_length(self, block: _Block) -> int:
        """Return how many lines of ``block`` the heading takes (an extractor may wrap it)."""
        first = compact(block.lines[0].text)
        listed = next((t for t in map(compact, self.contents_titles) if t.startswith(first)), None)
        if listed is None:
            return 1
        taken, text = 1, first
        while taken < len(block.lines) and text != listed:
            text += compact(block.lines[taken].text)
            if not listed.startswith(text):
                break
            taken += 1
        return taken

    def paragraphs_until(self, stop: object) -> list[str]:
        assert callable(stop)
        paragraphs: list[str] = []
        while (block := self.peek()) is not None and not stop(block):
            text = block.text
            if paragraphs and not ends_sentence(paragraphs[-1]):
                paragraphs[-1] = join_wrapped([paragraphs[-1], text])  # split by a page break
            else:
                paragraphs.append(text)
            self.pos += 1
        return paragraphs

    # -- references and footer ------------------------------------------------------------

    def references(self) -> list[Reference]:
        block = self.peek()
        if block is None or not _is_heading_word(block, REFERENCES_HEADINGS):
            return []
        self.pos += 1
        entries: list[Line] = []
        while (block := self.peek()) is not None:
            first = block.lines[0].text
            continues = bool(entries) and entries[-1].text.count("|") < 3 and "|" in first
            if not _BULLET.match(first) and "|" not in first:
                break
            for k, line in enumerate(block.lines):
                if entries and (continues if k == 0 else not _BULLET.match(line.text)):
                    # an entry wrapped onto the next line, or cut by a page break
                    entries[-1] = Line(entries[-1].no, join_wrapped([entries[-1].text, line.text]))
                else:
                    entries.append(line)
            self.pos += 1
        return [self.reference(line) for line in entries]

    def reference(self, line: Line) -> Reference:
        fields = [f.strip() for f in _BULLET.sub("", line.text).split("|")]
        if len(fields) < 2 or not fields[0] or not fields[1]:
            raise self.error(line.no, "a reference needs 'source | title | date | note'")
        if len(fields) > 4:
            fields = fields[:3] + [" | ".join(fields[3:])]
        fields += [""] * (4 - len(fields))
        return Reference(*fields)

    def footer(self) -> list[FooterBlock]:
        blocks = []
        while (block := self.peek()) is not None:
            blocks.append(
                FooterBlock(_footer_kind(block), "\n".join(ln.text for ln in block.lines))
            )
            self.pos += 1
        return blocks


def _blocks(lines: list[Line | None]) -> list[_Block]:
    blocks: list[_Block] = []
    current: list[Line] = []
    for line in lines:
        if line is None:
            if current:
                blocks.append(_Block(current))
                current = []
        else:
            current.append(line)
    if current:
        blocks.append(_Block(current))
    return blocks


def _looks_like_heading(block: _Block) -> bool:
    text = block.lines[0].text
    return bool(_HEADING.match(text)) and len(text) <= MAX_HEADING_CHARS and not ends_sentence(text)


def _spell_like_headings(
    contents: list[ContentsEntry], sections: list[Section]
) -> list[ContentsEntry]:
    """Return contents entries spelt as their sections' headings (PDF spacing differs)."""
    by_compact = {compact(s.title): s.title for s in sections}
    return [ContentsEntry(by_compact.get(compact(e.title), e.title)) for e in contents]


def _is_heading_word(block: _Block, words: set[str]) -> bool:
    text = _TRAILING_PAGE.sub("", block.lines[0].text)
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


def _to_numeral(n: int) -> str:
    """Return ``n`` (1–99) as a Chinese numeral."""
    units = CHINESE_NUMERALS[:9]
    if n < 10:
        return units[n - 1]
    tens, ones = divmod(n, 10)
    return (units[tens - 1] if tens > 1 else "") + "十" + (units[ones - 1] if ones else "")


_WEBSITE = re.compile(r"网站|网址|https?://|<https?://")
_DISCLAIMER = re.compile(r"仅供|不构成|免责|版权")
_CONTACT = re.compile(r"联系|扫描|扫码|电话|邮箱|@")
#: Longest line of a caption printed under a QR code.
MAX_CAPTION_LINE = 20


def _footer_kind(block: _Block) -> str:
    text = block.text
    if _DISCLAIMER.search(text):
        return "disclaimer"
    if _CONTACT.search(text):
        return "contact"
    if _WEBSITE.search(text):
        return "website"
    if all(len(ln.text) <= MAX_CAPTION_LINE for ln in block.lines):
        return "qr_caption"
    return "text"
