"""Issues uploaded in the console: parsed first, and held for confirmation when they would
replace an issue already drafted, published or scheduled, with what would change."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from .archive import IngestResult, ingest_bytes
from .errors import IssueFormatError, WxbotError
from .model import Issue
from .parsing import parse_bytes
from .runtime import Runtime
from .storage import issue_board, pending_uploads
from .storage import issues as issue_store
from .wechat.client import account_key
from .wechat.limits import PUBLISH_SUCCESS

#: How long an upload waits for its confirmation.
PENDING_FOR = dt.timedelta(hours=1)

#: Longest excerpt of a paragraph shown in a diff.
EXCERPT_CHARS = 60


class UploadExpired(WxbotError):
    """The upload to confirm is gone: confirmed already, or kept too long."""


@dataclass(frozen=True)
class SectionChange:
    """One heading that was added, removed or changed, with the items that differ."""

    kind: str  # "added" | "removed" | "changed"
    heading: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class UploadCheck:
    """What an upload did, or what it would replace and wait for."""

    filename: str
    result: IngestResult | None  # None while it waits for confirmation
    issue_id: str = ""
    stages: tuple[str, ...] = ()  # how far the issue it would replace has gone
    changes: list[SectionChange] = field(default_factory=list)
    token: str = ""
    #: For a file that does not parse: the line, and what was expected there.
    error_line: int = 0
    error: str = ""

    @property
    def needs_confirmation(self) -> bool:
        """Return whether the upload waits for an editor to confirm the replacement."""
        return bool(self.token)


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def _items(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    gone = tuple(_excerpt(p) for p in before if p not in after)
    new = tuple(_excerpt(p) for p in after if p not in before)
    return new, gone


def section_diff(old: Issue, new: Issue) -> list[SectionChange]:
    """Return the headings added, removed and changed from ``old`` to ``new``, in new order.

    The summary and the references count as sections of their own (摘要, 参考文献).
    """

    def parts(issue: Issue) -> dict[str, tuple[str, ...]]:
        found = {"摘要": tuple(p.strip() for p in issue.summary.splitlines() if p.strip())}
        found.update({s.title: s.paragraphs for s in issue.sections})
        if issue.references:
            found["参考文献"] = tuple(
                " | ".join(x for x in (r.source, r.title, r.date, r.note) if x)
                for r in issue.references
            )
        return found

    before, after = parts(old), parts(new)
    changes = []
    for heading, paragraphs in after.items():
        if heading not in before:
            changes.append(SectionChange("added", heading, tuple(map(_excerpt, paragraphs))))
        elif before[heading] != paragraphs:
            added, removed = _items(before[heading], paragraphs)
            changes.append(SectionChange("changed", heading, added, removed))
    for heading, paragraphs in before.items():
        if heading not in after:
            changes.append(SectionChange("removed", heading, (), tuple(map(_excerpt, paragraphs))))
    return changes


def issue_stages(runtime: Runtime, issue_id: str) -> tuple[str, ...]:
    """Return how far an issue has gone on WeChat: drafted, published, scheduled, mass-sent."""
    with runtime.db.read() as conn:
        key = account_key(runtime.settings.wechat)
        board = issue_board.board_rows(conn, key, issue_id, issue_id)
    stages = []
    if issue_id in board.drafts:
        stages.append("drafted")
    publish = board.publishes.get(issue_id)
    if publish is not None and publish.status == PUBLISH_SUCCESS:
        stages.append("published")
    if any(j.state.is_live for j in board.jobs.get(issue_id, [])):
        stages.append("scheduled")
    if any(s.status.may_have_reached for s in board.sends.get(issue_id, [])):
        stages.append("mass-sent")
    return tuple(stages)


def receive_upload(runtime: Runtime, raw: bytes, filename: str, editor: str) -> UploadCheck:
    """Archive an uploaded issue, or hold it when it would replace one already on its way.

    A file that does not parse is rejected and nothing is stored.
    """
    name = Path(filename.replace("\\", "/")).name or "upload"
    try:
        new = parse_bytes(raw, name)
    except IssueFormatError as exc:
        rejected = IngestResult(Path(name), "rejected", message=str(exc))
        return UploadCheck(name, rejected, error_line=exc.line, error=exc.message)
    with runtime.db.begin() as conn:
        old = issue_store.load_issue(conn, new.id)
    digest = hashlib.sha256(raw).hexdigest()
    if old is not None and old.source.sha256 != digest:
        stages = issue_stages(runtime, new.id)
        if stages:
            token = secrets.token_urlsafe(24)
            now = runtime.now()
            with runtime.db.begin() as conn:
                pending_uploads.discard_older_than(conn, now - PENDING_FOR)
                pending_uploads.keep(
                    conn,
                    pending_uploads.PendingUpload(token, name, raw, new.id, editor, now),
                )
            return UploadCheck(name, None, new.id, stages, section_diff(old, new), token)
    return UploadCheck(name, ingest_bytes(runtime, raw, name), new.id)


def confirm_upload(runtime: Runtime, token: str) -> UploadCheck:
    """Archive the upload held under ``token``, replacing its issue.

    :raises UploadExpired: when nothing is held under it any more.
    """
    now = runtime.now()
    with runtime.db.begin() as conn:
        held = pending_uploads.find(conn, token)
        if held is not None:
            pending_uploads.discard(conn, token)
    if held is None or held.created_at < now - PENDING_FOR:
        raise UploadExpired("that upload is no longer waiting: upload the file again")
    result = ingest_bytes(runtime, held.data, held.filename)
    return UploadCheck(held.filename, result, held.issue_id)


def discard_upload(runtime: Runtime, token: str) -> None:
    """Forget the upload held under ``token`` (the editor kept the archived issue)."""
    with runtime.db.begin() as conn:
        pending_uploads.discard(conn, token)
