"""The search index's rows, and the plain data search and its storage exchange about them.

An issue is indexed as rows numbered ``YYYYMMDD * ROWS_PER_ISSUE + slot``: slot 0 is the
summary (with the series title), section n has its heading at slot 2n - 1 and its body at 2n,
and the last slot holds the references. So an issue's rows are one id range, the newest issues'
rows come first in id order, and the slot says which part a row is.

Imports nothing from wxbot: ``wxbot.search`` and ``wxbot.storage`` both build on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Row ids per issue.
ROWS_PER_ISSUE = 1000
SUMMARY_SLOT = 0
REFERENCES_SLOT = ROWS_PER_ISSUE - 1
#: Sections indexed per issue: the slots between the summary and the references.
MAX_SECTIONS = (REFERENCES_SLOT - 1) // 2


def day_of_issue(issue_id: str) -> int:
    """Return an issue's day as ``YYYYMMDD`` (``2026-06-13`` → 20260613)."""
    return int(issue_id.replace("-", ""))


def issue_of_day(day: int) -> str:
    """Return the issue id of a ``YYYYMMDD`` day (20260613 → ``2026-06-13``)."""
    return f"{day // 10000:04d}-{day // 100 % 100:02d}-{day % 100:02d}"


def row_id(day: int, slot: int) -> int:
    """Return the id of the row at ``slot`` of the issue of ``day``."""
    return day * ROWS_PER_ISSUE + slot


def first_row(day: int) -> int:
    """Return the first row id of the issue of ``day``."""
    return row_id(day, 0)


def last_row(day: int) -> int:
    """Return the last row id of the issue of ``day``."""
    return row_id(day, ROWS_PER_ISSUE - 1)


def day_of_row(row: int) -> int:
    """Return the ``YYYYMMDD`` of the issue a row belongs to."""
    return row // ROWS_PER_ISSUE


def slot_of_row(row: int) -> int:
    """Return which part of its issue a row is."""
    return row % ROWS_PER_ISSUE


def heading_slot(section: int) -> int:
    """Return the slot of section ``section``'s heading (sections count from 1)."""
    return 2 * section - 1


def body_slot(section: int) -> int:
    """Return the slot of section ``section``'s paragraphs (sections count from 1)."""
    return 2 * section


def body_row_of(heading_row: int) -> int:
    """Return the id of the row holding the paragraphs under a heading's row."""
    return heading_row + 1


def is_heading_slot(slot: int) -> bool:
    """Return whether a slot holds a section heading (odd, short of the references)."""
    return slot % 2 == 1 and slot != REFERENCES_SLOT


def is_body_slot(slot: int) -> bool:
    """Return whether a slot holds a section's paragraphs (even, past the summary)."""
    return slot % 2 == 0 and slot != SUMMARY_SLOT


@dataclass(frozen=True)
class Phrase:
    """Tokens that must follow each other; ``prefix`` makes the last one a prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Term:
    """One word a follower typed, as the phrases any of which may match it (synonyms)."""

    text: str
    phrases: tuple[Phrase, ...]


@dataclass(frozen=True)
class Presence:
    """Where one word stands in one issue: counts, and the first heading and body rows."""

    headings: int = 0
    summary: bool = False
    bodies: int = 0
    references: bool = False
    first_heading: int | None = None
    first_body: int | None = None


def presence_of(rows: Sequence[int]) -> dict[int, Presence]:
    """Return where a word stands, by day, from the ids of the rows it is in.

    The index's storage counts the same in SQL (``storage.search_index.term_presence``).
    """
    by_day: dict[int, list[int]] = {}
    for row in rows:
        by_day.setdefault(day_of_row(row), []).append(row)
    out = {}
    for day, ids in by_day.items():
        slots = [(slot_of_row(i), i) for i in sorted(ids)]
        headings = [i for s, i in slots if is_heading_slot(s)]
        bodies = [i for s, i in slots if is_body_slot(s)]
        out[day] = Presence(
            headings=len(headings),
            summary=any(s == SUMMARY_SLOT for s, _ in slots),
            bodies=len(bodies),
            references=any(s == REFERENCES_SLOT for s, _ in slots),
            first_heading=headings[0] if headings else None,
            first_body=bodies[0] if bodies else None,
        )
    return out
