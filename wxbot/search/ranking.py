"""Rank issues for a query: relevance from where the words stand, boosted by recency.

An issue's relevance for one word is 3 if a section heading has it, 2 for the summary, 1 per
section body (at most 3), ½ for the references — at most :data:`MAX_RELEVANCE`. Its score is
that relevance (averaged over the words) halved every ``half_life_days`` of age, so a daily's
readers see the latest issues that really are about the topic.

Nothing ranks every match. The index first hands out the newest issues having all the words
(or any), newest first, then for each word its rows in those issues. An issue older than the
candidates read scores at most ``MAX_RELEVANCE`` × its decay, so once the fifth-best score
beats that bound the top five is exact; until then four times as many candidates are read.
A word found in nearly every issue is thus answered from its newest few dozen issues,
whatever the archive's size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .tokens import Term

#: Weights of a match by where it stands.
HEADING_WEIGHT = 3.0
SUMMARY_WEIGHT = 2.0
BODY_WEIGHT = 1.0
BODY_MAX_SECTIONS = 3
REFERENCES_WEIGHT = 0.5
MAX_RELEVANCE = (
    HEADING_WEIGHT + SUMMARY_WEIGHT + BODY_WEIGHT * BODY_MAX_SECTIONS + REFERENCES_WEIGHT
)

#: Candidate issues read: the first window, then each wider one; None = every match.
WINDOWS: tuple[int | None, ...] = (40, 160, 640, 2560, None)

#: Rows read per word within the candidates; an older candidate past them counts as one body.
ROWS_PER_TERM = 4000

#: Row ids per issue: ``YYYYMMDD * SLOTS + slot``. Slot 0 is the summary (with the series
#: title), 999 the references; section n has its heading at 2n - 1 and its body at 2n.
SLOTS = 1000
SUMMARY_SLOT = 0
REFERENCES_SLOT = 999

#: Returns the days (``YYYYMMDD``) of the newest issues matching all terms (or any, when the
#: flag is False), newest first, at most ``limit``.
FetchIssues = Callable[[Sequence[Term], bool, int | None], Sequence[int]]
#: Returns the ids of a term's rows between two row ids (inclusive), newest first, at most
#: ``limit``.
FetchRows = Callable[[Term, int, int, int], Sequence[int]]


@dataclass
class _Presence:
    heading: bool = False
    summary: bool = False
    bodies: int = 0
    references: bool = False
    doc_ids: list[int] = field(default_factory=list)

    def relevance(self) -> float:
        return (
            HEADING_WEIGHT * self.heading
            + SUMMARY_WEIGHT * self.summary
            + BODY_WEIGHT * min(self.bodies, BODY_MAX_SECTIONS)
            + REFERENCES_WEIGHT * self.references
        )


@dataclass(frozen=True)
class Hit:
    """An issue that matches, with its score and the rows that matched."""

    issue_id: str
    score: float
    relevance: float
    heading_match: bool
    doc_ids: tuple[int, ...]


@dataclass(frozen=True)
class Ranking:
    """The best issues for a query; ``total`` is None when only the newest were counted."""

    hits: tuple[Hit, ...]
    total: int | None
    require_all: bool


def day_of(doc_id: int) -> int:
    """Return the ``YYYYMMDD`` a row id belongs to."""
    return doc_id // SLOTS


def _date(day: int) -> dt.date:
    return dt.date(day // 10000, day // 100 % 100, day % 100)


def decay(day: int, today: dt.date, half_life_days: float) -> float:
    """Return the recency factor of an issue of ``day``: 1 today, ½ one half-life ago."""
    age = max((today - _date(day)).days, 0)
    return float(0.5 ** (age / half_life_days)) if half_life_days > 0 else 1.0


def rank(
    fetch_issues: FetchIssues,
    fetch_rows: FetchRows,
    terms: Sequence[Term],
    *,
    today: dt.date,
    half_life_days: float,
    require_all: bool = True,
    top: int = 5,
) -> Ranking:
    """Return the ``top`` issues matching all ``terms`` (or any, without ``require_all``)."""
    if not terms:
        return Ranking((), 0, require_all)
    for limit in WINDOWS:
        days = list(fetch_issues(terms, require_all, limit))
        if not days:
            return Ranking((), 0, require_all)
        first, last = days[-1] * SLOTS, days[0] * SLOTS + SLOTS - 1
        per_term = [list(fetch_rows(term, first, last, ROWS_PER_TERM)) for term in terms]
        scored = _score(days, per_term, today, half_life_days, require_all)
        if limit is None or len(days) < limit:
            return Ranking(tuple(scored[:top]), len(days), require_all)
        bound = MAX_RELEVANCE * decay(days[-1], today, half_life_days)
        if len(scored) >= top and scored[top - 1].score >= bound:
            return Ranking(tuple(scored[:top]), None, require_all)
    raise AssertionError("the last window reads every match")  # pragma: no cover


def _score(
    days: list[int],
    per_term: list[list[int]],
    today: dt.date,
    half_life_days: float,
    require_all: bool,
) -> list[Hit]:
    candidates = set(days)
    presences: list[dict[int, _Presence]] = []
    for ids in per_term:
        by_day: dict[int, _Presence] = {}
        for doc_id in ids:
            day = doc_id // SLOTS
            if day not in candidates:
                continue
            presence = by_day.get(day)
            if presence is None:
                presence = by_day[day] = _Presence()
            presence.doc_ids.append(doc_id)
            slot = doc_id % SLOTS
            if slot == SUMMARY_SLOT:
                presence.summary = True
            elif slot == REFERENCES_SLOT:
                presence.references = True
            elif slot % 2:
                presence.heading = True
            else:
                presence.bodies += 1
        # past the rows read, a candidate having all words has this one somewhere: one body
        reached = ids[-1] // SLOTS if require_all and len(ids) >= ROWS_PER_TERM else 0
        for day in days:
            if day < reached or (reached and day == reached and day not in by_day):
                by_day.setdefault(day, _Presence(bodies=1))
        presences.append(by_day)
    hits = []
    for day in days:
        found = [p[day] for p in presences if day in p]
        if not found:
            continue
        relevance = sum(p.relevance() for p in found) / len(presences)
        hits.append(
            Hit(
                issue_id=f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}",
                score=relevance * decay(day, today, half_life_days),
                relevance=relevance,
                heading_match=any(p.heading for p in found),
                doc_ids=tuple(sorted({i for p in found for i in p.doc_ids})),
            )
        )
    hits.sort(key=lambda h: (h.score, h.issue_id), reverse=True)
    return hits
