"""Read an issue from a Word ``.docx`` file with python-docx, through the text parser.

Paragraphs and headings come from the document's structure, not from line ends: each Word
paragraph is one paragraph (a line break inside it stays a line break), a paragraph in a
heading style is a heading — numbered ``一、`` by Word's automatic numbering when its text has
no number — and a table's rows are reference entries (``source | title | date | note``).
Errors give the number of the Word paragraph (table rows count as paragraphs).
"""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import IssueFormatError
from ..model import CHINESE_NUMERALS, Issue
from .newsletter_text import chinese_numeral, parse_text

_NUMBERED = re.compile(rf"^[{CHINESE_NUMERALS}]{{1,3}}\s*[、.．]")
_HEADING_WORDS = {"摘要", "内容摘要", "本期摘要", "contents", "目录", "参考文献", "参考资料"}
#: Words of a references table's header row, which is not an entry.
_TABLE_HEADER_WORDS = {"来源", "出处", "标题", "题目", "日期", "时间", "说明", "备注", "用途"}
_TABLE_HEADER_WORDS |= {"source", "title", "date", "note"}


def parse_docx(raw: bytes, name: str) -> Issue:
    """Parse an issue written in Word; errors name the paragraph by its number."""
    try:
        document = docx.Document(io.BytesIO(raw))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise IssueFormatError(
            name, 1, f"not a Word .docx file ({exc}): save it again as .docx or PDF"
        ) from None
    lines: list[str] = []
    numbers: list[int] = []
    section_number = 0
    ordinal = 0

    def emit(text: str) -> None:
        for line in text.split("\n"):
            lines.append(line)
            numbers.append(ordinal)
        lines.append("")
        numbers.append(ordinal)

    for block in document.iter_inner_content():
        ordinal += 1
        if isinstance(block, Table):
            for k, row in enumerate(block.rows):
                cells = [" ".join(c.text.split()) for c in row.cells]
                if k == 0 and {c.lower() for c in cells if c} <= _TABLE_HEADER_WORDS:
                    continue
                if any(cells):
                    lines.append("- " + " | ".join(cells))
                    numbers.append(ordinal)
                ordinal += 1
            lines.append("")
            numbers.append(ordinal)
            continue
        text = block.text.strip()
        if not text:
            continue
        if _is_section_heading(block, text):
            section_number += 1
            if not _NUMBERED.match(text):
                text = f"{chinese_numeral(section_number)}、{text}"
        emit(text)
    if not any(line.strip() for line in lines):
        raise IssueFormatError(name, 1, "the Word document has no text")
    return parse_text("\n".join(lines), name, fmt="docx", raw=raw, line_numbers=numbers)


def _style(paragraph: Paragraph) -> str:
    return (paragraph.style.name or "") if paragraph.style is not None else ""


def _is_section_heading(paragraph: Paragraph, text: str) -> bool:
    """Return whether a paragraph is a section's heading: a heading style, not 摘要 or 参考文献."""
    heading_style = re.match(r"(?i)^(heading|标题)\s*[1-3]$", _style(paragraph))
    return bool(heading_style) and compact_lower(text) not in _HEADING_WORDS


def _is_list_item(paragraph: Paragraph) -> bool:
    """Return whether a paragraph is an item of a bulleted or numbered list."""
    p_pr = paragraph._p.pPr
    return _style(paragraph).startswith("List") or (p_pr is not None and p_pr.numPr is not None)


def compact_lower(text: str) -> str:
    """Return ``text`` without whitespace, lower-cased, to compare with heading words."""
    return "".join(text.split()).lower()
