"""Read an issue from its PDF: extract the text with pypdf, then parse it as the text format."""

from __future__ import annotations

import io
import logging
import re

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from ..errors import IssueFormatError
from ..model import Issue
from .newsletter_text import parse_text

logger = logging.getLogger(__name__)


def parse_pdf(raw: bytes, name: str) -> Issue:
    """Parse an issue PDF; errors name the line of the extracted text (and its page)."""
    if not raw.startswith(b"%PDF"):
        raise IssueFormatError(name, 1, "not a PDF file (it does not start with %PDF)")
    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as exc:
        raise IssueFormatError(name, 1, f"unreadable PDF: {exc}") from None
    if not any(p.strip() for p in pages):
        raise IssueFormatError(name, 1, "the PDF has no extractable text (a scan?)")
    # A page break is a paragraph break as far as the text goes; the parser rejoins a
    # paragraph the break cut mid-sentence.
    # Some fonts' ToUnicode maps make extractors emit UTF-16 NULs between characters.
    # Extractors also pad words with runs of spaces.
    text = re.sub(r" {2,}", " ", "\n\n".join(pages).replace("\x00", ""))
    logger.debug("extracted %d characters from %d pages of %s", len(text), len(pages), name)
    return parse_text(text, name, fmt="pdf", raw=raw)
