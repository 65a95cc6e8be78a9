"""Check a database URL before anything uses it: one clear line instead of a traceback.

An unknown dialect or a missing driver names what to install; an explicitly configured
SQLite file must live in a folder that exists (a typo must not create an empty archive
elsewhere); a PostgreSQL server that does not answer is named with its host and port.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, exc
from sqlalchemy.engine import URL, make_url

from .errors import ConfigError, WxbotError

KEY = "storage.database_url"
#: What a PostgreSQL URL looks like with the driver wxbot installs.
POSTGRES_FORM = "postgresql+psycopg://USER:PASSWORD@HOST:5432/NAME"
POSTGRES_EXTRA = "pip install 'wxbot[postgres]'"
#: Seconds to wait for a PostgreSQL server to accept a connection.
CONNECT_TIMEOUT = 5


class DatabaseUnreachable(WxbotError):
    """The configured database server does not answer; the message says what to check."""


def parse(url: str) -> URL:
    """Return the parsed URL.

    :raises ConfigError: when it is not a database URL.
    """
    try:
        return make_url(url)
    except exc.ArgumentError:
        raise ConfigError(
            f"{KEY}: not a database URL (expected sqlite:///PATH or {POSTGRES_FORM})"
        ) from None


def check_database_url(url: str, own_folder: Path | None = None) -> None:
    """Refuse a configured URL wxbot cannot use, without creating or connecting to anything.

    A SQLite file may lie in a missing ``own_folder`` (wxbot's instance folder, which
    wxbot creates); any other missing folder is refused.

    :raises ConfigError: naming the problem and the fix, in one line.
    """
    parsed = parse(url)
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"{KEY}: wxbot supports sqlite:/// and postgresql+psycopg:// "
            f"({POSTGRES_EXTRA}), not {backend}://"
        )
    try:
        parsed.get_dialect().import_dbapi()
    except exc.NoSuchModuleError:
        raise ConfigError(
            f"{KEY}: unknown driver {parsed.drivername!r}; use {POSTGRES_FORM} "
            f"(driver installed with {POSTGRES_EXTRA})"
        ) from None
    except ImportError as missing:
        raise ConfigError(
            f"{KEY}: the {parsed.drivername} driver is not installed ({missing.name}): "
            f"{POSTGRES_EXTRA}, and write the URL as {POSTGRES_FORM}"
        ) from None
    if backend == "sqlite":
        folder = sqlite_folder(parsed)
        own = own_folder is not None and folder == Path(own_folder).resolve()
        if folder is not None and not folder.is_dir() and not own:
            raise ConfigError(
                f"{KEY}: the folder {folder} of the SQLite file does not exist "
                "(create it, or correct the path; wxbot creates only its own instance folder)"
            )


def sqlite_folder(parsed: URL) -> Path | None:
    """Return the folder of a SQLite URL's file (None in memory)."""
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve().parent


def check_reachable(url: str) -> None:
    """Connect once to a PostgreSQL server, or say which one did not answer and what to check.

    :raises DatabaseUnreachable: with host, port and what to check, in one line.
    """
    parsed = parse(url)
    if parsed.get_backend_name() != "postgresql":
        return
    engine = create_engine(parsed, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    try:
        with engine.connect():
            pass
    except exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        where = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
        raise DatabaseUnreachable(
            f"cannot connect to PostgreSQL at {where} ({reason.strip()}): check that the "
            f"server runs and accepts connections from here, and the user, password and "
            f"database name in {KEY}"
        ) from None
    finally:
        engine.dispose()
