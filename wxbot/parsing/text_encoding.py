"""Decode a text issue: UTF-8 (with or without BOM), UTF-16 (LE/BE), or GB18030/GBK.

The order is explicit rather than guessed by a detector: a byte-order mark is exact, text
that is valid UTF-8 is UTF-8 (other encodings of Chinese almost never are), and GB18030 —
which decodes nearly any bytes — is taken only when what it decodes reads as common Chinese.
A refused file is named by the first of a few common legacy encodings its bytes read well in
(a general detector such as charset-normalizer mistakes short Chinese texts for Japanese or
Cyrillic, and is slower than the whole decode).
"""

from __future__ import annotations

import codecs
import re

from ..errors import IssueFormatError

#: Byte-order marks, longest first (UTF-32's starts with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_IDEOGRAPHS = re.compile(r"[\u4e00-\u9fff]")
#: Share of ideographs that must be among GB2312's 3,755 common ones for GB18030 to be right
#: (Big5 or Shift-JIS bytes decoded as GB18030 give mostly rare ones).
COMMON_SHARE = 0.8


def decode_text(raw: bytes, name: str) -> str:
    """Return the text of a text issue file.

    :raises IssueFormatError: naming the first line that cannot be read, and the encoding
        the file seems to be in when it is none wxbot reads.
    """
    if raw.startswith(b"%PDF"):
        raise IssueFormatError(name, 1, "this is a PDF file: give it a .pdf name")
    if raw.startswith(b"PK\x03\x04"):
        raise IssueFormatError(name, 1, "this is a Word (.docx) or zip file: give it a .docx name")
    for bom, codec, label in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].decode(codec, errors="replace").count("\n") + 1
                raise IssueFormatError(
                    name, line, f"not valid {label} text although it starts with a {label} BOM"
                ) from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        # UTF-16 saved without a BOM (ASCII's high bytes are NULs) is taken when it reads as
        # Chinese in one byte order; anything else with a NUL byte is binary.
        for codec in ("utf-16-le", "utf-16-be"):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if _reads_as_chinese(text):
                return text
        line = raw.count(b"\n", 0, nul) + 1
        raise IssueFormatError(name, line, "binary data (a NUL byte), not a text issue")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(text):
        return text
    line = raw.count(b"\n", 0, utf8_error.start) + 1
    raise IssueFormatError(
        name,
        line,
        f"not UTF-8, UTF-16 or GB18030 text ({_guess(raw)}): save it as UTF-8",
    )


def _reads_as_chinese(text: str) -> bool:
    """Return whether decoded text is plausible Chinese: few stray symbols, common ideographs."""
    good = sum(
        1
        for c in text
        if c.isascii()
        or "\u4e00" <= c <= "\u9fff"
        or "\u3000" <= c <= "\u303f"
        or "\uff00" <= c <= "\uffef"
        or c in "“”‘’—…·×"
    )
    if good < 0.95 * len(text):
        return False
    ideographs = _IDEOGRAPHS.findall(text)
    if not ideographs:
        return True
    common = sum(0xB0 <= c.encode("gb2312", errors="replace")[0] <= 0xD7 for c in ideographs)
    return common >= COMMON_SHARE * len(ideographs)


#: Legacy encodings a refused file is tested against, each with the script it should give.
_LEGACY = (
    ("big5", "Big5 (traditional Chinese)", re.compile(r"[\u4e00-\u9fff]")),
    ("shift_jis", "Shift-JIS (Japanese)", re.compile(r"[\u3040-\u30ff]")),
    ("euc_kr", "EUC-KR (Korean)", re.compile(r"[\uac00-\ud7af]")),
    ("cp1252", "Windows-1252 (Western European)", re.compile(r"[A-Za-z\u00c0-\u00ff]")),
)


def _guess(raw: bytes) -> str:
    for codec, label, script in _LEGACY:
        try:
            text = raw.decode(codec)
        except UnicodeDecodeError:
            continue
        letters = sum(1 for c in text if not c.isascii() or c.isalpha())
        if letters and len(script.findall(text)) >= 0.5 * letters:
            return f"it looks like {label}"
    return "an unknown encoding"
