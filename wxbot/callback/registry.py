"""The registry follower replies route through: ``@registry.keyword``, ``@registry.event``.

In the spirit of wechatpy's ``register_message`` and WeRoBot's filters: a handler takes the
:class:`Context` and returns an :class:`~wxbot.callback.replies.Answer`, or None to let the next
handler try. Keywords are matched normalised (NFKC, lower case, no spaces); events by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ..runtime import Runtime
from ..search.archive_search import ArchiveSearch
from ..search.query import squeeze
from ..wechat.messages import Message
from .replies import Answer


@dataclass(frozen=True)
class Context:
    """What a handler answers from: the message, the archive search, the time."""

    runtime: Runtime
    search: ArchiveSearch
    message: Message
    now: dt.datetime
    last_list: Callable[[], tuple[dict[str, str], ...]]

    @property
    def text(self) -> str:
        """Return the message's text as the follower typed it."""
        return self.message.content

    @property
    def today(self) -> dt.date:
        """Return today's date in the publishing timezone."""
        return self.now.astimezone(self.runtime.tz).date()


Handler = Callable[[Context], Answer | None]
H = TypeVar("H", bound=Handler)


class Registry:
    """Handlers for keywords (in registration order) and for events."""

    def __init__(self) -> None:
        self._keywords: list[tuple[frozenset[str], Callable[[str], bool] | None, Handler]] = []
        self._events: dict[str, Handler] = {}

    def keyword(self, *words: str, match: Callable[[str], bool] | None = None) -> Callable[[H], H]:
        """Register a handler for texts equal to one of ``words``, or that ``match`` accepts."""
        keys = frozenset(squeeze(w) for w in words)

        def register(handler: H) -> H:
            self._keywords.append((keys, match, handler))
            return handler

        return register

    def event(self, *names: str) -> Callable[[H], H]:
        """Register a handler for events (``subscribe``, ``CLICK``…; case does not matter)."""

        def register(handler: H) -> H:
            for name in names:
                self._events[name.upper()] = handler
            return handler

        return register

    def keyword_handlers(self, text: str) -> Iterator[Handler]:
        """Yield the handlers registered for ``text``, in registration order."""
        key = squeeze(text)
        for words, match, handler in self._keywords:
            if key in words or (match is not None and match(text)):
                yield handler

    def event_handler(self, name: str) -> Handler | None:
        """Return the handler of an event, or None."""
        return self._events.get(name.upper())
