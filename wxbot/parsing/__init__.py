"""Read an issue file of any supported format (text, Markdown, PDF) into an :class:`Issue`."""

from __future__ import annotations

from pathlib import Path

from ..errors import IssueFormatError
from ..model import Issue
from .markdown_source import parse_markdown
from .newsletter_text import parse_text
from .pdf_source import parse_pdf

__all__ = ["SUFFIXES", "decode_text", "parse_bytes", "parse_file", "parse_text"]

#: File suffixes wxbot reads, and the format each holds.
SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".pdf": "pdf"}


def parse_file(path: Path) -> Issue:
    """Parse the issue file at ``path``, choosing the format by its suffix.

    :raises IssueFormatError: naming the file and line when it is not an issue.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IssueFormatError(str(path), 1, f"cannot read the file: {exc.strerror}") from None
    return parse_bytes(raw, str(path))


def parse_bytes(raw: bytes, name: str) -> Issue:
    """Parse an issue from a file's bytes; ``name``'s suffix chooses the format."""
    fmt = SUFFIXES.get(Path(name).suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUFFIXES))
        raise IssueFormatError(name, 1, f"unsupported file type (wxbot reads {supported})")
    if not raw.strip():
        raise IssueFormatError(name, 1, "file is empty (no text)")
    if fmt == "pdf":
        return parse_pdf(raw, name)
    text = decode_text(raw, name)
    if fmt == "markdown":
        return parse_markdown(text, name, raw=raw)
    return parse_text(text, name, raw=raw)


def decode_text(raw: bytes, name: str) -> str:
    """Decode a text file as UTF-8 (with or without BOM), or GB18030 as editors' tools save.

    :raises IssueFormatError: when the bytes are binary, naming the first bad line.
    """
    if raw.startswith(b"%PDF"):
        raise IssueFormatError(name, 1, "this is a PDF file: give it a .pdf name")
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise IssueFormatError(name, line, "binary data (a NUL byte), not a text issue")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _mostly_cjk_or_ascii(text):
        return text
    line = raw.count(b"\n", 0, utf8_error.start) + 1
    raise IssueFormatError(name, line, "not UTF-8 text (binary or an unknown encoding)")


def _mostly_cjk_or_ascii(text: str) -> bool:
    good = sum(
        1
        for c in text
        if c.isascii()
        or "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
    )
    return good >= 0.95 * len(text)
