"""Property: whatever the issue, wrap width and page breaks, the rebuilt paragraphs are the
originals (hypothesis draws them; the example count stays modest so the suite stays fast)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from editor_inputs import PAGE_FOOTERS, hard_wrapped, paginated  # noqa: E402
from synthetic import synthetic_texts  # noqa: E402

from wxbot.parsing import parse_bytes  # noqa: E402

#: With no blank lines between paragraphs, a paragraph's end shows only by its short last
#: line or the next one's indent; the customary indent keeps every end visible.
LAYOUTS = {"blank lines": dict(blank_lines=True), "indents": dict(blank_lines=False, indent=True)}


# Derandomised: CI draws the same 40 cases every run; a random draw once found the case below.
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 100_000),
    width=st.integers(30, 45),
    layout=st.sampled_from(sorted(LAYOUTS)),
    breaks=st.lists(st.integers(1, 200), max_size=8),
    footer=st.sampled_from(PAGE_FOOTERS),
    form_feeds=st.booleans(),
    header_on_first_page=st.booleans(),
)
def test_rebuilt_paragraphs_equal_the_originals(
    seed: int,
    width: int,
    layout: str,
    breaks: list[int],
    footer: str,
    form_feeds: bool,
    header_on_first_page: bool,
) -> None:
    _, text = next(synthetic_texts(1, seed=seed))
    wrapped = hard_wrapped(text, width, **LAYOUTS[layout])  # type: ignore[arg-type]
    paged = paginated(
        wrapped,
        breaks,
        footer=footer,
        form_feeds=form_feeds,
        header_on_first_page=header_on_first_page,
    )
    clean = parse_bytes(text.encode(), "issue.txt")
    rebuilt = parse_bytes(paged.encode(), "issue.txt")
    assert rebuilt.summary == clean.summary
    assert [s.paragraphs for s in rebuilt.sections] == [s.paragraphs for s in clean.sections]
    assert rebuilt.to_dict(with_source=False) == clean.to_dict(with_source=False)


@pytest.mark.xfail(
    strict=True,
    reason="ambiguous: the page's last line is brimful and ends a sentence, and the next page "
    "starts after the running header with a blank line — nothing tells a continued paragraph "
    "from a new one, and the parser starts a new one (found by hypothesis, seed 323)",
)
def test_a_brimful_sentence_end_at_a_page_break_followed_by_a_blank_line() -> None:
    _, text = next(synthetic_texts(1, seed=323))
    wrapped = hard_wrapped(text, 37, blank_lines=True)
    paged = paginated(
        wrapped,
        [37],
        footer="第 {n} 页 / 共 {total} 页",
        form_feeds=False,
        header_on_first_page=False,
    )
    clean = parse_bytes(text.encode(), "issue.txt")
    rebuilt = parse_bytes(paged.encode(), "issue.txt")
    assert [s.paragraphs for s in rebuilt.sections] == [s.paragraphs for s in clean.sections]
