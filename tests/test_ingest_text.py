"""Text as editors' tools give it: no blank lines, hard-wrapped lines, pages with running
headers and footers, other encodings — each the same Issue as the clean text."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from editor_inputs import (  # noqa: E402
    PAGE_FOOTERS,
    break_lines,
    cells,
    hard_wrapped,
    paginated,
    without_blank_lines,
)
from synthetic import synthetic_texts  # noqa: E402

from wxbot.errors import IssueFormatError  # noqa: E402
from wxbot.model import Issue  # noqa: E402
from wxbot.parsing import parse_bytes  # noqa: E402

#: The samples and some issues recombined from their sections.
ISSUES = [(p.stem, p.read_text(encoding="utf-8")) for p in SAMPLES] + list(synthetic_texts(8))
WIDTHS = (32, 38, 45)


def parse(text: str, name: str = "issue.txt") -> Issue:
    return parse_bytes(text.encode("utf-8"), name)


def model(issue: Issue) -> dict[str, object]:
    return issue.to_dict(with_source=False)


def blank_lines_only_in_the_header(text: str) -> str:
    """Return ``text`` with blank lines kept above 摘要 and removed below it."""
    head, _, body = text.partition("摘要")
    return head + "摘要\n" + without_blank_lines(body)


MAKERS: dict[str, Callable[[str], str]] = {
    "no blank lines": without_blank_lines,
    "blank lines only in the header": blank_lines_only_in_the_header,
}
for _w in WIDTHS:
    MAKERS[f"wrapped at {_w}"] = lambda t, w=_w: hard_wrapped(t, w, blank_lines=True)
    MAKERS[f"wrapped at {_w}, no blank lines, indented"] = lambda t, w=_w: hard_wrapped(
        t, w, blank_lines=False, indent=True
    )
    MAKERS[f"wrapped at {_w}, pages"] = lambda t, w=_w: paginated(
        hard_wrapped(t, w, blank_lines=True), range(40, 400, 47), footer=PAGE_FOOTERS[w % 4]
    )


@pytest.mark.parametrize("make", MAKERS.values(), ids=MAKERS.keys())
@pytest.mark.parametrize(("name", "text"), ISSUES, ids=[i[0] for i in ISSUES])
def test_generated_text_gives_the_same_issue_as_the_clean_text(
    name: str, text: str, make: Callable[[str], str]
) -> None:
    assert model(parse(make(text))) == model(parse(text))


def merged_only_where_ambiguous(original: list[str], rebuilt: list[str], width: int) -> bool:
    """Return whether ``rebuilt`` is ``original`` with some neighbours joined, each join where
    the wrapped text is the same whether the paragraphs are two or one (so no reader of the
    text could tell: the first one's last line is full and the next begins a sentence)."""

    def wrap(text: str) -> list[str]:
        return break_lines(text, lambda s: cells(s) <= 2 * width)

    k = 0
    for paragraph in rebuilt:
        joined = original[k]
        while joined != paragraph:
            if k + 1 >= len(original):
                return False
            if wrap(joined + original[k + 1]) != wrap(joined) + wrap(original[k + 1]):
                return False
            k += 1
            joined += original[k]
        k += 1
    return k == len(original)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(("name", "text"), ISSUES, ids=[i[0] for i in ISSUES])
def test_wrapped_text_without_blank_lines_or_indents_loses_only_invisible_paragraph_ends(
    name: str, text: str, width: int
) -> None:
    clean = parse(text)
    rebuilt = parse(hard_wrapped(text, width, blank_lines=False))
    assert [s.title for s in rebuilt.sections] == [s.title for s in clean.sections]
    for got, want in zip(rebuilt.sections, clean.sections, strict=True):
        assert merged_only_where_ambiguous(list(want.paragraphs), list(got.paragraphs), width)
    assert model(rebuilt) | {"sections": None, "summary": None} == model(clean) | {
        "sections": None,
        "summary": None,
    }


RUNNING = {
    "header and 第 N 页 / 共 M 页": dict(footer="第 {n} 页 / 共 {total} 页"),
    "- N -": dict(footer="- {n} -"),
    "bare number": dict(footer="{n}"),
    "form feeds, no header on page 1": dict(
        footer="第 {n} 页", form_feeds=True, header_on_first_page=False
    ),
}


@pytest.mark.parametrize("options", RUNNING.values(), ids=RUNNING.keys())
def test_running_headers_and_page_numbers_are_never_content(options: dict[str, object]) -> None:
    text = SAMPLES[0].read_text(encoding="utf-8")
    # A break after the series title: page 2 starts with the running header, which says the same.
    paged = paginated(without_blank_lines(text), [1, 12, 25, 40], **options)  # type: ignore[arg-type]
    issue = parse(paged)
    assert model(issue) == model(parse(text))
    assert issue.series_title == "新质生产力每日动态"


def test_the_first_sample_without_blank_lines_no_longer_claims_a_bad_first_line() -> None:
    issue = parse(without_blank_lines(SAMPLES[0].read_text(encoding="utf-8")))
    assert issue.series_title == "新质生产力每日动态" and len(issue.sections) == 5


ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "gb18030", "gbk"]


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_editors_encoding_is_detected(encoding: str) -> None:
    text = SAMPLES[1].read_text(encoding="utf-8")
    raw = text.encode(encoding)
    if encoding == "utf-16":  # Python writes the BOM of the machine's order; add the other
        raw = "\ufeff".encode("utf-16-be") + text.encode("utf-16-be")
    assert model(parse_bytes(raw, "issue.txt")) == model(parse(text))


#: A reference of the first sample, and what is left of it when its fields are gone.
CUT_REFERENCE = "- 中证网 | 关于“数据要素 ×”，国家数据局最新发声 | 2026-06-11 |"

BROKEN = [
    (
        "section missing",
        lambda t: t.replace("二、“数据要素 ×” 进入", "三、“数据要素 ×” 进入", 1),
        "三、“数据要素",
        "section 三、 is out of order (expected 二、)",
    ),
    (
        "no date",
        lambda t: t.replace("2026 年 6 月 13 日\n", ""),
        "摘要",
        "no issue date before this point (expected a line like '2026 年 6 月 13 日')",
    ),
    (
        "no date nor summary",
        lambda t: t.replace("2026 年 6 月 13 日\n摘要\n", ""),
        "今天“新质生产力”",
        "expected the issue date (a line like '2026 年 6 月 13 日') after the series title",
    ),
    (
        "reference without fields",
        lambda t: t.replace(CUT_REFERENCE, "- 中证网"),
        "- 中证网",
        "a reference needs 'source | title | date | note'",
    ),
]


@pytest.mark.parametrize(
    ("mangle", "bad_line", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_an_error_names_the_first_line_where_the_structure_is_lost(
    mangle: Callable[[str], str], bad_line: str, message: str
) -> None:
    text = mangle(without_blank_lines(SAMPLES[0].read_text(encoding="utf-8")))
    lines = text.split("\n")
    expected = next(no for no, line in enumerate(lines, start=1) if line.startswith(bad_line))
    with pytest.raises(IssueFormatError) as caught:
        parse(text)
    assert str(caught.value).startswith(f"issue.txt:{expected}: {message}"), str(caught.value)
