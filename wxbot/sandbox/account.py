"""The simulated official account: settings, clock, state, faults, request log and events."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from . import datacube, mass, publish
from .events import EventDispatcher
from .faults import Faults
from .originality import Original
from .requestlog import RequestLog
from .settings import SandboxSettings, account_settings
from .state import SandboxState

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]

#: A tag the seeded first follower carries, so tag sends have someone to reach.
EDITORS_TAG = (100, "编辑")


def system_clock() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class Account:
    """Hold one simulated account; every change to ``state`` happens under ``lock``."""

    def __init__(self, settings: SandboxSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = account_settings(settings)
        self.clock: Clock = clock or system_clock
        self.offset = 0.0
        self.lock = threading.RLock()
        self.state = SandboxState()
        self.faults = Faults()
        self.log = RequestLog()
        self.events = EventDispatcher(self)
        #: Where the sandbox listens; set by the server (or the first request).
        self.base_url = ""
        self._seed()

    def now(self) -> float:
        """Return the account's time as a Unix timestamp (the clock plus any advance)."""
        return self.clock().timestamp() + self.offset

    def advance(self, seconds: float) -> None:
        """Move the account's time forward, then complete whatever became due."""
        with self.lock:
            self.offset += seconds
        self.tick()

    def public_base(self) -> str:
        """Return the base of the URLs the sandbox hands out (images, article pages)."""
        return (self.settings.public_base_url or self.base_url).rstrip("/")

    def tick(self) -> None:
        """Complete the publishes and mass sends whose time has come, queueing their events."""
        with self.lock:
            publish.complete_due(self)
            mass.complete_due(self)

    def reset(self) -> None:
        """Forget every record, fault, log entry and time advance; reseed the followers."""
        with self.lock:
            self.state = SandboxState()
            self.offset = 0.0
            self.faults.clear()
            self.log.clear()
            self._seed()
        logger.info("sandbox reset")

    def add_tag(self, tag_id: int, name: str) -> None:
        """Create (or rename) a follower tag."""
        with self.lock:
            self.state.tags[tag_id] = name

    def add_follower(self, openid: str, tags: Iterable[int] = ()) -> None:
        """Add a simulated follower, optionally carrying existing tags."""
        with self.lock:
            unknown = set(tags) - set(self.state.tags)
            if unknown:
                raise ValueError(f"unknown tags: {sorted(unknown)}")
            self.state.followers.setdefault(openid, set()).update(tags)

    def add_original(self, original: Original) -> None:
        """Put another account's article into the platform's original library."""
        with self.lock:
            self.state.originals.append(original)

    def snapshot(self) -> dict[str, Any]:
        """Return the JSON-able state summary served at ``GET /sandbox/state``."""
        with self.lock:
            data = self.state.snapshot(self.now())
            data["datacube"] = datacube.expected(self)
        s = self.settings
        data["account"] = {
            "appid": s.appid,
            "original_id": s.original_id,
            "account_name": s.account_name,
            "mode": s.mode,
            "callback_url": s.callback_url,
            "base_url": self.public_base(),
        }
        data["faults"] = self.faults.pending()
        return data

    def _seed(self) -> None:
        tag_id, name = EDITORS_TAG
        self.state.tags[tag_id] = name
        for i in range(1, self.settings.followers + 1):
            self.state.followers[follower_openid(i)] = {tag_id} if i == 1 else set()


def follower_openid(number: int) -> str:
    """Return the openid of seeded follower ``number`` (28 characters, like WeChat's)."""
    return f"oSbx{number:024d}"
