"""The composition root: what every entry point shares (settings, database, clock).

The CLI, the worker, the demo and the web app all start from :func:`build_runtime`;
``wxbot.app.create_app(runtime)`` only adds the web parts. Building a runtime starts no
thread; a process that forks afterwards (``wxbot serve``, ``wxbot demo``) closes its pooled
connections first with :meth:`Runtime.close`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from . import config as config_module
from .config import Settings
from .config.accounts import DEFAULT_ACCOUNT
from .database_urls import check_database_url, check_reachable, parse, sqlite_folder
from .storage import Database

if TYPE_CHECKING:
    from flask import Flask

Clock = Callable[[], dt.datetime]

#: Key of the runtime in a Flask app's ``extensions``.
EXTENSION = "wxbot"


def system_clock() -> dt.datetime:
    """Return the current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Runtime:
    """Hold the validated settings, the database and the clock of one process."""

    settings: Settings
    db: Database
    instance_path: Path
    clock: Clock = field(default=system_clock)
    #: How a command waits out a delay WeChat imposes (tests pass the sandbox's clock).
    sleep: Callable[[float], None] = field(default=time.sleep)
    #: The official account this runtime acts for; ``settings`` are as that account sees them.
    account: str = DEFAULT_ACCOUNT
    #: The settings of every account (``settings`` is one account's view of them).
    all_settings: Settings | None = None

    def for_account(self, name: str) -> Runtime:
        """Return this runtime acting for account ``name`` (same database, clock and sleep).

        :raises ConfigError: when no account has that name.
        """
        every = self.all_settings or self.settings
        return replace(self, settings=every.for_account(name), account=name, all_settings=every)

    def accounts(self) -> list[Runtime]:
        """Return a runtime for every configured account, ``default`` first."""
        every = self.all_settings or self.settings
        return [self.for_account(name) for name in every.account_names()]

    @property
    def tz(self) -> ZoneInfo:
        """Return the publishing timezone."""
        return self.settings.publish.tz

    def now(self) -> dt.datetime:
        """Return the clock's current time in UTC."""
        return self.clock()

    def public_base_url(self) -> str:
        """Return the base URL followers reach this service at, without a trailing slash."""
        return self.settings.server.base_url

    def close(self) -> None:
        """Close every pooled database connection (before a fork, at exit, after a test)."""
        self.db.dispose()


def default_instance_path() -> Path:
    """Return wxbot's own folder for its default database: Flask's instance folder for ``wxbot``.

    ``<checkout>/instance`` when run from a checkout, ``<prefix>/var/wxbot-instance`` when
    installed — found without importing Flask, the same folder ``Flask("wxbot")`` names.
    """
    package_root = Path(__file__).resolve().parent.parent
    prefix = Path(os.path.abspath(sys.prefix))
    if package_root.is_relative_to(prefix):
        return prefix / "var" / "wxbot-instance"
    if package_root.name.lower() == "site-packages":  # a virtualenv outside sys.prefix
        lib = package_root.parent
        base = lib.parent if lib.name.lower() == "lib" else lib.parent.parent
        return base / "var" / "wxbot-instance"
    return package_root / "instance"


def database_url(settings: Settings, instance_path: Path) -> str:
    """Return the configured database URL, defaulting to SQLite in the instance folder."""
    url = settings.storage.database_url.get_secret_value()
    return url or f"sqlite:///{instance_path / 'wxbot.sqlite3'}"


def open_database(settings: Settings, instance: Path) -> Database:
    """Open the database the settings name as it is, without touching its schema.

    Only wxbot's own default location (the instance folder) is created; a configured
    database URL is checked first (:mod:`wxbot.database_urls`).

    :raises ConfigError: when the database URL is unusable.
    :raises DatabaseUnreachable: when its server does not answer.
    """
    url = database_url(settings, instance)
    if settings.storage.database_url.get_secret_value():
        check_database_url(url, own_folder=instance)
    check_reachable(url)
    if sqlite_folder(parse(url)) == instance.resolve():
        instance.mkdir(parents=True, exist_ok=True)
    return Database(url)


def build_runtime(
    settings: Settings, *, instance_path: Path | None = None, clock: Clock | None = None
) -> Runtime:
    """Open the database the settings name (schema brought up to date) and return the runtime.

    :raises ConfigError: when the database URL is unusable.
    :raises DatabaseUnreachable: when its server does not answer.
    :raises SchemaError: when the schema cannot be brought up to date.
    """
    instance = Path(instance_path) if instance_path else default_instance_path()
    db = open_database(settings, instance)
    try:
        db.migrate()
    except BaseException:
        db.dispose()
        raise
    return Runtime(settings=settings, db=db, instance_path=instance, clock=clock or system_clock)


def load_runtime(
    config_path: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    instance_path: Path | None = None,
    clock: Clock | None = None,
) -> Runtime:
    """Load the settings (defaults → TOML → environment → overrides) and build the runtime."""
    settings = config_module.load(config_path, overrides=overrides)
    return build_runtime(settings, instance_path=instance_path, clock=clock)


def get_runtime(app: Flask) -> Runtime:
    """Return the runtime of an app made by ``wxbot.app.create_app``."""
    runtime: Runtime = app.extensions[EXTENSION]
    return runtime
