"""Read an issue file of any supported format (text, Markdown, PDF, Word) into an :class:`Issue`."""

from __future__ import annotations

from pathlib import Path

from ..errors import IssueFormatError
from ..model import Issue
from .docx_source import parse_docx
from .markdown_source import parse_markdown
from .newsletter_text import parse_text
from .pdf_source import parse_pdf
from .text_encoding import decode_text

__all__ = ["REFUSED_SUFFIXES", "SUFFIXES", "decode_text", "parse_bytes", "parse_file", "parse_text"]

#: File suffixes wxbot reads, and the format each holds.
SUFFIXES = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
}
#: Word formats wxbot does not read, which an editor can save as one it does.
REFUSED_SUFFIXES = {".doc": "Word 97-2003 (.doc)", ".wps": "WPS (.wps)"}


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
    suffix = Path(name).suffix.lower()
    if suffix in REFUSED_SUFFIXES:
        raise IssueFormatError(
            name, 1, f"wxbot cannot read {REFUSED_SUFFIXES[suffix]} files: save as .docx or PDF"
        )
    fmt = SUFFIXES.get(suffix)
    if fmt is None:
        supported = ", ".join(sorted(SUFFIXES))
        raise IssueFormatError(name, 1, f"unsupported file type (wxbot reads {supported})")
    if not raw.strip():
        raise IssueFormatError(name, 1, "file is empty (no text)")
    if fmt == "pdf":
        return parse_pdf(raw, name)
    if fmt == "docx":
        return parse_docx(raw, name)
    text = decode_text(raw, name)
    if fmt == "markdown":
        return parse_markdown(text, name, raw=raw)
    return parse_text(text, name, raw=raw)
