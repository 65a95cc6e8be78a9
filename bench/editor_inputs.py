"""Make an issue's files the way editors' tools make them, for the ingest tests and benchmark.

Each maker takes a clean issue (its text, or the Issue parsed from it) and produces what a
tool would: text with its blank lines removed, text hard-wrapped at a page width as a PDF's
text layer gives it (a space at a cut is lost, closing punctuation never starts a line, a
Latin word is never split), pages with a running header and a page-number footer, a PDF
printed by Chromium from the article's HTML, a PDF laid out line by line with fpdf2, and a
Word file written with python-docx. None of them knows how wxbot parses.
"""

from __future__ import annotations

import html
import io
import re
import subprocess
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from wxbot.model import Issue

#: Debian's Chromium and the flags it needs as root on a closed network.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: Debian's Noto Sans CJK collection (fonts-noto-cjk) and the face used from it.
NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOTO_FACE = "Noto Sans CJK SC"

#: The running header and page-number footers real newsletters print.
RUNNING_HEADER = "新质生产力每日动态"
PAGE_FOOTERS = ("第 {n} 页 / 共 {total} 页", "- {n} -", "{n}", "第 {n} 页")

#: Punctuation that may not start a line, and that may not end one (GB/T 15834 kinsoku).
NO_LINE_START = "，。、；：！？”’）》」』】…%,.;:!?)"
NO_LINE_END = "“‘（《「『【("
_LATIN_RUN = re.compile(r"[!-~]+")


def cells(text: str) -> int:
    """Return the width of ``text`` in half-width cells (a CJK character takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in text)


def blocks(text: str) -> list[list[str]]:
    """Return the blank-line separated blocks of a clean issue text, as stripped lines."""
    found: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            found[-1].append(line.strip())
        elif found[-1]:
            found.append([])
    return [b for b in found if b]


# -- line breaking ---------------------------------------------------------------------------


def _units(text: str) -> list[tuple[str, bool]]:
    """Split into units a line may not break inside, each with whether a space precedes it."""
    units: list[tuple[str, bool]] = []
    pos, space = 0, False
    while pos < len(text):
        c = text[pos]
        if c == " ":
            space, pos = True, pos + 1
            continue
        m = _LATIN_RUN.match(text, pos)
        unit = m.group() if m else c
        units.append((unit, space))
        pos += len(unit)
        space = False
    return units


def break_lines(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Break one paragraph into lines as a layout engine does: anywhere between ideographs,
    at spaces between Latin words, never before closing punctuation (it hangs) nor after
    opening punctuation; the space at a break is not kept."""
    lines: list[str] = []
    line = ""
    for unit, space in _units(text):
        candidate = line + (" " if space and line else "") + unit
        if not line or fits(candidate) or unit[0] in NO_LINE_START:
            line = candidate
            continue
        carried = ""
        while line and line[-1] in NO_LINE_END:
            carried, line = line[-1] + carried, line[:-1]
        lines.append(line.rstrip())
        line = carried + unit
    if line:
        lines.append(line)
    return lines


# -- text --------------------------------------------------------------------------------------


def without_blank_lines(text: str) -> str:
    """Return ``text`` with every blank line removed, one paragraph per line."""
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"


def hard_wrapped(text: str, width: int, *, blank_lines: bool, indent: bool = False) -> str:
    """Return ``text`` hard-wrapped at ``width`` CJK characters, as a PDF's text layer gives it.

    :param blank_lines: keep a blank line between paragraphs (spacing the extractor saw).
    :param indent: start each paragraph with the customary two-character indent.
    """
    out: list[str] = []
    for block in blocks(text):
        for paragraph in block:
            first = "\u3000\u3000" if indent else ""
            lines = break_lines(first + paragraph, lambda s: cells(s) <= 2 * width)
            out.extend(lines)
        if blank_lines:
            out.append("")
    return "\n".join(out) + "\n"


def paginated(
    text: str,
    breaks: Sequence[int],
    *,
    footer: str = PAGE_FOOTERS[0],
    form_feeds: bool = False,
    header_on_first_page: bool = True,
) -> str:
    """Cut ``text`` into pages after the given line counts; each page gets the running header
    and a page-number footer, as a text layer extracted from a paginated PDF does."""
    lines = text.rstrip("\n").split("\n")
    cuts = [0, *sorted({b for b in breaks if 0 < b < len(lines)}), len(lines)]
    pages = [lines[a:b] for a, b in zip(cuts, cuts[1:], strict=False)]
    out: list[str] = []
    for n, page in enumerate(pages, start=1):
        top = [RUNNING_HEADER] if n > 1 or header_on_first_page else []
        bottom = [footer.format(n=n, total=len(pages))]
        out.append("\n".join([*top, *page, *bottom]))
    return ("\f" if form_feeds else "\n").join(out) + "\n"


# -- the article, structured -----------------------------------------------------------------


def _date_text(issue: Issue) -> str:
    return f"{issue.date.year} 年 {issue.date.month} 月 {issue.date.day} 日"


def _reference_text(issue: Issue) -> list[str]:
    return [" | ".join([r.source, r.title, r.date, r.note]).rstrip(" |") for r in issue.references]


def article_html(issue: Issue, font_pt: float = 11) -> str:
    """Return the issue as a web page with CSS paragraph spacing (no empty paragraphs)."""

    def esc(text: str) -> str:
        return "<br>".join(html.escape(line) for line in text.split("\n"))

    parts = [f"<h1>{esc(issue.series_title)}</h1>"]
    parts += [f"<p class=org>{esc(line)}</p>" for line in issue.organisation_lines]
    parts.append(f"<p class=date>{_date_text(issue)}</p>")
    if issue.summary:
        parts.append("<h2>摘要</h2>")
        parts += [f"<p>{esc(p)}</p>" for p in issue.summary.split("\n")]
    if issue.contents:
        parts.append("<h2>Contents</h2>")
        parts += [f"<p class=toc>{esc(e.title)}</p>" for e in issue.contents]
    for section in issue.sections:
        parts.append(f"<h2>{esc(section.title)}</h2>")
        parts += [f"<p>{esc(p)}</p>" for p in section.paragraphs]
    if issue.references:
        parts.append("<h2>参考文献</h2><ul>")
        parts += [f"<li>{esc(r)}</li>" for r in _reference_text(issue)]
        parts.append("</ul>")
    parts += [f"<p class=footer>{esc(f.text)}</p>" for f in issue.footer]
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(issue.series_title)}</title><style>"
        "@page { size: A4; margin: 20mm 18mm; @bottom-center { content: counter(page); } }"
        f"body {{ font-family: '{NOTO_FACE}'; font-size: {font_pt}pt; line-height: 1.6; }}"
        "h1 { font-size: 20pt; margin: 0 0 12pt; } h2 { font-size: 14pt; margin: 14pt 0 8pt; }"
        "p { margin: 0 0 8pt; text-align: justify; } li { margin: 0 0 4pt; }"
        "p.org, p.date, p.toc { margin: 0 0 3pt; }"
        f"</style></head><body>{''.join(parts)}</body></html>"
    )


def print_with_chromium(page_html: str, folder: Path) -> bytes:
    """Return the PDF headless Chromium prints of a page (A4, its own CSS margins)."""
    folder.mkdir(parents=True, exist_ok=True)
    page = folder / "issue.html"
    page.write_text(page_html, encoding="utf-8")
    out = folder / "issue.pdf"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            *CHROMIUM_FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out.read_bytes()


def noto_truetype(folder: Path, texts: Sequence[str]) -> Path:
    """Return Noto Sans CJK SC, from Debian's collection, as a TrueType font for ``texts``.

    fpdf2 embeds a CFF font (as Noto's OpenType files are) with a CMap that pypdf and
    pdfminer cannot read back past the characters of the first page, while Word and other
    office tools embed TrueType outlines; so the outlines are converted (subset to the
    characters used, which also keeps the conversion to a second or two).
    """
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.subset import Options, Subsetter
    from fontTools.ttLib import TTCollection, newTable

    path = folder / "NotoSansCJKsc-subset.ttf"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    font = next(
        f for f in TTCollection(str(NOTO_CJK)).fonts if f["name"].getDebugName(4) == NOTO_FACE
    )
    options = Options()
    options.layout_features = []
    subsetter = Subsetter(options)
    used = set("".join(texts)) | set(RUNNING_HEADER + "第页共 -/0123456789")
    subsetter.populate(text="".join(sorted(c for c in used if c.isprintable())))
    subsetter.subset(font)
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = {}
    for name in glyf.glyphOrder:
        pen = TTGlyphPen(glyphs)
        glyphs[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font.sfntVersion = "\x00\x01\x00\x00"
    font.save(str(path))
    return path


def typeset_with_fpdf(
    issue: Issue, font: Path, *, header_on_first_page: bool = True, font_pt: float = 11
) -> bytes:
    """Return an A4 PDF that fpdf2 lays out line by line: justified lines, paragraph spacing,
    the running header at the top of each page and ``第 N 页`` at the bottom."""
    from fpdf import FPDF

    class Newsletter(FPDF):
        def header(self) -> None:
            if self.page_no() == 1 and not header_on_first_page:
                return
            self.set_font("noto", size=9)
            self.cell(0, 6, RUNNING_HEADER, align="C")
            self.ln(10)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("noto", size=9)
            self.cell(0, 6, f"第 {self.page_no()} 页", align="C")

    pdf = Newsletter(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_font("noto", fname=str(font))
    pdf.add_page()
    usable = pdf.w - pdf.l_margin - pdf.r_margin

    def paragraph(text: str, size: float = 0, after: float = 3, justify: bool = True) -> None:
        size = size or font_pt
        pdf.set_font("noto", size=size)
        height = size * 0.55
        for line in text.split("\n"):
            lines = break_lines(line, lambda s: pdf.get_string_width(s) <= usable)
            for k, piece in enumerate(lines):
                if pdf.will_page_break(height):
                    pdf.add_page()
                spare = usable - pdf.get_string_width(piece)
                last = k == len(lines) - 1
                spacing = spare / (len(piece) - 1) if justify and not last and len(piece) > 1 else 0
                pdf.set_char_spacing(spacing)
                pdf.cell(usable, height, piece, new_x="LMARGIN", new_y="NEXT")
                pdf.set_char_spacing(0)
        pdf.ln(after)

    paragraph(issue.series_title, size=18, after=4, justify=False)
    for line in issue.organisation_lines:
        paragraph(line, after=1, justify=False)
    paragraph(_date_text(issue), after=5, justify=False)
    if issue.summary:
        paragraph("摘要", size=14, justify=False)
        for p in issue.summary.split("\n"):
            paragraph(p)
    if issue.contents:
        paragraph("Contents", size=14, justify=False)
        for entry in issue.contents:
            paragraph(entry.title, after=1, justify=False)
        pdf.ln(3)
    for section in issue.sections:
        paragraph(section.title, size=14, justify=False)
        for p in section.paragraphs:
            paragraph(p)
    if issue.references:
        paragraph("参考文献", size=14, justify=False)
        for ref in _reference_text(issue):
            paragraph(f"- {ref}", after=2)
    for block in issue.footer:
        paragraph(block.text, after=4, justify=False)
    return bytes(pdf.output())


def write_docx(issue: Issue, *, numbers_in_headings: bool = True) -> bytes:
    """Return the issue as a Word file written with python-docx: a Title, heading styles,
    one Word paragraph per paragraph, the references as a table with a header row.

    :param numbers_in_headings: type ``一、`` into section headings (else only the heading
        style marks them, as when Word numbers its headings itself).
    """
    import docx

    document = docx.Document()
    document.add_paragraph(issue.series_title, style="Title")
    for line in issue.organisation_lines:
        document.add_paragraph(line)
    document.add_paragraph(_date_text(issue))
    if issue.summary:
        document.add_heading("摘要", level=1)
        for p in issue.summary.split("\n"):
            document.add_paragraph(p)
    if issue.contents:
        document.add_heading("目录", level=1)
        for entry in issue.contents:
            document.add_paragraph(entry.title)
    for section in issue.sections:
        document.add_heading(section.title if numbers_in_headings else section.heading, level=1)
        for p in section.paragraphs:
            document.add_paragraph(p)
    if issue.references:
        document.add_heading("参考文献", level=1)
        table = document.add_table(rows=1, cols=4)
        for cell, label in zip(table.rows[0].cells, ("来源", "标题", "日期", "说明"), strict=True):
            cell.text = label
        for ref in issue.references:
            row = table.add_row().cells
            for cell, value in zip(row, (ref.source, ref.title, ref.date, ref.note), strict=True):
                cell.text = value
    for block in issue.footer:
        paragraph = document.add_paragraph()
        for k, line in enumerate(block.text.split("\n")):
            run = paragraph.add_run(line)
            if k < len(block.text.split("\n")) - 1:
                run.add_break()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
