"""SQL for archive search: one row per part of an issue, its tokens indexed for full text.

A row's id is ``YYYYMMDD * 1000 + slot`` — the issue's date, then which part — so the newest
matches come first in the index's own order and an issue's rows are one id range. SQLite
indexes ``tokens`` in an FTS5 table kept in step by triggers; PostgreSQL in a GIN index over
``to_tsvector('simple', tokens)``. Both answer "the newest N rows matching" without ranking
every match: the ranking is done over those ids (``wxbot.search.ranking``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    event,
    func,
    literal_column,
    select,
    text,
)

from ..search.ranking import SLOTS
from ..search.tokens import Phrase, Term
from .db import metadata
from .issue_links import issue_links

search_docs = Table(
    "search_docs",
    metadata,
    # INTEGER PRIMARY KEY on SQLite, so the id is the rowid the FTS5 table points at.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("issue_id", String(10), nullable=False, index=True),
    Column("kind", String(8), nullable=False),  # summary | heading | body | refs
    Column("heading", Text, nullable=False),  # the section heading the text belongs to
    Column("text", Text, nullable=False),
    Column("tokens", Text, nullable=False),
)

Index(
    "ix_search_docs_tsv",
    func.to_tsvector(literal_column("'simple'"), search_docs.c.tokens),
    postgresql_using="gin",
).ddl_if(dialect="postgresql")

#: Counters that change when what followers are answered from changes (the archive, the rules).
search_state = Table(
    "search_state",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

for _statement in (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "tokens, content='search_docs', content_rowid='id', detail='full')",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ai AFTER INSERT ON search_docs BEGIN "
    "INSERT INTO search_fts(rowid, tokens) VALUES (new.id, new.tokens); END",
    "CREATE TRIGGER IF NOT EXISTS search_docs_ad AFTER DELETE ON search_docs BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, tokens) VALUES ('delete', old.id, old.tokens); END",
):
    event.listen(search_docs, "after_create", DDL(_statement).execute_if(dialect="sqlite"))

#: Row ids per issue (the layout of the slots is wxbot.search.ranking's).
SLOTS_PER_ISSUE = SLOTS


@dataclass(frozen=True)
class SearchDoc:
    """One searchable part of an issue."""

    id: int
    issue_id: str
    kind: str
    heading: str
    text: str
    tokens: str = ""


def issue_base(issue_id: str) -> int:
    """Return the first row id of an issue (``YYYYMMDD * 1000``)."""
    return int(issue_id.replace("-", "")) * SLOTS_PER_ISSUE


def replace_docs(conn: Connection, issue_ids: Sequence[str], docs: Sequence[SearchDoc]) -> None:
    """Replace every row of the given issues by ``docs``."""
    for issue_id in issue_ids:
        base = issue_base(issue_id)
        conn.execute(
            search_docs.delete().where(search_docs.c.id.between(base, base + SLOTS_PER_ISSUE - 1))
        )
    if docs:
        conn.execute(
            search_docs.insert(),
            [
                {
                    "id": d.id,
                    "issue_id": d.issue_id,
                    "kind": d.kind,
                    "heading": d.heading,
                    "text": d.text,
                    "tokens": d.tokens,
                }
                for d in docs
            ],
        )


def clear(conn: Connection) -> None:
    """Delete every row (before a rebuild)."""
    conn.execute(search_docs.delete())


def matching_ids(conn: Connection, term: Term, limit: int | None) -> list[int]:
    """Return the ids of the newest rows matching any phrase of ``term``, newest first."""
    if conn.dialect.name == "sqlite":
        query = "SELECT rowid FROM search_fts WHERE search_fts MATCH :q ORDER BY rowid DESC"
        expression = " OR ".join(_fts5_phrase(p) for p in term.phrases)
    else:
        query = (
            "SELECT id FROM search_docs WHERE to_tsvector('simple', tokens) "
            "@@ to_tsquery('simple', :q) ORDER BY id DESC"
        )
        expression = " | ".join(f"({_tsquery_phrase(p)})" for p in term.phrases)
    params: dict[str, object] = {"q": expression}
    if limit is not None:
        query += " LIMIT :n"
        params["n"] = limit
    return [row[0] for row in conn.execute(text(query), params)]


def _fts5_phrase(phrase: Phrase) -> str:
    # Tokens are CJK characters or [0-9a-z] only (tokens.py), so nothing needs escaping.
    return '"' + " ".join(phrase.tokens) + '"' + ("*" if phrase.prefix else "")


def _tsquery_phrase(phrase: Phrase) -> str:
    parts = [f"'{t}'" for t in phrase.tokens]
    if phrase.prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


def docs_by_ids(conn: Connection, ids: Iterable[int]) -> list[SearchDoc]:
    """Return the rows with the given ids (without their tokens)."""
    wanted = sorted(set(ids))
    found: list[SearchDoc] = []
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(
                search_docs.c.id,
                search_docs.c.issue_id,
                search_docs.c.kind,
                search_docs.c.heading,
                search_docs.c.text,
            ).where(search_docs.c.id.in_(wanted[start : start + 500]))
        )
        found.extend(SearchDoc(**r._mapping) for r in rows)
    return found


def docs_of_issue(conn: Connection, issue_id: str) -> list[SearchDoc]:
    """Return an issue's rows in slot order (without their tokens)."""
    base = issue_base(issue_id)
    rows = conn.execute(
        select(
            search_docs.c.id,
            search_docs.c.issue_id,
            search_docs.c.kind,
            search_docs.c.heading,
            search_docs.c.text,
        )
        .where(search_docs.c.id.between(base, base + SLOTS_PER_ISSUE - 1))
        .order_by(search_docs.c.id)
    )
    return [SearchDoc(**r._mapping) for r in rows]


def latest_issue_id(conn: Connection) -> str | None:
    """Return the newest indexed issue's id, or None."""
    return conn.execute(select(func.max(search_docs.c.issue_id))).scalar()


def neighbour_issue_ids(conn: Connection, issue_id: str) -> tuple[str | None, str | None]:
    """Return the ids of the indexed issues just before and just after ``issue_id``."""
    before = conn.execute(
        select(func.max(search_docs.c.issue_id)).where(search_docs.c.issue_id < issue_id)
    ).scalar()
    after = conn.execute(
        select(func.min(search_docs.c.issue_id)).where(search_docs.c.issue_id > issue_id)
    ).scalar()
    return before, after


def has_docs(conn: Connection) -> bool:
    """Return whether the index has any row."""
    return conn.execute(select(search_docs.c.id).limit(1)).first() is not None


def indexed_issue_count(conn: Connection) -> int:
    """Return how many issues have rows in the index."""
    query = select(func.count(func.distinct(search_docs.c.issue_id)))
    return int(conn.execute(query).scalar_one())


def bump(conn: Connection, name: str) -> None:
    """Add one to the counter ``name`` (``archive`` or ``rules``), creating it at 1."""
    updated = conn.execute(
        search_state.update()
        .where(search_state.c.name == name)
        .values(value=search_state.c.value + 1)
    )
    if updated.rowcount == 0:
        conn.execute(search_state.insert().values(name=name, value=1))


@dataclass(frozen=True)
class Stamp:
    """What answers depend on: the archive and rules counters, and the article links."""

    archive: int
    rules: int
    links: int
    links_changed: dt.datetime | None


def stamp(conn: Connection) -> Stamp:
    """Return the current :class:`Stamp`."""
    rows = conn.execute(select(search_state.c.name, search_state.c.value))
    counters = {r.name: r.value for r in rows}
    links = conn.execute(select(func.count(), func.max(issue_links.c.updated_at))).one()
    return Stamp(
        archive=int(counters.get("archive", 0)),
        rules=int(counters.get("rules", 0)),
        links=int(links[0]),
        links_changed=links[1],
    )
