"""Cut an issue into searchable parts and keep the search index in step with the archive."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy import Connection

from ..model import Issue
from ..runtime import Runtime
from ..search_rows import (
    MAX_SECTIONS,
    REFERENCES_SLOT,
    SUMMARY_SLOT,
    body_slot,
    day_of_issue,
    heading_slot,
    row_id,
)
from ..storage import issues as issue_store
from ..storage import search_index
from ..storage.search_index import SearchDoc
from .tokens import index_tokens

logger = logging.getLogger(__name__)


def issue_docs(issue: Issue) -> list[SearchDoc]:
    """Return the searchable parts of an issue: summary, each heading and body, references."""
    day = day_of_issue(issue.id)
    first_heading = issue.sections[0].heading if issue.sections else "摘要"
    docs = [
        _doc(
            row_id(day, SUMMARY_SLOT),
            issue,
            "summary",
            first_heading,
            issue.summary,
            extra=issue.series_title,
        )
    ]
    for n, section in enumerate(issue.sections[:MAX_SECTIONS], start=1):
        heading = section.heading
        docs.append(_doc(row_id(day, heading_slot(n)), issue, "heading", heading, heading))
        body = "\n".join(section.paragraphs)
        if body:
            docs.append(_doc(row_id(day, body_slot(n)), issue, "body", heading, body))
    if issue.references:
        refs = "\n".join(
            " ".join(p for p in (r.source, r.title, r.date, r.note) if p) for r in issue.references
        )
        docs.append(_doc(row_id(day, REFERENCES_SLOT), issue, "refs", "参考文献", refs))
    return docs


def _doc(
    doc_id: int, issue: Issue, kind: str, heading: str, text: str, extra: str = ""
) -> SearchDoc:
    tokens = index_tokens(f"{extra}\n{text}" if extra else text)
    return SearchDoc(doc_id, issue.id, kind, heading, text, tokens)


def index_issues(conn: Connection, issues: Iterable[Issue]) -> None:
    """Index added or replaced issues (the last of one date wins) and bump the archive version."""
    latest = {issue.id: issue for issue in issues}
    if not latest:
        return
    docs = [doc for issue in latest.values() for doc in issue_docs(issue)]
    search_index.replace_docs(conn, list(latest), docs)
    search_index.bump(conn, "archive")


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...


def index_ingested(
    conn: Connection, batch: Sequence[tuple[object, Issue]], results: Sequence[_Outcome]
) -> None:
    """Index the issues of an ingest batch that were added or replaced (ingest's results)."""
    changed = (i for (_, i), r in zip(batch, results, strict=True) if r.status != "unchanged")
    index_issues(conn, changed)


def rebuild(runtime: Runtime, *, only_if_missing: bool = False) -> int:
    """Rebuild the whole index from the archive; return how many issues were indexed.

    With ``only_if_missing``, do nothing unless the archive has issues and the index none
    (an archive made before search existed); several workers starting at once build it once.
    """
    if only_if_missing and not _missing(runtime):
        return 0
    count = 0
    with runtime.db.begin_write() as conn:
        if only_if_missing and (search_index.has_docs(conn) or not issue_store.count_issues(conn)):
            return 0  # another worker built it meanwhile
        search_index.clear(conn)
        ids = [row.id for row in issue_store.list_issues(conn)]
        for start in range(0, len(ids), 200):
            batch = [issue_store.load_issue(conn, i) for i in ids[start : start + 200]]
            found = [i for i in batch if i is not None]
            docs = [doc for issue in found for doc in issue_docs(issue)]
            search_index.replace_docs(conn, [], docs)
            count += len(found)
        search_index.bump(conn, "archive")
    logger.info("search: indexed %d issues", count)
    return count


def _missing(runtime: Runtime) -> bool:
    with runtime.db.begin() as conn:
        return not search_index.has_docs(conn) and issue_store.count_issues(conn) > 0
