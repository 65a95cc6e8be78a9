"""Search the archive for a follower: ranked issues with their matching heading, snippet, link.

One :class:`ArchiveSearch` per process keeps a small cache of results (and, through
:meth:`ArchiveSearch.cached`, of what its callers make of them), keyed by what they depend
on — the archive version (bumped by every ingest), the keyword-rules version and the article
links — which it re-reads at most every ``[search] cache_seconds``. The cache is only a
cache: every process answers the same from the database without it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection

from ..config import SearchSection
from ..links import issue_links_for
from ..runtime import Runtime
from ..search_rows import Presence, Term, body_row_of
from ..storage import search_index
from ..storage.search_index import SearchDoc, Stamp
from . import segmentation
from .ranking import Hit, Ranking, rank
from .results import Item, SearchResult, snippet
from .tokens import Synonyms, is_cjk_word, make_terms, needles, split_words

logger = logging.getLogger(__name__)

#: The best issue is the one strong match when it has the words in a heading and scores at
#: least this many times the next one.
STRONG_MATCH_RATIO = 2.0

T = TypeVar("T")


class ArchiveSearch:
    """Search the archive for one process, with a cache checked against the database."""

    def __init__(self, runtime: Runtime, settings: SearchSection | None = None) -> None:
        self.runtime = runtime
        self.settings = settings or runtime.settings.search
        self.synonyms = Synonyms(self.settings.synonyms)
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._checked = 0.0

    # --- the cache ------------------------------------------------------------------------

    def stamp(self) -> Stamp:
        """Return what cached answers depend on, re-read at most every ``cache_seconds``."""
        now = time.monotonic()
        if self._stamp is None or now - self._checked >= self.settings.cache_seconds:
            with self.runtime.db.read() as conn:
                current = search_index.stamp(conn)
            with self._lock:
                if current != self._stamp:
                    self._cache.clear()
                self._stamp, self._checked = current, now
        assert self._stamp is not None
        return self._stamp

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the cached value of ``key`` for the current stamp, computing it on a miss."""
        stamp = self.stamp()
        full_key = (stamp, key)
        with self._lock:
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                value: T = self._cache[full_key]
                return value
        value = compute()
        with self._lock:
            self._cache[full_key] = value
            while len(self._cache) > self.settings.cache_size:
                self._cache.popitem(last=False)
        return value

    # --- searching ------------------------------------------------------------------------

    def search(self, query: str, top: int = 5) -> SearchResult:
        """Return the best issues for ``query`` (all words first, then any)."""
        return self.cached(
            ("search", " ".join(split_words(query)), top), lambda: self._search(query, top)
        )

    def _search(self, query: str, top: int) -> SearchResult:
        today = self.runtime.now().astimezone(self.runtime.tz).date()
        with self.runtime.db.read() as conn:
            ranking, terms = self._rank(conn, split_words(query), today, top)
            items = self._items(conn, ranking.hits, terms)
        hits = ranking.hits
        strong = len(hits) == 1 or (
            len(hits) > 1
            and hits[0].heading_match
            and hits[0].score >= STRONG_MATCH_RATIO * hits[1].score
        )
        if strong:
            items, hits = items[:1], hits[:1]
        # The best few, newest first: a daily's readers look for the latest on a topic.
        shown = sorted(zip(items, hits, strict=True), key=lambda p: p[0].issue_id, reverse=True)
        return SearchResult(
            query,
            tuple(i for i, _ in shown),
            tuple(h.score for _, h in shown),
            ranking.total,
            bool(items) and strong,
        )

    def _rank(
        self, conn: Connection, words: list[str], today: dt.date, top: int
    ) -> tuple[Ranking, list[Term]]:
        def fetch_issues(
            terms: Sequence[Term], require_all: bool, limit: int | None, since: int
        ) -> list[int]:
            return search_index.matching_issue_days(conn, terms, require_all, limit, since)

        def fetch_presence(term: Term, first_day: int, last_day: int) -> dict[int, Presence]:
            return search_index.term_presence(conn, term, first_day, last_day)

        def ranked(terms: list[Term], require_all: bool) -> Ranking:
            return rank(
                fetch_issues,
                fetch_presence,
                terms,
                today=today,
                half_life_days=self.settings.recency_half_life_days,
                require_all=require_all,
                top=top,
            )

        terms = make_terms(words, self.synonyms)
        ranking = ranked(terms, True)
        if ranking.hits or not terms:
            return ranking, terms
        # A run of Chinese typed without spaces: try its words (数据要素市场 → 数据 要素 市场).
        split = [
            w
            for word in words
            for w in (segmentation.words(word) if is_cjk_word(word) and len(word) > 2 else [word])
        ]
        if split != words:
            terms = make_terms(list(dict.fromkeys(split)), self.synonyms)
            ranking = ranked(terms, True)
        if not ranking.hits and len(terms) > 1:
            ranking = ranked(terms, False)
        return ranking, terms

    def _items(
        self, conn: Connection, hits: Sequence[Hit], terms: Sequence[Term]
    ) -> tuple[Item, ...]:
        if not hits:
            return ()
        chosen = {h.issue_id: h.best_row for h in hits}
        wanted = {i for row in chosen.values() for i in (row, body_row_of(row))}
        docs = {d.id: d for d in search_index.docs_by_ids(conn, wanted)}
        look_for = [n for t in terms for n in needles(t, self.synonyms)]
        links = issue_links_for(self.runtime, [h.issue_id for h in hits])
        return tuple(
            self._item(h.issue_id, docs.get(chosen[h.issue_id]), docs, look_for, links[h.issue_id])
            for h in hits
        )

    def _item(
        self,
        issue_id: str,
        best: SearchDoc | None,
        docs: dict[int, SearchDoc],
        look_for: list[str],
        url: str,
    ) -> Item:
        if best is None:
            return self._plain_item(issue_id, url, "", "")
        text = best.text
        if best.kind == "heading":  # the snippet comes from the section's paragraphs
            body = docs.get(body_row_of(best.id))
            text = body.text if body is not None else best.text
        return Item(
            issue_id=issue_id,
            heading=best.heading,
            snippet=snippet(text, look_for),
            url=url,
            cover_url=self.cover_url(issue_id),
        )

    def cover_url(self, issue_id: str) -> str:
        """Return the URL of an issue's head cover on this service."""
        return f"{self.runtime.public_base_url()}/issues/{issue_id}/cover.jpg"

    def _plain_item(self, issue_id: str, url: str, heading: str, summary: str) -> Item:
        return Item(issue_id, heading, snippet(summary, ()), url, self.cover_url(issue_id))

    # --- issues by date ---------------------------------------------------------------------

    def issue_item(self, issue_id: str) -> Item | None:
        """Return an issue as an item (its first heading, its summary), or None if not indexed."""
        return self.cached(("issue", issue_id), lambda: self._issue_item(issue_id))

    def _issue_item(self, issue_id: str) -> Item | None:
        with self.runtime.db.read() as conn:
            docs = search_index.docs_of_issue(conn, issue_id)
        if not docs:
            return None
        summary = next((d for d in docs if d.kind == "summary"), docs[0])
        url = issue_links_for(self.runtime, [issue_id])[issue_id]
        return self._plain_item(issue_id, url, summary.heading, summary.text)

    def latest_item(self) -> Item | None:
        """Return the newest issue as an item, or None when the archive is empty."""

        def newest() -> str | None:
            with self.runtime.db.read() as conn:
                return search_index.latest_issue_id(conn)

        issue_id = self.cached(("latest",), newest)
        return self.issue_item(issue_id) if issue_id else None

    def neighbours(self, date: dt.date) -> tuple[str | None, str | None]:
        """Return the ids of the issues just before and just after ``date``."""

        def find() -> tuple[str | None, str | None]:
            with self.runtime.db.read() as conn:
                return search_index.neighbour_issue_ids(conn, date.isoformat())

        return self.cached(("neighbours", date), find)


def describe(result: SearchResult) -> list[str]:
    """Return the lines ``wxbot search`` prints for a result."""
    lines = []
    for n, (item, score) in enumerate(zip(result.items, result.scores, strict=True), start=1):
        lines.append(f"{n}. {item.issue_id}  {score:5.2f}  {item.heading}")
        lines.append(f"   {item.snippet}")
        lines.append(f"   {item.url}")
    total = "many" if result.total is None else str(result.total)
    kind = "one strong match" if result.strong else f"{total} matching issues"
    return [f"{kind} for {result.query!r}", *lines] if lines else [f"nothing for {result.query!r}"]


__all__ = ["ArchiveSearch", "SearchResult", "describe"]
