"""PDFs from two independent producers, and Word files: each the same Issue as the clean text.

Chromium prints the article's HTML (CSS paragraph spacing, no empty paragraphs, A4 margins,
page numbers in the margin); fpdf2 lays the text out itself (justified lines, paragraph
spacing, a running header and ``第 N 页`` on every page) in Noto Sans CJK; python-docx
writes Word files with heading styles and a references table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import CHROMIUM, SAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from editor_inputs import (  # noqa: E402
    NOTO_CJK,
    article_html,
    noto_truetype,
    print_with_chromium,
    typeset_with_fpdf,
    write_docx,
)
from synthetic import synthetic_texts  # noqa: E402

from wxbot.model import Issue  # noqa: E402
from wxbot.parsing import parse_bytes  # noqa: E402

ISSUES = [(p.stem, p.read_text(encoding="utf-8")) for p in SAMPLES] + list(synthetic_texts(4))
#: Chromium takes seconds a PDF: the samples and two recombined issues.
PRINTED = ISSUES[:4]

#: Ideographs Noto Sans CJK SC draws with one glyph, so a PDF's text layer cannot tell them
#: apart (Chromium's text layer says 戶 where the text has 户).
GLYPH_TWINS = str.maketrans({"戶": "户"})


def clean(text: str) -> Issue:
    return parse_bytes(text.encode("utf-8"), "issue.txt")


def model(issue: Issue) -> str:
    return repr(issue.to_dict(with_source=False)).translate(GLYPH_TWINS)


@pytest.fixture(scope="module")
def noto(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return Noto Sans CJK SC from Debian's fonts-noto-cjk, as TrueType for fpdf2."""
    if not NOTO_CJK.exists():
        pytest.skip("Debian's fonts-noto-cjk is not installed (.ci/run installs it)")
    return noto_truetype(tmp_path_factory.mktemp("font"), [text for _, text in ISSUES])


@pytest.mark.browser
@pytest.mark.parametrize(("name", "text"), PRINTED, ids=[i[0] for i in PRINTED])
def test_a_pdf_chromium_printed_gives_the_same_issue(name: str, text: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    issue = clean(text)
    pdf = print_with_chromium(article_html(issue), tmp_path)
    from_pdf = parse_bytes(pdf, f"{name}.pdf")
    assert from_pdf.source.format == "pdf"
    assert model(from_pdf) == model(issue)


@pytest.mark.parametrize("header_on_first_page", [True, False], ids=["header", "no header p1"])
@pytest.mark.parametrize(("name", "text"), ISSUES, ids=[i[0] for i in ISSUES])
def test_a_pdf_fpdf2_laid_out_gives_the_same_issue(
    name: str, text: str, header_on_first_page: bool, noto: Path
) -> None:
    issue = clean(text)
    pdf = typeset_with_fpdf(issue, noto, header_on_first_page=header_on_first_page)
    assert model(parse_bytes(pdf, f"{name}.pdf")) == model(issue)


@pytest.mark.parametrize("numbers_in_headings", [True, False], ids=["typed 一、", "style only"])
@pytest.mark.parametrize(("name", "text"), ISSUES, ids=[i[0] for i in ISSUES])
def test_a_word_file_gives_the_same_issue(name: str, text: str, numbers_in_headings: bool) -> None:
    issue = clean(text)
    docx = write_docx(issue, numbers_in_headings=numbers_in_headings)
    from_docx = parse_bytes(docx, f"{name}.docx")
    assert from_docx.source.format == "docx"
    assert model(from_docx) == model(issue)
