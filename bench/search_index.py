"""Compare full-text index techniques for Chinese on the synthetic archive (SQLite FTS5).

    python bench/search_index.py [--count 3650]      (or: python bench/callback.py --measure-index)

Indexes one row per part of each issue (summary, heading, body, references) three ways —
CJK bigrams (what wxbot uses), jieba's search-mode cut, FTS5's trigram tokenizer — and
prints the tokenising cost per issue, the index size and, per query, how many rows match
and the time of: bm25 over every match (``ORDER BY rank LIMIT 5``), the newest 240 matching
rows (what wxbot's ranking reads), and for trigram's 1–2 character terms the LIKE fallback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import synthetic_texts  # noqa: E402

from wxbot.parsing import parse_bytes  # noqa: E402
from wxbot.search.indexing import issue_docs  # noqa: E402
from wxbot.search.tokens import index_tokens, phrase_of  # noqa: E402

TERMS = ["数据要素", "数据", "低空经济", "达沃斯", "软银", "AI", "5G", "OpenAI", "中心", "正义",
         "孙正义", "人工智能", "鲸鱼", "不存在的词汇"]  # fmt: skip


def _best(conn: sqlite3.Connection, sql: str, args: tuple[object, ...], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        conn.execute(sql, args).fetchall()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main(count: int = 3650) -> None:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    issues = [parse_bytes(text.encode(), f"{i}.txt") for i, text in synthetic_texts(count)]
    docs = [(d.id, d.text) for issue in issues for d in issue_docs(issue)]
    print(
        f"{count} issues, {len(docs)} rows, {sum(len(t) for _, t in docs) / 1e6:.1f} M characters"
    )

    def jieba_tokens(text: str) -> str:
        return " ".join(t for t in jieba.cut_for_search(text.lower()) if t.strip())

    techniques: dict[str, tuple[Callable[[str], str] | None, str]] = {
        "bigram": (index_tokens, "unicode61"),
        "jieba": (jieba_tokens, "unicode61"),
        "trigram": (None, "trigram"),
    }

    def query_of(name: str, term: str) -> str:
        if name == "jieba":
            return " AND ".join(f'"{t}"' for t in jieba.cut(term.lower()) if t.strip())
        if name == "bigram":
            phrase = phrase_of(term)
            assert phrase is not None
            return '"' + " ".join(phrase.tokens) + '"' + ("*" if phrase.prefix else "")
        return f'"{term}"'

    with tempfile.TemporaryDirectory() as tmp:
        for name, (tokenize, tokenizer) in techniques.items():
            path = Path(tmp) / f"{name}.sqlite3"
            conn = sqlite3.connect(path)
            conn.execute(f"CREATE VIRTUAL TABLE f USING fts5(t, tokenize='{tokenizer}')")
            start = time.perf_counter()
            rows = [(i, tokenize(t) if tokenize else t) for i, t in docs]
            tokenizing = time.perf_counter() - start
            conn.executemany("INSERT INTO f(rowid, t) VALUES (?, ?)", rows)
            conn.execute("INSERT INTO f(f) VALUES ('optimize')")
            conn.commit()
            conn.execute("VACUUM")
            size = os.path.getsize(path) / 1e6
            print(f"\n{name}: tokenising {tokenizing / count * 1000:.2f} ms/issue, {size:.0f} MB")
            print(f"  {'term':<10} {'rows':>6} {'bm25 all':>9} {'newest 240':>11} {'LIKE':>8}")
            for term in TERMS:
                if name == "trigram" and len(term) < 3:
                    # FTS5's own LIKE finds nothing under three CJK characters (SQLite 3.40):
                    # ``+t`` keeps the pattern from it, so SQLite scans every row's text
                    sql = "SELECT count(*) FROM f WHERE +t LIKE ?"
                    like = _best(conn, sql, (f"%{term}%",), 3)
                    found = conn.execute(sql, (f"%{term}%",)).fetchone()[0]
                    print(f"  {term:<10} {found:>6} {'—':>9} {'—':>11} {like:>6.2f}ms")
                    continue
                q = query_of(name, term)
                rows_matching = conn.execute(
                    "SELECT count(*) FROM f WHERE f MATCH ?", (q,)
                ).fetchone()[0]
                bm25 = _best(
                    conn, "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rank LIMIT 5", (q,)
                )
                newest = _best(
                    conn, "SELECT rowid FROM f WHERE f MATCH ? ORDER BY rowid DESC LIMIT 240", (q,)
                )
                print(f"  {term:<10} {rows_matching:>6} {bm25:>7.2f}ms {newest:>9.2f}ms")
            conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3650)
    main(parser.parse_args().count)
