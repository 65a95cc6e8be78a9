"""Schema migrations (Alembic): bring the database up to date at start, once, under a lock.

The revisions live in ``versions/`` and ship in the package; ``env.py`` runs them on the
connection handed over in ``Config.attributes["connection"]``, so no ``alembic.ini`` is read.
A database made by ``create_all`` before migrations existed (tables, no ``alembic_version``)
is checked against the first revision's tables and stamped at it, then upgraded.

Alembic is imported only when something is to be done: a database already at :data:`HEAD`
costs one query at start.
"""

from __future__ import annotations

import logging
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, text

from ...errors import WxbotError
from .. import search_index
from ..schema import UtcDateTime, metadata

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from ..db import Database

log = logging.getLogger(__name__)

#: The newest revision (a test checks it against ``versions/``): update it with each revision.
HEAD = "0013"

#: The revision whose schema is the one ``create_all`` made before migrations existed.
BASELINE = "0001"

#: SQLite FTS5 tables (and their shadow tables), made by raw DDL rather than the metadata.
FTS_TABLES = ("search_fts", "search_issue_fts")

#: Key of the PostgreSQL advisory lock held while the schema is upgraded.
_LOCK = zlib.crc32(b"wxbot.migrations") & 0x7FFFFFFF

_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key, hashtext(coalesce(current_schema(), '')))")

#: Where the revisions and Alembic's environment live (inside the package, so wheels carry them).
SCRIPTS = Path(__file__).parent


class SchemaError(WxbotError):
    """The database's schema cannot be brought up to date; the message says why."""


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade found and left: revisions before and after."""

    before: str | None  # None: no alembic_version table (empty, or made before migrations)
    after: str
    stamped: bool = False  # a schema from before migrations was recognised as BASELINE

    def describe(self) -> str:
        """Say what happened, in one line."""
        if self.stamped:
            return (
                f"recognised a schema from before migrations as {BASELINE}; "
                f"upgraded to {self.after}"
            )
        if self.before == self.after:
            return f"already at {self.after} (head)"
        return f"upgraded from {self.before or 'an empty database'} to {self.after}"


@dataclass(frozen=True)
class Revision:
    """One revision of the schema."""

    id: str
    down: str | None
    message: str


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database stands against the revisions wxbot ships."""

    revision: str | None
    before_migrations: bool  # wxbot tables without alembic_version
    known: bool = True  # False: a revision this wxbot does not ship

    def describe(self) -> str:
        """Say where the database stands, and what to run if it is behind."""
        if self.revision == HEAD:
            return f"{HEAD} (head)"
        if not self.known:
            return f"{self.revision}, unknown to this wxbot (head {HEAD}): made by a newer wxbot"
        if self.before_migrations:
            return "no revision: tables from before migrations (`wxbot db upgrade` stamps them)"
        if self.revision is None:
            return "no revision: empty database (`wxbot db upgrade` creates the schema)"
        return f"{self.revision}, behind head {HEAD} (run `wxbot db upgrade`)"


def upgrade(db: Database) -> Upgrade:
    """Bring the schema to :data:`HEAD`; two processes starting together upgrade it once."""
    with db.engine.connect() as conn:
        before = stored_revision(conn)
    if before == HEAD:
        return Upgrade(HEAD, HEAD)
    with _locked(db) as conn:
        before = stored_revision(conn)  # another process may have upgraded meanwhile
        if before == HEAD:
            return Upgrade(HEAD, HEAD)
        from alembic import command

        config = alembic_config(conn)
        script = _script(config)
        if before is not None and before not in {s.revision for s in script.walk_revisions()}:
            raise SchemaError(
                f"the database is at schema revision {before}, unknown to this wxbot "
                f"(head {HEAD}): it was upgraded by a newer wxbot; upgrade wxbot"
            )
        stamped = before is None and _has_baseline_tables(conn, script)
        if stamped:
            _check_baseline(conn, script)
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        after = stored_revision(conn)
    assert after is not None
    done = Upgrade(before, after, stamped)
    log.info("database schema %s", done.describe())
    return done


def status(db: Database) -> SchemaStatus:
    """Return the database's revision, without changing anything."""
    with db.engine.connect() as conn:
        revision = stored_revision(conn)
        if revision is not None:
            known = revision == HEAD or revision in {r.id for r in history()}
            return SchemaStatus(revision, before_migrations=False, known=known)
        return SchemaStatus(None, before_migrations=_has_baseline_tables(conn, None))


def history() -> list[Revision]:
    """Return every revision wxbot ships, newest first."""
    script = _script(alembic_config())
    return [
        Revision(s.revision, _down(s.down_revision), (s.doc or "").strip())
        for s in script.walk_revisions()
    ]


def make_revision(db: Database, message: str) -> Path:
    """Write a revision autogenerated from the metadata's difference to ``db``; return its path.

    :raises SchemaError: when the database is not at :data:`HEAD` (upgrade it first).
    """
    from alembic import command

    if (revision := status(db).revision) != HEAD:
        raise SchemaError(f"the database is at {revision or 'no revision'}, not {HEAD}: upgrade it")
    with db.engine.connect() as conn:
        script = command.revision(
            alembic_config(conn), message=message, autogenerate=True, rev_id=f"{int(HEAD) + 1:04d}"
        )
    assert script is not None and not isinstance(script, list)
    return Path(script.path)


def stored_revision(conn: Connection) -> str | None:
    """Return the revision recorded in the database, or None when it has none."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return str(value) if value is not None else None


def alembic_config(conn: Connection | None = None) -> Config:
    """Return Alembic's configuration for wxbot's revisions, running on ``conn``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # A new revision comes out in the house style (ruff is a development dependency).
    hooks = {"lint": "check --fix --quiet", "format": "format --quiet"}
    config.set_section_option("post_write_hooks", "hooks", ", ".join(hooks))
    for name, options in hooks.items():
        config.set_section_option("post_write_hooks", f"{name}.type", "module")
        config.set_section_option("post_write_hooks", f"{name}.module", "ruff")
        config.set_section_option(
            "post_write_hooks", f"{name}.options", f"{options} REVISION_SCRIPT_FILENAME"
        )
    config.attributes["connection"] = conn
    return config


def context_options() -> dict[str, Any]:
    """Return the options ``env.py`` configures Alembic's context with."""
    return {
        "target_metadata": metadata,
        # Batch operations rebuild a table on SQLite, which cannot ALTER most things.
        "render_as_batch": True,
        # The whole upgrade runs in the transaction that holds the lock, SQLite included.
        "transactional_ddl": True,
        "compare_type": True,
        "include_name": _include_name,
        "render_item": _render_item,
    }


def differences(db: Database) -> list[Any]:
    """Return how the schema of ``db`` differs from the metadata (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    options = context_options()
    target = options.pop("target_metadata")
    with db.engine.connect() as conn, quiet_autogenerate():
        return list(compare_metadata(MigrationContext.configure(conn, opts=options), target))


@contextmanager
def quiet_autogenerate() -> Iterator[None]:
    """Silence Alembic's notice that SQLite cannot compare PostgreSQL's expression indexes."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "autogenerate skipping metadata-specified expression-based index"
        )
        yield


def _include_name(name: str | None, type_: str, parents: Any) -> bool:
    if type_ == "table" and name is not None:
        return name in metadata.tables or not name.startswith(FTS_TABLES)
    if parents.get("table_name") in search_index.TSVECTOR_INDEXES:  # PostgreSQL's own, by DDL
        if type_ == "column":
            return name != search_index.TSVECTOR_COLUMN
        if type_ == "index":
            return name not in search_index.TSVECTOR_INDEXES.values()
    return True


def _render_item(type_: str, obj: Any, _context: Any) -> str | bool:
    # Revisions spell the column type, so they never depend on wxbot's code.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@contextmanager
def _locked(db: Database) -> Iterator[Connection]:
    """Open the transaction the upgrade runs in, holding the database's migration lock."""
    with db.begin_write() as conn:  # SQLite: BEGIN IMMEDIATE, one writer at a time
        if conn.dialect.name == "postgresql":  # per schema: tests use one schema each
            conn.execute(_PG_LOCK, {"key": _LOCK})
        yield conn


def _script(config: Config) -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(config)


def _baseline_module(script: ScriptDirectory | None) -> Any:
    script = script or _script(alembic_config())
    revision = script.get_revision(BASELINE)
    assert revision is not None
    return revision.module


def _has_baseline_tables(conn: Connection, script: ScriptDirectory | None) -> bool:
    present = set(inspect(conn).get_table_names())
    return bool(present) and bool(present & set(_baseline_module(script).schema.tables))


def _check_baseline(conn: Connection, script: ScriptDirectory) -> None:
    """Refuse a schema from before migrations that lacks a table or column of the baseline."""
    baseline = _baseline_module(script)
    inspector = inspect(conn)
    present = set(inspector.get_table_names())
    missing: list[str] = []
    for name, table in baseline.schema.tables.items():
        if name not in present:
            missing.append(f"table {name}")
            continue
        columns = {c["name"] for c in inspector.get_columns(name)}
        missing += [f"{name}.{c.name}" for c in table.columns if c.name not in columns]
    if conn.dialect.name == "sqlite":
        missing += [f"table {name}" for name in baseline.FTS_TABLES if name not in present]
    if missing:
        raise SchemaError(
            "the database has wxbot tables but no schema revision, and lacks "
            f"{', '.join(missing)}: it is not a schema wxbot made; restore it or use an empty one"
        )


def _down(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)
