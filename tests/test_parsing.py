"""The newsletter parsers: text as extracted from the PDF, and Markdown (PDFs: test_ingest_pdf)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLES

from wxbot.errors import IssueFormatError
from wxbot.model import Issue
from wxbot.parsing import parse_bytes, parse_file

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:%|ZB)?")
STRUCTURAL = {"摘要", "Contents", "参考文献"}


def model_texts(issue: Issue) -> list[str]:
    """Return every text the model holds, references as they were written."""
    refs = [
        " | ".join(f for f in (r.source, r.title, r.date, r.note) if f) for r in issue.references
    ]
    return [
        issue.series_title,
        *issue.organisation_lines,
        issue.summary,
        *(s.title for s in issue.sections),
        *issue.paragraphs,
        *refs,
        *(f.text for f in issue.footer),
    ]


def source_lines(path: Path) -> tuple[list[str], list[str]]:
    """Split a sample into its contents lines and every other line that carries content."""
    contents, content = [], []
    in_contents = False
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line in STRUCTURAL:
            in_contents = in_contents or line == "Contents"
            continue
        if in_contents and re.search(r"\s\d+$", line):
            contents.append(line)
            continue
        in_contents = False
        if re.fullmatch(r"\d{4} 年 \d{1,2} 月 \d{1,2} 日", line):
            continue  # the date lives in Issue.date
        content.append(line.removeprefix("- "))
    return contents, content


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_source_line_lands_in_the_model_exactly_once(path: Path) -> None:
    issue = parse_file(path)
    units = [u for t in model_texts(issue) for u in t.split("\n")]
    _, lines = source_lines(path)
    for line in lines:
        # A line is a whole unit of the model, or (cut by a page break) part of exactly one.
        hits = units.count(line) or sum(u.count(line) for u in units)
        assert hits == 1, f"{line[:40]!r} found {hits} times"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_figures_are_kept_and_no_page_number_leaks(path: Path) -> None:
    issue = parse_file(path)
    _, lines = source_lines(path)
    in_source = Counter(n for line in lines for n in NUMBER.findall(line))
    in_model = Counter(n for t in model_texts(issue) for n in NUMBER.findall(t))
    assert in_model == in_source
    for entry in issue.contents:
        assert not re.search(r"\s\d+$", entry.title), entry.title


def test_the_samples_structure() -> None:
    first, second = (parse_file(p) for p in SAMPLES)
    assert (first.id, second.id) == ("2026-06-13", "2026-06-25")
    assert first.series_title == "新质生产力每日动态"
    assert first.organisation_lines == (
        "中国高技术产业发展促进会新质生产力工作委员会",
        "博雅云创 & 中科创新驱动",
    )
    assert [len(i.sections) for i in (first, second)] == [5, 5]
    assert [len(i.references) for i in (first, second)] == [10, 5]
    assert [len(i.contents) for i in (first, second)] == [6, 6]
    assert "417 个" in first.sections[1].heading and "1.67ZB" in first.sections[1].paragraphs[0]
    assert first.references[0].source == "国家数据局"
    assert first.references[0].date == "2026-06-08"
    # the paragraph cut by a page break after "，" is one paragraph again
    assert second.sections[3].paragraphs[1].startswith("这条全球财经新闻说明")
    assert "模型竞争，而是资本" in second.sections[3].paragraphs[1]
    assert [f.kind for f in second.footer] == [
        "contact",
        "qr_caption",
        "qr_caption",
        "text",
        "text",
        "website",
    ]
    assert first.footer[-1].kind == "disclaimer"


def _sample_text(index: int = 1) -> str:
    return SAMPLES[index].read_text(encoding="utf-8")


def _insert_after(text: str, anchor: str, insert: str) -> str:
    assert anchor in text
    return text.replace(anchor, anchor + insert, 1)


ARTIFACTS = {
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "bom": lambda t: "\ufeff" + t,
    "full-width indents": lambda t: re.sub(r"(?m)^(?=\S{20})", "\u3000\u3000", t),
    "trailing spaces": lambda t: t.replace("\n", "  \n"),
    "stray page numbers": lambda t: _insert_after(
        _insert_after(t, "谋创新就是谋未来”。\n", "\n3\n\n- 4 -\n\n第 5 页\n"),
        "向行业场景下沉\n",
        "\n2 / 4\n",
    ),
    "paragraph split by a page break": lambda t: t.replace(
        "突破只有进入产业链、供应链和组织体系，", "突破只有进入产业链、供应链和组织体系，\n\n7\n\n"
    ),
    "lines wrapped by the extractor": lambda t: t.replace("国务院总理李强在", "国务院总理\n李强在"),
    "references split by blank lines": lambda t: t.replace(
        "用于政策表述核验。\n", "用于政策表述核验。\n\n\n"
    ),
    "heading spaced differently": lambda t: t.replace(
        "广东“数据要素 ×”分赛进入申报", "广东“数据要素×”分赛进入申报", 1
    ),
}


@pytest.mark.parametrize("mangle", ARTIFACTS.values(), ids=ARTIFACTS.keys())
def test_pdf_extraction_artifacts_do_not_change_the_issue(mangle) -> None:  # type: ignore[no-untyped-def]
    clean = parse_bytes(_sample_text().encode(), "2026-06-25.txt")
    mangled = parse_bytes(mangle(_sample_text()).encode("utf-8"), "2026-06-25.txt")
    assert mangled.to_dict(with_source=False) == clean.to_dict(with_source=False)
    assert mangled.source.sha256 != clean.source.sha256


MINIMAL = (
    "新质生产力每日动态\n\n2026 年 7 月 1 日\n\n摘要\n\n今天的摘要。\n\n一、第一节\n\n第一段。\n"
)

REJECTED = [
    ("empty.txt", b"", 1, "file is empty"),
    ("blank.txt", b"\n\n  \n", 1, "file is empty"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, "binary data"),
    ("latin1.txt", "新质\n\n".encode() + b"\xff\xfe\xfa\xfb" * 40, 3, "not UTF-8"),
    ("nodate.txt", MINIMAL.replace("2026 年 7 月 1 日\n\n", "").encode(), 3, "no issue date"),
    ("nosections.txt", MINIMAL.split("一、")[0].encode(), 7, "no numbered sections"),
    (
        "order.txt",
        (MINIMAL + "\n三、第三节\n\n第三段。\n").encode(),
        13,
        "section 三、 is out of order (expected 二、)",
    ),
    ("emptysection.txt", (MINIMAL + "\n二、空的一节\n").encode(), 13, "has no paragraphs"),
    (
        "badref.txt",
        (MINIMAL + "\n参考文献\n\n- 国家数据局 | 通知 | 2026-06-08\n- 只有来源\n").encode(),
        16,
        "a reference needs",
    ),
    ("notes.docx", b"PK\x03\x04", 1, "not a Word .docx file"),
    ("notes.rtf", b"{\\rtf1 hello}", 1, "unsupported file type"),
    ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 1, "save as .docx or PDF"),
    ("draft.wps", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 1, "save as .docx or PDF"),
    ("big5.txt", "新質生產力每日動態\n\n2026 年 7 月 1 日\n".encode("big5"), 1, "looks like Big5"),
    ("zip.txt", b"PK\x03\x04rest", 1, "give it a .docx name"),
    ("fake.pdf", b"hello", 1, "not a PDF file"),
]


@pytest.mark.parametrize(("name", "raw", "line", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_a_file_that_is_not_an_issue_is_rejected_with_file_line_and_reason(
    name: str, raw: bytes, line: int, message: str
) -> None:
    with pytest.raises(IssueFormatError) as caught:
        parse_bytes(raw, name)
    assert str(caught.value).startswith(f"{name}:{line}: "), str(caught.value)
    assert message in str(caught.value)


def test_a_minimal_issue_parses() -> None:
    issue = parse_bytes(MINIMAL.encode(), "min.txt")
    assert issue.id == "2026-07-01"
    assert issue.summary == "今天的摘要。"
    assert issue.sections[0].paragraphs == ("第一段。",)
    assert issue.contents == () and issue.references == () and issue.footer == ()


def test_gb18030_text_from_a_windows_editor_is_read() -> None:
    issue = parse_bytes(MINIMAL.encode("gb18030"), "gbk.txt")
    assert issue.sections[0].heading == "第一节"


MARKDOWN = """---
series: 新质生产力每日动态
date: 2026-06-25
organisation:
  - 中国高技术产业发展促进会新质生产力工作委员会
---

## 摘要

今日动态集中在**规模化创新**。

## 一、李强出席夏季达沃斯开幕式

6月24日，李强在大连出席开幕式，
约1800名代表出席。

第二段，见[官方网站](https://example.org)。

## 二、数据要素改革向行业场景下沉

国家数据局发布案例。

## 参考文献

- 国家数据局 | 湖北省交通运输领域数据要素市场化配置改革实践与探索 | 2026-06-24 | 用于分析。
- Reuters | Talk of a bubble | 2026-06-24 | 用于全球分析。

本报告仅供行业研究参考，不构成投资建议
"""


def test_markdown_with_front_matter() -> None:
    issue = parse_bytes(MARKDOWN.encode(), "issue.md")
    assert issue.id == "2026-06-25"
    assert issue.source.format == "markdown"
    assert issue.series_title == "新质生产力每日动态"
    assert issue.title == ""
    assert issue.organisation_lines == ("中国高技术产业发展促进会新质生产力工作委员会",)
    assert issue.summary == "今日动态集中在规模化创新。"
    assert [s.heading for s in issue.sections] == [
        "李强出席夏季达沃斯开幕式",
        "数据要素改革向行业场景下沉",
    ]
    assert issue.sections[0].paragraphs == (
        "6月24日，李强在大连出席开幕式，约1800名代表出席。",
        "第二段，见官方网站。",
    )
    assert [r.source for r in issue.references] == ["国家数据局", "Reuters"]
    assert issue.footer[0].kind == "disclaimer"


@pytest.mark.parametrize(
    ("mangle", "line", "message"),
    [
        (lambda md: md.replace("## 二、", "## 三、"), 19, "out of order"),
        (lambda md: md.replace("date: 2026-06-25\n", ""), 7, "no issue date"),
        (lambda md: md.replace("series: 新质", "series: [新质"), 2, "not valid YAML"),
        (
            lambda md: md.replace("series:", "name:"),
            2,
            "unknown front-matter key 'name' (series = the series name",
        ),
        (
            lambda md: md.replace(
                "- Reuters | Talk of a bubble | 2026-06-24 | 用于全球分析。", "- Reuters"
            ),
            26,
            "a reference needs",
        ),
    ],
    ids=["section order", "no date", "bad front matter", "unknown key", "bad reference"],
)
def test_markdown_errors_point_at_markdown_lines(mangle, line: int, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IssueFormatError) as caught:
        parse_bytes(mangle(MARKDOWN).encode(), "issue.md")
    assert str(caught.value).startswith(f"issue.md:{line}: "), str(caught.value)
    assert message in str(caught.value)
