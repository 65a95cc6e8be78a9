"""The request log an operator reads: every call, with secrets masked, in memory and in logging."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import logging
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from .faults import normalize_path
from .protocol import Upload

logger = logging.getLogger(__name__)

MASK = "***"
SECRET_FIELDS = frozenset({"secret", "access_token"})
#: Strings longer than this are summarised by their length.
SHORT_TEXT = 80


def mask(params: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``params`` with the secret and access_token values masked."""
    return {k: (MASK if k in SECRET_FIELDS and v else v) for k, v in params.items()}


def summarize(body: bytes, files: Mapping[str, Upload]) -> Any:
    """Return a short, secret-free description of a request body."""
    if files:
        return {
            name: {"filename": f.filename, "content_type": f.content_type, "bytes": len(f.data)}
            for name, f in files.items()
        }
    if not body:
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return f"<{len(body)} bytes, not JSON>"
    return _shorten(data)


def _shorten(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if k in SECRET_FIELDS else _shorten(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, str) and len(value) > SHORT_TEXT:
        return f"<{len(value)} chars>"
    return value


class RequestLog:
    """Keep the last ``maxlen`` calls; each entry gets a growing ``seq`` for paging."""

    def __init__(self, maxlen: int = 2000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=maxlen)
        self._seq = itertools.count(1)

    def record(
        self,
        *,
        at: float,
        method: str,
        path: str,
        query: Mapping[str, str],
        summary: Any,
        errcode: int | None,
        fault: str = "",
        content_type: str = "",
    ) -> dict[str, Any]:
        """Add one call and log it; return the entry."""
        entry = {
            "seq": next(self._seq),
            "time": dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds"),
            "method": method,
            "path": path,
            "query": mask(query),
            "request": summary,
            "errcode": errcode,
            "fault": fault,
            "content_type": content_type,
        }
        with self._lock:
            self._entries.append(entry)
        logger.info(
            "%s %s %s → errcode %s%s",
            method,
            path,
            entry["query"],
            errcode,
            f" [fault: {fault}]" if fault else "",
        )
        return entry

    def entries(self, path: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Return entries after ``since``, optionally only those for ``path`` (``draft/add``)."""
        with self._lock:
            items = list(self._entries)
        name = None if path is None else normalize_path(path)
        return [
            e
            for e in items
            if e["seq"] > since and (name is None or normalize_path(e["path"]) == name)
        ]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
