"""Ingest issue files into the archive, and read issues back out of it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import IssueFormatError, IssueNotFound
from .model import Issue
from .parsing import REFUSED_SUFFIXES, SUFFIXES, parse_bytes
from .runtime import Runtime
from .search import indexing as search_indexing
from .storage import issues as issue_store

logger = logging.getLogger(__name__)

#: Files parsed before their issues are written in one transaction.
BATCH_SIZE = 200


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file: ``added``, ``replaced``, ``unchanged`` or ``rejected``."""

    path: Path
    status: str
    issue_id: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        """Return whether the file was taken (or was already there)."""
        return self.status != "rejected"

    def describe(self) -> str:
        """Return the one line the CLI prints for this file."""
        if self.status == "rejected":
            return f"rejected  {self.message}"
        detail = f" ({self.message})" if self.message else ""
        return f"{self.status:<9} {self.issue_id}  {self.path}{detail}"


def find_issue_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Yield the issue files named by ``paths``: files as given, folders searched recursively.

    Word files wxbot cannot read (``.doc``, ``.wps``) are yielded too, to be refused with the
    format to save them in rather than skipped without a word; Word's ``~$`` lock files are not.
    """
    wanted = SUFFIXES.keys() | REFUSED_SUFFIXES.keys()
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in wanted and not p.name.startswith("~$")
            )
        else:
            yield path


def ingest_paths(
    runtime: Runtime,
    paths: Iterable[Path],
    progress: Callable[[IngestResult], None] | None = None,
) -> list[IngestResult]:
    """Parse every issue file under ``paths`` and archive what is new or changed.

    A file that is not an issue is rejected with ``FILE:LINE: what`` and the others are still
    archived. An unchanged file is a no-op; a changed file replaces the parsed issue and its
    source is kept as a new revision.
    """
    results: list[IngestResult] = []

    def report(result: IngestResult) -> None:
        results.append(result)
        if progress:
            progress(result)

    files = list(find_issue_files(paths))
    for start in range(0, len(files), BATCH_SIZE):
        raw_files: list[tuple[Path, bytes]] = []
        for path in files[start : start + BATCH_SIZE]:
            try:
                raw_files.append((path, path.read_bytes()))
            except OSError as exc:
                report(IngestResult(path, "rejected", message=f"{path}:1: {exc.strerror}"))
        # An unchanged file needs no parsing: its hash is already an issue's current source.
        digests = [hashlib.sha256(raw).hexdigest() for _, raw in raw_files]
        with runtime.db.begin() as conn:
            current = issue_store.ids_by_hash(conn, digests)
        batch: list[tuple[Path, Issue]] = []
        for (path, raw), digest in zip(raw_files, digests, strict=True):
            if digest in current:
                report(IngestResult(path, "unchanged", current[digest]))
                continue
            try:
                batch.append((path, parse_bytes(raw, str(path))))
            except IssueFormatError as exc:
                logger.info("ingest: rejected %s", exc)
                report(IngestResult(path, "rejected", message=str(exc)))
        if batch:
            for result in _store_batch(runtime, batch):
                report(result)
    return results


def ingest_bytes(runtime: Runtime, raw: bytes, filename: str) -> IngestResult:
    """Parse one uploaded file and archive it if new or changed, as :func:`ingest_paths` does.

    Nothing touches the disk; only the base name of ``filename`` is kept. A rejected file
    stores nothing.
    """
    name = Path(filename.replace("\\", "/")).name or "upload"
    path = Path(name)
    digest = hashlib.sha256(raw).hexdigest()
    with runtime.db.begin() as conn:
        current = issue_store.ids_by_hash(conn, [digest])
    if digest in current:
        return IngestResult(path, "unchanged", current[digest])
    try:
        issue = parse_bytes(raw, name)
    except IssueFormatError as exc:
        logger.info("ingest: rejected upload %s", exc)
        return IngestResult(path, "rejected", message=str(exc))
    return _store_batch(runtime, [(path, issue)])[0]


def _store_batch(runtime: Runtime, batch: list[tuple[Path, Issue]]) -> list[IngestResult]:
    now = runtime.now()
    results: list[IngestResult] = []
    with runtime.db.begin_write() as conn:
        known = issue_store.current_hashes(conn, (issue.id for _, issue in batch))
        new: dict[str, Issue] = {}
        for path, issue in batch:
            current = known.get(issue.id)
            if current is not None and current[0] == issue.source.sha256:
                result = IngestResult(path, "unchanged", issue.id)
            elif current is None and issue.id not in new:
                new[issue.id] = issue
                known[issue.id] = (issue.source.sha256, 1)
                result = IngestResult(path, "added", issue.id)
            else:
                if issue.id in new:  # the same date twice in one batch: store the first now
                    issue_store.insert_issues(conn, [new.pop(issue.id)], now)
                revision = known[issue.id][1] + 1
                issue_store.replace_issue(conn, issue, revision, now)
                known[issue.id] = (issue.source.sha256, revision)
                result = IngestResult(
                    path, "replaced", issue.id, f"revision {revision}; earlier source kept"
                )
            results.append(result)
        issue_store.insert_issues(conn, list(new.values()), now)
        search_indexing.index_ingested(conn, batch, results)
    for result in results:
        logger.info("ingest: %s %s from %s", result.status, result.issue_id, result.path)
    return results


def get_issue(runtime: Runtime, issue_id: str) -> Issue:
    """Return the current version of an archived issue.

    :raises IssueNotFound: when no issue has that id.
    """
    with runtime.db.begin() as conn:
        issue = issue_store.load_issue(conn, issue_id)
    if issue is None:
        raise IssueNotFound(issue_id)
    return issue


def list_issues(
    runtime: Runtime, limit: int | None = None, offset: int = 0
) -> list[issue_store.IssueRow]:
    """Return archived issues, newest first, skipping the ``offset`` newest."""
    with runtime.db.begin() as conn:
        return issue_store.list_issues(conn, limit, offset)


def list_revisions(runtime: Runtime, issue_id: str) -> list[issue_store.RevisionRow]:
    """Return every source an editor gave for an issue, oldest first."""
    with runtime.db.begin() as conn:
        return issue_store.list_revisions(conn, issue_id)
