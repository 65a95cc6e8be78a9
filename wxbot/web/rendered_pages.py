"""What the public pages rendered, kept per worker, and a bound on how many render at once.

An issue page, its preview and its covers take 10–180 ms of CPU to render, in the same
process (and under the same GIL) as the follower callback, which must answer within
WeChat's 5 s. So each worker keeps what it rendered, keyed by everything the output
depends on (the issue as stored, the settings, the path prefix), and renders at most
:data:`RENDER_SLOTS` pages at a time: a page asked for while every slot is taken is
answered 503 with ``Retry-After`` at once, so no thread waits and the callback's threads
stay free however many pages are asked for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from ..errors import WxbotError

T = TypeVar("T")

#: Pages rendering at once in one worker; more are refused (503), never queued.
RENDER_SLOTS = 2

#: Rendered pages, covers and articles one worker keeps (the least recently used go first).
#: An entry is at most a few hundred KB: a few tens of MB per worker at worst.
MAX_ENTRIES = 128

#: Seconds a refused client is asked to wait before asking again.
RETRY_AFTER_SECONDS = 1


class RendererBusy(WxbotError):
    """Every render slot of this worker is taken: ask again in a moment."""


class RenderedPages:
    """A bounded, thread-safe LRU of rendered output, rendering misses in a bounded pool."""

    def __init__(self, max_entries: int = MAX_ENTRIES, slots: int = RENDER_SLOTS) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(slots)
        self._held = threading.local()

    def get(self, key: Hashable, render: Callable[[], T]) -> T:
        """Return the output kept under ``key``, rendering it (in a free slot) when missing.

        :raises RendererBusy: when it must be rendered and every slot is taken.
        """
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                value: T = self._entries[key]
                return value
        value = self.limited(render)
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` under ``key`` (something rendered along the way, e.g. the covers)."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def limited(self, render: Callable[[], T]) -> T:
        """Render something not worth keeping (a search, an index page) in a free slot.

        :raises RendererBusy: when every slot is taken.
        """
        if getattr(self._held, "slot", False):  # what a render renders runs in its slot
            return render()
        if not self._slots.acquire(blocking=False):
            raise RendererBusy("every page renderer of this worker is busy")
        self._held.slot = True
        try:
            return render()
        finally:
            self._held.slot = False
            self._slots.release()
