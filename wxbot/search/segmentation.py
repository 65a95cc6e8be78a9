"""Split a run of Chinese into words with jieba, loaded once per process."""

from __future__ import annotations

import logging
import threading

import jieba

_lock = threading.Lock()
_loaded = False


def load() -> None:
    """Load jieba's dictionary now (about a second), silencing its start-up chatter."""
    global _loaded
    with _lock:
        if not _loaded:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _loaded = True


def words(text: str) -> list[str]:
    """Return the words of ``text`` in jieba's default cut that are worth searching for.

    Single ideographs (我, 的, 和…) are dropped: alone they are found everywhere.
    """
    load()
    return [
        w for w in jieba.lcut(text) if any(c.isalnum() for c in w) and (len(w) > 1 or w.isascii())
    ]
