"""Rank issues for a query: relevance from where the words stand, boosted by recency.

An issue's relevance for one word is 3 if a section heading has it, 2 for the summary, 1 per
section body (at most 3), ½ for the references — at most :data:`MAX_RELEVANCE`. Its score is
that relevance (averaged over the words) halved every ``half_life_days`` of age, so a daily's
readers see the latest issues that really are about the topic.

Nothing ranks every match. The index first hands out the newest issues having all the words
(or any), newest first, then for each word where it stands in those issues (counted by the
database). An issue older than the candidates read scores at most ``MAX_RELEVANCE`` × its
decay, so once the fifth-best score beats that bound the top five is exact; otherwise every
match back to the day that bound falls below the fifth-best score is read. A word found in
nearly every issue is thus answered from its issues of the last few months at most, whatever
the archive's size.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..search_rows import (
    REFERENCES_SLOT,
    SUMMARY_SLOT,
    Presence,
    Term,
    issue_of_day,
    row_id,
)

#: Weights of a match by where it stands.
HEADING_WEIGHT = 3.0
SUMMARY_WEIGHT = 2.0
BODY_WEIGHT = 1.0
BODY_MAX_SECTIONS = 3
REFERENCES_WEIGHT = 0.5
MAX_RELEVANCE = (
    HEADING_WEIGHT + SUMMARY_WEIGHT + BODY_WEIGHT * BODY_MAX_SECTIONS + REFERENCES_WEIGHT
)

#: Candidate issues read first; when they do not settle the top five, every match back to
#: the day an issue could still beat the fifth best.
FIRST_WINDOW = 24


def relevance_of(presence: Presence) -> float:
    """Return a word's relevance in an issue, from where it stands there."""
    return (
        HEADING_WEIGHT * (presence.headings > 0)
        + SUMMARY_WEIGHT * presence.summary
        + BODY_WEIGHT * min(presence.bodies, BODY_MAX_SECTIONS)
        + REFERENCES_WEIGHT * presence.references
    )


#: Returns the days (``YYYYMMDD``) of the newest issues matching all terms (or any, when the
#: flag is False), newest first: at most ``limit``, none before ``since`` (0 = no bound).
FetchIssues = Callable[[Sequence[Term], bool, int | None, int], Sequence[int]]
#: Returns where a term stands in each issue between two days (inclusive), by day.
FetchPresence = Callable[[Term, int, int], Mapping[int, Presence]]


@dataclass(frozen=True)
class Hit:
    """An issue that matches: its score, and the row that shows best where it matched."""

    issue_id: str
    score: float
    relevance: float
    heading_match: bool
    best_row: int


@dataclass(frozen=True)
class Ranking:
    """The best issues for a query; ``total`` is None when only the newest were counted."""

    hits: tuple[Hit, ...]
    total: int | None
    require_all: bool


def _date(day: int) -> dt.date:
    return dt.date(day // 10000, day // 100 % 100, day % 100)


def decay(day: int, today: dt.date, half_life_days: float) -> float:
    """Return the recency factor of an issue of ``day``: 1 today, ½ one half-life ago."""
    age = max((today - _date(day)).days, 0)
    return float(0.5 ** (age / half_life_days)) if half_life_days > 0 else 1.0


def rank(
    fetch_issues: FetchIssues,
    fetch_presence: FetchPresence,
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
    days = list(fetch_issues(terms, require_all, FIRST_WINDOW, 0))
    presences = [dict(fetch_presence(t, days[-1], days[0])) for t in terms] if days else []
    scored = _score(days, presences, today, half_life_days, top)
    if len(days) < FIRST_WINDOW:
        return Ranking(tuple(scored[:top]), len(days), require_all)
    fifth = scored[top - 1].score if len(scored) >= top else 0.0
    if fifth >= MAX_RELEVANCE * decay(days[-1], today, half_life_days):
        return Ranking(tuple(scored[:top]), None, require_all)
    # An issue older than ``since`` scores below the fifth best even at full relevance:
    # read every match back to there.
    since = _day_beyond_reach(fifth, today, half_life_days)
    newest = days
    days = list(fetch_issues(terms, require_all, None, since))
    older = [d for d in days if d < newest[-1]]
    if older:  # where the words stand in the newest is known: look only at the older ones
        for presence, term in zip(presences, terms, strict=True):
            presence.update(fetch_presence(term, older[-1], older[0]))
    scored = _score(days, presences, today, half_life_days, top)
    return Ranking(tuple(scored[:top]), len(days) if since == 0 else None, require_all)


def _day_beyond_reach(score: float, today: dt.date, half_life_days: float) -> int:
    """Return the ``YYYYMMDD`` before which an issue cannot score ``score`` (0: none such)."""
    if score <= 0 or half_life_days <= 0:
        return 0
    age = math.ceil(half_life_days * math.log2(MAX_RELEVANCE / score)) + 1
    date = today - dt.timedelta(days=age)
    return date.year * 10000 + date.month * 100 + date.day


def _score(
    days: list[int],
    presences: Sequence[Mapping[int, Presence]],
    today: dt.date,
    half_life_days: float,
    top: int,
) -> list[Hit]:
    """Return the ``top`` best of the candidate issues, best first."""
    scored = []
    for day in days:
        found = [p[day] for p in presences if day in p]
        if found:
            relevance = sum(relevance_of(p) for p in found) / len(presences)
            score = relevance * decay(day, today, half_life_days)
            scored.append((score, day, relevance, found))
    best = heapq.nlargest(top, scored, key=lambda s: (s[0], s[1]))
    return [
        Hit(
            issue_id=issue_of_day(day),
            score=score,
            relevance=relevance,
            heading_match=any(p.headings for p in found),
            best_row=_best_row(day, found),
        )
        for score, day, relevance, found in best
    ]


def _best_row(day: int, found: list[Presence]) -> int:
    """Return the row that shows best where the words stand: a heading, a body, the summary…"""
    headings = [p.first_heading for p in found if p.first_heading is not None]
    if headings:
        return min(headings)
    bodies = [p.first_body for p in found if p.first_body is not None]
    if bodies:
        return min(bodies)
    if any(p.summary for p in found) or not any(p.references for p in found):
        return row_id(day, SUMMARY_SLOT)
    return row_id(day, REFERENCES_SLOT)
