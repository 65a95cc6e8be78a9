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
    """Return the words of ``text`` in jieba's default cut, without spaces and punctuation."""
    load()
    return [w for w in jieba.lcut(text) if w.strip() and any(c.isalnum() for c in w)]
