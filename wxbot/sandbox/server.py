"""Run the sandbox over real HTTP in a background thread: for tests, the demo and the CLI."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .account import Account, Clock
from .accounts import Accounts
from .app import create_sandbox_app
from .faults import Faults
from .originality import Original
from .requestlog import RequestLog
from .settings import SandboxSettings, own_original_ids, with_overrides
from .state import SandboxState

logger = logging.getLogger(__name__)

#: How often the background ticker completes due jobs (real seconds).
TICK_SECONDS = 0.02


class _QuietHandler(WSGIRequestHandler):
    """Leave request logging to the sandbox's own request log."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log nothing: every API call is in the request log already."""


class SandboxServer:
    """A running sandbox on ``host:port`` (port 0 = a free one); a context manager.

    It serves one account (``settings``) or several (``accounts``, the first of them the one
    ``settings``, ``state``, ``faults`` and ``log`` mean); ``server.accounts[appid]`` is each.
    Keyword arguments are :class:`SandboxSettings` fields (``callback_url``, ``publish_delay``,
    ``token_ttl``, ``mass_daily_quota``…) set on every account. ``clock`` returns an aware
    datetime.
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        accounts: Sequence[SandboxSettings] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> None:
        if settings is not None and accounts:
            raise TypeError("give settings (one account) or accounts (several), not both")
        given = list(accounts) or [settings or SandboxSettings()]
        listed = own_original_ids([with_overrides(each, **overrides) for each in given])
        self.accounts = Accounts(Account(each, clock=clock) for each in listed)
        #: The first account: the one a single-account sandbox is.
        self.account = self.accounts.first
        self.app = create_sandbox_app(self.accounts)
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        """Return the URL to set as wxbot's ``[wechat] api_base_url``."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running")
        return self.account.public_base()

    @property
    def settings(self) -> SandboxSettings:
        """Return the first account's settings (credentials, delays, quotas)."""
        return self.account.settings

    @property
    def state(self) -> SandboxState:
        """Return the records of what the first account received and did."""
        return self.account.state

    @property
    def faults(self) -> Faults:
        """Return the first account's faults (``inject``, ``fail_publish``, ``clear``…)."""
        return self.account.faults

    @property
    def log(self) -> RequestLog:
        """Return the first account's request log."""
        return self.account.log

    def start(self) -> SandboxServer:
        """Bind, then serve and tick in daemon threads; return self."""
        if self._server is not None:
            return self
        server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._server = server
        self.port = server.server_port
        shown_host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        self.accounts.set_base_url(f"http://{shown_host}:{self.port}")
        self._stopping.clear()
        self._threads = [
            threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="wxbot-sandbox-http",
                daemon=True,
            ),
            threading.Thread(target=self._tick_loop, name="wxbot-sandbox-tick", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        logger.info("WeChat API sandbox listening on %s", self.account.public_base())
        return self

    def stop(self) -> None:
        """Stop serving, ticking and delivering events."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        for account in self.accounts.values():
            account.events.stop()
        for thread in self._threads:
            thread.join(timeout=2)
        logger.info("WeChat API sandbox stopped")

    def tick(self) -> None:
        """Complete due publishes and mass sends now (the ticker also does, every 20 ms)."""
        self.accounts.tick()

    def advance(self, seconds: float) -> None:
        """Move every account's time forward (token expiry, dedupe window, quotas, jobs)."""
        for account in self.accounts.values():
            account.advance(seconds)

    def wait_for_events(self, timeout: float = 5.0) -> bool:
        """Wait until queued events are delivered or given up; return whether all finished."""
        deadline = time.monotonic() + timeout
        return all(
            account.events.join(max(0.0, deadline - time.monotonic()))
            for account in self.accounts.values()
        )

    def reset(self) -> None:
        """Forget every account's records, faults and log entries."""
        for account in self.accounts.values():
            account.reset()

    def add_follower(self, openid: str, tags: tuple[int, ...] = ()) -> None:
        """Add a simulated follower to the first account."""
        self.account.add_follower(openid, tags)

    def add_original(self, title: str, url: str, *, can_reprint: bool = True) -> None:
        """Add another account's original: a send of an article so titled is judged a reprint.

        The original library is the platform's, so every account served here consults it.
        """
        for account in self.accounts.values():
            account.add_original(Original(title, url, can_reprint))

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _tick_loop(self) -> None:
        while not self._stopping.wait(TICK_SECONDS):
            for account in self.accounts.values():
                try:
                    account.tick()
                except Exception:  # keep ticking: one bad job must not stop the others
                    logger.exception("sandbox tick failed for %s", account.settings.appid)
