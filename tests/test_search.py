"""Archive search: tokens, dates, ranking with a recency boost, synonyms, the search command."""

from __future__ import annotations

import datetime as dt
import random
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import SAMPLES, make_runtime
from flask import Flask

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.callback.replies import search_answer
from wxbot.runtime import Runtime
from wxbot.search import ranking
from wxbot.search.archive_search import ArchiveSearch
from wxbot.search.query import list_number, parse_date
from wxbot.search.ranking import Hit, rank
from wxbot.search.results import snippet
from wxbot.search.tokens import Synonyms, index_tokens, make_terms, phrase_of
from wxbot.search_rows import Phrase, Presence, Term, presence_of
from wxbot.storage import search_index
from wxbot.storage.search_index import SearchDoc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from synthetic import write_synthetic  # noqa: E402

TODAY = dt.date(2026, 6, 26)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    """Return the test configuration, answers re-checked against the archive every time."""
    return app_config | {"search": {"cache_seconds": 0.0}}


# --- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("数据要素", "数据 据要 要素 素"),
        ("数据中心。", "数据 据中 中心 心"),
        ("AI芯片", "ai 芯片 片"),
        ("芯片AI", "芯片 ai"),  # no lone 片 between the pair and the word that follows at once
        ("OpenAI 宣布", "openai 宣布 布"),
        ("ＡＩ和５Ｇ", "ai 和 5g"),
        ("孙正义，软银", "孙正 正义 义 软银 银"),
        ("2026 年 6 月", "2026 年 6 月"),
        ("“数据要素 ×”", "数据 据要 要素 素"),
        ("", ""),
    ],
)
def test_index_tokens(text: str, tokens: str) -> None:
    assert index_tokens(text) == tokens


@pytest.mark.parametrize(
    ("word", "phrase"),
    [
        ("数据要素", Phrase(("数据", "据要", "要素"))),
        ("中心", Phrase(("中心",))),
        ("AI", Phrase(("ai",))),
        ("OpenAI", Phrase(("openai",))),
        ("5G", Phrase(("5g",))),
        ("云", Phrase(("云",), prefix=True)),
        ("AI云", Phrase(("ai", "云"), prefix=True)),
        ("AI芯片", Phrase(("ai", "芯片"))),
        ("，。", None),
    ],
)
def test_phrase_of(word: str, phrase: Phrase | None) -> None:
    assert phrase_of(word) == phrase


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("国家数据中心建设", ["数据中心", "中心", "数据", "心"]),
        ("孙正义表示", ["孙正义", "正义", "义表", "示"]),
        ("OpenAI 与 AI", ["openai", "OPENAI", "ai", "与"]),
        ("5G 基站", ["5G", "5g", "基站"]),
        ("智能算力。", ["算", "力", "智"]),  # one character: a prefix of a pair, or run's end
    ],
)
def test_every_query_finds_the_text_it_is_in(text: str, found: list[str]) -> None:
    tokens = index_tokens(text).split()
    for word in found:
        phrase = phrase_of(word)
        assert phrase is not None
        assert _phrase_in(phrase, tokens), word


def _phrase_in(phrase: Phrase, tokens: Sequence[str]) -> bool:
    n = len(phrase.tokens)
    for i in range(len(tokens) - n + 1):
        window = tokens[i : i + n]
        head, last = list(window[:-1]), window[-1]
        wanted_head, wanted_last = list(phrase.tokens[:-1]), phrase.tokens[-1]
        if head == wanted_head and (
            last.startswith(wanted_last) if phrase.prefix else last == wanted_last
        ):
            return True
    return False


def test_synonyms_expand_in_both_directions() -> None:
    synonyms = Synonyms([["AI", "人工智能"], ["大模型", "LLM", "基础模型"]])
    assert synonyms.of("ai") == ("ai", "人工智能")
    assert synonyms.of("人工智能") == ("人工智能", "ai")
    assert synonyms.of("llm") == ("llm", "大模型", "基础模型")
    assert synonyms.of("软银") == ("软银",)
    [term] = make_terms(["AI"], synonyms)
    assert term.phrases == (Phrase(("ai",)), Phrase(("人工", "工智", "智能")))


# --- dates and numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("6月13日", dt.date(2026, 6, 13)),
        ("6月13号", dt.date(2026, 6, 13)),
        ("6 月 13 日", dt.date(2026, 6, 13)),
        ("6.13", dt.date(2026, 6, 13)),
        ("6/13", dt.date(2026, 6, 13)),
        ("0613", dt.date(2026, 6, 13)),
        ("2026-06-13", dt.date(2026, 6, 13)),
        ("2025-6-13", dt.date(2025, 6, 13)),
        ("2026年6月13日", dt.date(2026, 6, 13)),
        ("20260613", dt.date(2026, 6, 13)),
        ("13日", dt.date(2026, 6, 13)),
        ("28号", dt.date(2026, 5, 28)),  # a day still to come this month: last month's
        ("昨天", dt.date(2026, 6, 25)),
        ("前天", dt.date(2026, 6, 24)),
        ("12月31日", dt.date(2025, 12, 31)),  # no year: the latest one not after today
        ("6月26日", dt.date(2026, 6, 26)),
        ("1231", dt.date(2025, 12, 31)),
        ("2月30日", None),
        ("2026", None),
        ("5G", None),
        ("13", None),
        ("数据要素", None),
    ],
)
def test_parse_date(text: str, date: dt.date | None) -> None:
    assert parse_date(text, TODAY) == date


@pytest.mark.parametrize(
    ("text", "number"), [("1", 1), ("05", 5), (" 3 ", 3), ("０２", 2), ("0", None), ("123", None)]
)
def test_list_number(text: str, number: int | None) -> None:
    assert list_number(text) == number


# --- ranking -----------------------------------------------------------------------------------

HEADING, BODY, SUMMARY, REFS = 1, 2, 0, 999


def _id(issue: str, slot: int) -> int:
    return int(issue.replace("-", "")) * 1000 + slot


class _Index:
    """An index over given row ids per word, answering as the storage does."""

    def __init__(self, rows: dict[str, list[int]]) -> None:
        self.rows = {word: sorted(ids, reverse=True) for word, ids in rows.items()}
        self.reads: list[tuple[int | None, int]] = []

    def issues(
        self, terms: Sequence[Term], require_all: bool, limit: int | None, since: int
    ) -> list[int]:
        self.reads.append((limit, since))
        sets = [{i // 1000 for i in self.rows.get(t.text, [])} for t in terms]
        days = set.intersection(*sets) if require_all else set.union(*sets)
        return sorted((d for d in days if d >= since), reverse=True)[:limit]

    def presence(self, term: Term, first_day: int, last_day: int) -> dict[int, Presence]:
        ids = [i for i in self.rows.get(term.text, []) if first_day <= i // 1000 <= last_day]
        return presence_of(ids)


def _term(text: str) -> Term:
    return Term(text, (Phrase((text,)),))


def _rank(rows: dict[str, list[int]], *words: str, **kwargs: Any) -> list[str]:
    index = _Index(rows)
    terms = [_term(w) for w in words]
    result = rank(index.issues, index.presence, terms, today=TODAY, half_life_days=30, **kwargs)
    return [h.issue_id for h in result.hits]


@pytest.mark.parametrize(
    ("rows", "order"),
    [
        # equally relevant: the newer first
        ({"x": [_id("2026-06-01", BODY), _id("2026-06-20", BODY)]}, ["2026-06-20", "2026-06-01"]),
        # about it (heading) beats a mention a few days newer
        (
            {"x": [_id("2026-06-15", HEADING), _id("2026-06-15", BODY), _id("2026-06-20", REFS)]},
            ["2026-06-15", "2026-06-20"],
        ),
        # but not one from a year ago
        (
            {"x": [_id("2025-06-15", HEADING), _id("2025-06-15", BODY), _id("2026-06-20", BODY)]},
            ["2026-06-20", "2025-06-15"],
        ),
        # the summary counts more than one body, less than a heading
        (
            {
                "x": [
                    _id("2026-06-20", BODY),
                    _id("2026-06-19", SUMMARY),
                    _id("2026-06-18", HEADING),
                ]
            },
            ["2026-06-18", "2026-06-19", "2026-06-20"],
        ),
    ],
)
def test_relevance_with_a_recency_boost(rows: dict[str, list[int]], order: list[str]) -> None:
    assert _rank(rows, "x") == order


def test_several_words_must_all_match_in_the_issue() -> None:
    rows = {
        "a": [_id("2026-06-20", BODY), _id("2026-06-10", HEADING)],
        "b": [_id("2026-06-10", 4), _id("2026-06-01", BODY)],
    }
    assert _rank(rows, "a", "b") == ["2026-06-10"]
    assert _rank(rows, "a", "b", require_all=False)[0] == "2026-06-10"
    assert set(_rank(rows, "a", "b", require_all=False)) == {
        "2026-06-20",
        "2026-06-10",
        "2026-06-01",
    }


@pytest.mark.parametrize("seed", range(12))
def test_reading_the_newest_rows_ranks_as_reading_them_all(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    start = dt.date(2016, 1, 1)
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range(3650)]
    common = [_id(d, s) for d in days for s in (1, 2, 4, 999) if rng.random() < 0.6]
    rare = [_id(d, rng.choice((1, 2, 0))) for d in rng.sample(days, 40)]
    rows = {"common": common, "rare": rare, "old": [_id(d, 1) for d in days[:300]]}
    queries = [("common",), ("rare",), ("common", "rare"), ("old",), ("common", "old")]
    windowed = [_rank(rows, *q) for q in queries]
    monkeypatch.setattr(ranking, "FIRST_WINDOW", 10**9)
    assert windowed == [_rank(rows, *q) for q in queries]


def test_a_word_in_every_issue_reads_only_the_newest_issues() -> None:
    start = dt.date(2016, 1, 1)
    days = [(start + dt.timedelta(days=n)).isoformat() for n in range(3650)]
    index = _Index({"x": [_id(d, slot) for d in days for slot in (1, 2, 4)]})
    result = rank(index.issues, index.presence, [_term("x")], today=TODAY, half_life_days=30)
    assert [h.issue_id for h in result.hits][0] == "2025-12-28"
    # the newest few, then (to settle the top five) every match back to a few months before
    first, then = index.reads
    assert first == (ranking.FIRST_WINDOW, 0)
    assert then[0] is None and then[1] > 20250601
    assert result.total is None


# --- answers -----------------------------------------------------------------------------------


def test_snippet_shows_the_match() -> None:
    text = "很长的第一句话" * 5 + "。据 Reuters 报道软银创始人孙正义表示 AI 仍处于早期阶段" * 2
    cut = snippet(text, ["孙正义"], width=30)
    assert "孙正义" in cut
    assert cut.startswith("…Reuters 报道") and cut.endswith("…")  # never from mid-word
    assert snippet(text, ["没有的词"], width=10) == "很长的第一句话很长…"


# --- on an archive -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Return 150 synthetic issues (2016-01-01 on), recombined from the samples' sections."""
    return write_synthetic(tmp_path_factory.mktemp("synthetic"), 150)


@pytest.fixture
def big_archive(runtime: Runtime, synthetic_files: list[Path]) -> Runtime:
    """Return the runtime with the synthetic issues, its clock the day after the last."""
    ingest_paths(runtime, synthetic_files)
    runtime.clock = lambda: dt.datetime(2016, 5, 30, 2, tzinfo=dt.UTC)
    return runtime


@pytest.mark.parametrize(
    "query", ["数据要素", "低空经济", "达沃斯", "软银", "AI", "5G", "OpenAI", "中心", "正义"]
)
def test_search_finds_the_newest_issues_that_have_the_word(
    big_archive: Runtime, query: str
) -> None:
    result = ArchiveSearch(big_archive).search(query)
    assert result.items, query
    for item in result.items:  # the matching heading, or a snippet around the match
        assert query.lower() in (item.heading + item.snippet).lower()
    ids = [i.issue_id for i in result.items]
    assert ids == sorted(ids, reverse=True)


def test_case_does_not_matter(big_archive: Runtime) -> None:
    search = ArchiveSearch(big_archive)
    assert search.search("openai").items == search.search("OpenAI").items
    assert search.search("ai").items == search.search("AI").items


def test_configured_synonyms_find_each_other(app_config: dict[str, Any]) -> None:
    runtime = make_runtime(
        app_config | {"search": {"synonyms": [["鲸鱼", "达沃斯"]], "cache_seconds": 0}}
    )
    try:
        ingest_paths(runtime, SAMPLES)
        runtime.clock = lambda: dt.datetime(2026, 6, 26, tzinfo=dt.UTC)
        found = ArchiveSearch(runtime).search("鲸鱼")
        assert [i.issue_id for i in found.items] == ["2026-06-25"]
        assert "达沃斯" in found.items[0].heading
    finally:
        runtime.close()


def test_the_index_follows_the_archive(archive: Runtime, tmp_path: Path) -> None:
    archive.clock = lambda: dt.datetime(2026, 6, 26, tzinfo=dt.UTC)
    search = ArchiveSearch(archive)
    assert search.search("软银").total == 1
    edited = tmp_path / "2026-06-13.txt"
    edited.write_text(SAMPLES[0].read_text(encoding="utf-8").replace("Reuters", "软银"), "utf-8")
    assert [r.status for r in ingest_paths(archive, [edited])] == ["replaced"]
    assert search.search("软银").total == 2
    assert [i.issue_id for i in search.search("软银 Reuters").items] == ["2026-06-25"]
    with archive.db.begin() as conn:
        search_index.check(conn)  # the replaced issue's old rows left the full-text index
        assert search_index.indexed_issue_count(conn) == 2


def test_search_prints_the_ranking_followers_get(
    app: Flask, archive: Runtime, run_cli: Callable[..., Result]
) -> None:
    result = run_cli("search", "数据要素")
    assert result.exit_code == 0, result.output
    printed = [line.split()[1] for line in result.output.splitlines() if line[:2] in ("1.", "2.")]
    answer = search_answer(ArchiveSearch(archive).search("数据要素"), "数据要素", (), "search")
    assert printed == [i.issue_id for i in answer.items] == ["2026-06-25", "2026-06-13"]
    assert "http://wxbot.test/issues/2026-06-25" in result.output


def test_search_reindex_rebuilds_the_index(
    archive: Runtime, run_cli: Callable[..., Result]
) -> None:
    result = run_cli("search", "--reindex", "软银")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "indexed 2 issues"
    assert "2026-06-25" in result.output
    assert run_cli("search").exit_code == 2


def test_an_archive_without_an_index_is_indexed_when_the_service_starts(
    archive: Runtime, app_config: dict[str, Any]
) -> None:
    with archive.db.begin() as conn:
        search_index.clear(conn)
    other = make_runtime(app_config)
    create_app(other)
    try:
        with archive.db.begin() as conn:
            assert search_index.indexed_issue_count(conn) == 2
            search_index.check(conn)
    finally:
        other.close()


@pytest.mark.parametrize(
    "slots",
    [
        [0],
        [999],
        [1, 2],
        [2, 4, 6, 8],
        [0, 1, 3, 997, 998, 999],
        [5, 6, 999],
    ],
)
def test_the_database_counts_where_a_word_stands_as_the_row_layout_says(
    runtime: Runtime, slots: list[int]
) -> None:
    issues = ("2026-06-13", "2026-06-25")
    docs = [
        SearchDoc(_id(issue, slot), issue, "body", "", "", "x y" if slot in slots else "y")
        for issue in issues
        for slot in sorted({0, 1, 2, 3, 4, 998, 999, *slots})
    ]
    with runtime.db.begin() as conn:
        search_index.replace_docs(conn, [], docs)
        found = search_index.term_presence(conn, _term("x"), 20260613, 20260625)
    assert found == presence_of([_id(issue, slot) for issue in issues for slot in slots])


def test_hits_report_where_they_matched() -> None:
    rows = {"x": [_id("2026-06-20", HEADING), _id("2026-06-20", BODY), _id("2026-06-19", BODY)]}
    index = _Index(rows)
    result = rank(index.issues, index.presence, [_term("x")], today=TODAY, half_life_days=30)
    first: Hit = result.hits[0]
    assert first.heading_match and first.best_row == _id("2026-06-20", HEADING)
    assert result.hits[1].best_row == _id("2026-06-19", BODY)
    assert result.total == 2
