"""SQL for archive search: one row per part of an issue, its tokens indexed for full text.

A row's id is the issue's date, then which part (``wxbot.search_rows``), so the newest matches
come first in the index's own order and an issue's rows are one id range. SQLite
indexes ``tokens`` in an FTS5 table kept in step by triggers; PostgreSQL in a GIN index over a
stored ``to_tsvector('simple', tokens)``. Both answer "the newest N rows matching" without ranking
every match: the ranking is done over those ids (``wxbot.search.ranking``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    Column,
    Connection,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    event,
    func,
    select,
    text,
)

from .. import search_rows
from ..search_rows import Phrase, Presence, Term, day_of_issue, first_row, last_row
from .issue_links import issue_links
from .schema import metadata

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

#: One row per issue with every token of its parts: where "all the words" is decided.
search_issues = Table(
    "search_issues",
    metadata,
    # YYYYMMDD, the issue's date; INTEGER PRIMARY KEY (the rowid) on SQLite.
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("issue_id", String(10), nullable=False, unique=True),
    Column("tokens", Text, nullable=False),
)

#: PostgreSQL keeps each row's tokens as a stored ``tsvector`` too (a generated column, revision
#: 0009) under a GIN index, so that a match, its recheck (a phrase needs the positions) and a
#: filter read it instead of parsing the tokens again: that parse costs ~1.8 ms an issue, and a
#: search of common words spent ~0.6 s in it. Not declared on the tables (SQLite has no
#: tsvector, and FTS5 tables instead): the schema comparison leaves these names out.
TSVECTOR_COLUMN = "tsv"
TSVECTOR_INDEXES = {"search_docs": "ix_search_docs_tsv", "search_issues": "ix_search_issues_tsv"}

#: Counters that change when what followers are answered from changes (the archive, the rules).
search_state = Table(
    "search_state",
    metadata,
    Column("name", String(20), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


def _fts5(table: Table, fts: str) -> None:
    """Index ``table.tokens`` in FTS5 (SQLite only), kept in step by :func:`replace_docs`.

    Rows go in and out by explicit statements: an insert trigger costs four times as much.
    """
    # Tokens are space-separated and lower-case already: ascii splits at the spaces only.
    statement = (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5("
        f"tokens, content='{table.name}', content_rowid='id', tokenize='ascii')"
    )
    event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))


_fts5(search_docs, "search_fts")
_fts5(search_issues, "search_issue_fts")


@dataclass(frozen=True)
class SearchDoc:
    """One searchable part of an issue."""

    id: int
    issue_id: str
    kind: str
    heading: str
    text: str
    tokens: str = ""


def replace_docs(conn: Connection, issue_ids: Sequence[str], docs: Sequence[SearchDoc]) -> None:
    """Replace every row of the given issues by ``docs`` (and each issue's row by their tokens)."""
    sqlite = conn.dialect.name == "sqlite"
    for issue_id in issue_ids:
        day = day_of_issue(issue_id)
        in_issue = search_docs.c.id.between(first_row(day), last_row(day))
        if sqlite:  # out of the FTS5 index first, with the tokens it was given
            old = conn.execute(select(search_docs.c.id, search_docs.c.tokens).where(in_issue))
            _fts_delete(conn, "search_fts", [{"id": r.id, "tokens": r.tokens} for r in old])
            old = conn.execute(
                select(search_issues.c.id, search_issues.c.tokens).where(
                    search_issues.c.issue_id == issue_id
                )
            )
            _fts_delete(conn, "search_issue_fts", [{"id": r.id, "tokens": r.tokens} for r in old])
        conn.execute(search_docs.delete().where(in_issue))
        conn.execute(search_issues.delete().where(search_issues.c.issue_id == issue_id))
    if not docs:
        return
    doc_rows = [
        {
            "id": d.id,
            "issue_id": d.issue_id,
            "kind": d.kind,
            "heading": d.heading,
            "text": d.text,
            "tokens": d.tokens,
        }
        for d in docs
    ]
    tokens: dict[str, list[str]] = {}
    for doc in docs:
        tokens.setdefault(doc.issue_id, []).append(doc.tokens)
    issue_rows = [
        {"id": day_of_issue(i), "issue_id": i, "tokens": " ".join(t)} for i, t in tokens.items()
    ]
    conn.execute(search_docs.insert(), doc_rows)
    conn.execute(search_issues.insert(), issue_rows)
    if sqlite:
        conn.execute(text("INSERT INTO search_fts(rowid, tokens) VALUES (:id, :tokens)"), doc_rows)
        conn.execute(
            text("INSERT INTO search_issue_fts(rowid, tokens) VALUES (:id, :tokens)"), issue_rows
        )


def _fts_delete(conn: Connection, fts: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(
            text(f"INSERT INTO {fts}({fts}, rowid, tokens) VALUES ('delete', :id, :tokens)"), rows
        )


def clear(conn: Connection) -> None:
    """Delete every row (before a rebuild)."""
    if conn.dialect.name == "sqlite":
        for fts in ("search_fts", "search_issue_fts"):
            conn.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))
    conn.execute(search_docs.delete())
    conn.execute(search_issues.delete())


#: No limit, for a statement that takes one.
_ALL = 2**31 - 1

_ISSUE_DAYS = {
    "sqlite": text(
        "SELECT rowid FROM search_issue_fts WHERE search_issue_fts MATCH :q "
        "AND rowid >= :since ORDER BY rowid DESC LIMIT :n"
    ),
    "postgresql": text(
        f"SELECT id FROM search_issues WHERE {TSVECTOR_COLUMN} "
        "@@ to_tsquery('simple', :q) AND id >= :since ORDER BY id DESC LIMIT :n"
    ),
}


def matching_issue_days(
    conn: Connection, terms: Sequence[Term], require_all: bool, limit: int | None, since: int = 0
) -> list[int]:
    """Return the ``YYYYMMDD`` of the newest issues having all ``terms`` (or any), newest first.

    At most ``limit`` of them, and none before ``since`` (a ``YYYYMMDD``; 0 = no bound).
    """
    if conn.dialect.name == "sqlite":
        joiner = " AND " if require_all else " OR "
        expression = joiner.join(f"({_fts5_term(t)})" for t in terms)
    else:
        joiner = " & " if require_all else " | "
        expression = joiner.join(f"({_tsquery_term(t)})" for t in terms)
    params = {"q": expression, "since": since, "n": _ALL if limit is None else limit}
    return list(conn.execute(_ISSUE_DAYS[_dialect(conn)], params).scalars().all())


def _dialect(conn: Connection) -> str:
    return "sqlite" if conn.dialect.name == "sqlite" else "postgresql"


#: Where a term stands in each issue, counted by the database as ``search_rows.presence_of``
#: counts in Python: ``{id}`` is the row id column, the numbers are the row layout's.
_PRESENCE = """
SELECT {id} / {rows} AS day,
       sum(CASE WHEN {heading} THEN 1 ELSE 0 END),
       max(CASE WHEN {slot} = {summary} THEN 1 ELSE 0 END),
       sum(CASE WHEN {body} THEN 1 ELSE 0 END),
       max(CASE WHEN {slot} = {references} THEN 1 ELSE 0 END),
       min(CASE WHEN {heading} THEN {id} END),
       min(CASE WHEN {body} THEN {id} END)
FROM {source}
WHERE {match} AND {id} BETWEEN :first AND :last
GROUP BY {id} / {rows}
"""


def _presence_sql(id_column: str, source: str, match: str) -> str:
    slot = f"{id_column} % {search_rows.ROWS_PER_ISSUE:d}"
    # search_rows.is_heading_slot and is_body_slot
    heading = f"{slot} % 2 = 1 AND {slot} <> {search_rows.REFERENCES_SLOT:d}"
    body = f"{slot} % 2 = 0 AND {slot} <> {search_rows.SUMMARY_SLOT:d}"
    return _PRESENCE.format(
        id=id_column,
        rows=f"{search_rows.ROWS_PER_ISSUE:d}",
        slot=slot,
        heading=heading,
        body=body,
        summary=f"{search_rows.SUMMARY_SLOT:d}",
        references=f"{search_rows.REFERENCES_SLOT:d}",
        source=source,
        match=match,
    )


_PRESENCES = {
    "sqlite": text(_presence_sql("rowid", "search_fts", "search_fts MATCH :q")),
    "postgresql": text(
        _presence_sql("id", "search_docs", f"{TSVECTOR_COLUMN} @@ to_tsquery('simple', :q)")
    ),
}


def term_presence(
    conn: Connection, term: Term, first_day: int, last_day: int
) -> dict[int, Presence]:
    """Return where ``term`` stands in each issue from ``first_day`` to ``last_day`` (YYYYMMDD)."""
    dialect = _dialect(conn)
    params = {
        "q": _fts5_term(term) if dialect == "sqlite" else _tsquery_term(term),
        "first": first_row(first_day),
        "last": last_row(last_day),
    }
    return {
        int(day): Presence(int(headings), bool(summary), int(bodies), bool(refs), heading, body)
        for day, headings, summary, bodies, refs, heading, body in conn.execute(
            _PRESENCES[dialect], params
        )
    }


def _fts5_term(term: Term) -> str:
    return " OR ".join(_fts5_phrase(p) for p in term.phrases)


def _tsquery_term(term: Term) -> str:
    return " | ".join(f"({_tsquery_phrase(p)})" for p in term.phrases)


def _fts5_phrase(phrase: Phrase) -> str:
    # Tokens are CJK characters or [0-9a-z] only (tokens.py), so nothing needs escaping.
    return '"' + " ".join(phrase.tokens) + '"' + ("*" if phrase.prefix else "")


def _tsquery_phrase(phrase: Phrase) -> str:
    parts = [f"'{t}'" for t in phrase.tokens]
    if phrase.prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


_DOCS_BY_IDS = select(
    search_docs.c.id,
    search_docs.c.issue_id,
    search_docs.c.kind,
    search_docs.c.heading,
    search_docs.c.text,
).where(search_docs.c.id.in_(bindparam("ids", expanding=True)))


def docs_by_ids(conn: Connection, ids: Iterable[int]) -> list[SearchDoc]:
    """Return the rows with the given ids (without their tokens)."""
    wanted = sorted(set(ids))
    found: list[SearchDoc] = []
    for start in range(0, len(wanted), 500):
        rows = conn.execute(_DOCS_BY_IDS, {"ids": wanted[start : start + 500]})
        found.extend(SearchDoc(*r) for r in rows)
    return found


def docs_of_issue(conn: Connection, issue_id: str) -> list[SearchDoc]:
    """Return an issue's rows in slot order (without their tokens)."""
    day = day_of_issue(issue_id)
    rows = conn.execute(
        select(
            search_docs.c.id,
            search_docs.c.issue_id,
            search_docs.c.kind,
            search_docs.c.heading,
            search_docs.c.text,
        )
        .where(search_docs.c.id.between(first_row(day), last_row(day)))
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


def check(conn: Connection) -> None:
    """Check the full-text indexes agree with their rows (SQLite; PostgreSQL keeps its own).

    :raises sqlalchemy.exc.DatabaseError: when they do not.
    """
    if conn.dialect.name == "sqlite":
        for fts in ("search_fts", "search_issue_fts"):
            conn.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))


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
