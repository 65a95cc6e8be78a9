"""What every command shares: the settings and the runtime, built lazily from ``--config``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click

from .. import config as config_module
from ..config import Settings
from ..config.accounts import DEFAULT_ACCOUNT
from ..errors import ConfigError, WxbotError
from ..runtime import Runtime, build_runtime

#: Keys of ``test_config`` that are not settings: where the instance folder is, the clock.
RUNTIME_OPTIONS = ("instance_path", "clock")


@dataclass
class CliEnv:
    """Hold the command line's options and the runtime built from them.

    ``test_config`` (tests, the demo) overrides settings with section tables or dotted
    keys, and may name the ``instance_path`` and a ``clock``.
    """

    config_path: str | None = None
    test_config: dict[str, Any] | None = None
    #: The account the commands act for (``--account``); ``default`` is ``[wechat]``.
    account: str = DEFAULT_ACCOUNT
    _settings: Settings | None = field(default=None, repr=False)
    _runtime: Runtime | None = field(default=None, repr=False)

    @classmethod
    def over(cls, runtime: Runtime) -> CliEnv:
        """Return an environment whose commands use ``runtime`` (its clock and database)."""
        return cls(_settings=runtime.settings, _runtime=runtime)

    @property
    def settings(self) -> Settings:
        """Return the validated settings, or stop the command with one line naming the key."""
        if self._settings is None:
            overrides = {
                k: v for k, v in (self.test_config or {}).items() if k not in RUNTIME_OPTIONS
            }
            try:
                self._settings = config_module.load(self.config_path, overrides=overrides)
            except ConfigError as exc:
                raise click.ClickException(f"invalid configuration: {exc}") from None
        return self._settings

    @property
    def runtime(self) -> Runtime:
        """Return the runtime of ``--account`` (settings, database, clock), opened on first use."""
        if self._runtime is None:
            self._runtime = self.new_runtime()
        if self.account == self._runtime.account:
            return self._runtime
        try:
            return self._runtime.for_account(self.account)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    def new_runtime(self) -> Runtime:
        """Return another runtime from the same settings (a server worker's, after the fork)."""
        options = self.test_config or {}
        try:
            return build_runtime(
                self.settings,
                instance_path=options.get("instance_path"),
                clock=options.get("clock"),
            )
        except ConfigError as exc:
            raise click.ClickException(f"invalid configuration: {exc}") from None
        except WxbotError as exc:  # an unreachable server, a schema that cannot be upgraded
            raise click.ClickException(str(exc)) from None

    def close(self) -> None:
        """Close the database connections of the runtime, if one was made."""
        if self._runtime is not None:
            self._runtime.close()


pass_env = click.make_pass_decorator(CliEnv)
