"""The audit log: every state-changing console action, who did it, when, and how it went."""

from __future__ import annotations

import logging

from flask import current_app, has_request_context, request

from ..editors import Editor
from ..runtime import get_runtime
from ..storage import audit_log as store
from ..storage.audit_log import AuditEntry
from . import auth

logger = logging.getLogger(__name__)

__all__ = ["AuditEntry", "record", "recent"]


def record(
    action: str,
    subject: str,
    outcome: str,
    detail: str = "",
    *,
    editor: Editor | None = None,
) -> None:
    """Write who (the signed-in editor, or ``editor``), when, what and the outcome to the log.

    Call it from every view that changes something, whatever the outcome; ``detail`` says
    what a user would want to know afterwards (never a password or a token).
    """
    runtime = get_runtime(current_app)
    who = editor or auth.signed_in_editor()
    address = (request.remote_addr or "") if has_request_context() else ""
    with runtime.db.begin() as conn:
        store.insert_entry(
            conn,
            at=runtime.now(),
            editor_id=who.id if who else None,
            editor_name=who.name if who else "",
            address=address[:64],
            action=action,
            subject=subject,
            outcome=outcome,
            detail=detail,
        )
    logger.info(
        "console: %s %s by %s from %s: %s", action, subject, who.name if who else "-", address,
        outcome,
    )  # fmt: skip


def recent(limit: int = 100, subject: str | None = None) -> list[AuditEntry]:
    """Return the newest audit entries first, optionally only those about ``subject``."""
    with get_runtime(current_app).db.begin() as conn:
        return store.recent_entries(conn, limit=limit, subject=subject)
