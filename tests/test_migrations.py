"""Schema migrations: deployed databases upgrade with their rows, once, on both engines.

The schema before migrations is frozen in ``tests/data/schema-before-migrations.*.sql``: the
statements main's ``create_all`` emitted (captured at 807a9ec), one file per engine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

import wxbot
from wxbot.archive import get_issue, ingest_paths
from wxbot.issue_states import dashboard
from wxbot.parsing import parse_file
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime
from wxbot.storage import Database, metadata, migrations, wechat_tokens

DATA = Path(__file__).parent / "data"
SHANGHAI = ZoneInfo("Asia/Shanghai")

#: When the rows below were written (UTC): what must come back, aware, after the upgrade.
WRITTEN = dt.datetime(2026, 6, 29, 22, 30, 15, 123456, tzinfo=dt.UTC)
SEND_AT = dt.datetime(2026, 6, 30, 0, 0, tzinfo=dt.UTC)

#: An issue of the archive, as ingested by the release before migrations.
SAMPLE = sample_issues()[0]
ISSUE = parse_file(SAMPLE)

#: Rows as the release before migrations wrote them (``DateTime(timezone=True)`` columns, ids
#: from the database's own sequences).
LEGACY_ROWS: list[tuple[str, dict[str, Any]]] = [
    (
        "issues",
        {
            "id": ISSUE.id, "date": ISSUE.date.isoformat(), "series_title": ISSUE.series_title,
            "summary": ISSUE.summary, "source_sha256": ISSUE.source.sha256, "revision": 1,
            "data": json.dumps(ISSUE.to_dict(with_source=False), ensure_ascii=False),
            "created_at": WRITTEN, "updated_at": WRITTEN,
        },
    ),
    (
        "issue_revisions",
        {
            "issue_id": ISSUE.id, "revision": 1, "source_name": ISSUE.source.name,
            "source_format": ISSUE.source.format, "source_text": ISSUE.source.text,
            "source_sha256": ISSUE.source.sha256, "created_at": WRITTEN,
        },
    ),
    (
        "send_jobs",
        {
            "issue_id": ISSUE.id, "tag_id": None, "send_at": SEND_AT,
            "state": "scheduled", "clientmsgid": "wxbot-1", "active_key": f"{ISSUE.id}|all",
            "created_at": WRITTEN, "updated_at": WRITTEN, "attempts": 0, "duplicate": False,
        },
    ),
    (
        "send_jobs",  # claimed by a worker when the release was stopped: "sending" then
        {
            "issue_id": ISSUE.id, "tag_id": 100, "send_at": SEND_AT,
            "state": "sending", "clientmsgid": "wxbot-2", "active_key": f"{ISSUE.id}|tag:100",
            "created_at": WRITTEN, "updated_at": WRITTEN, "attempts": 1, "duplicate": False,
        },
    ),
    (
        "send_job_log",
        {"job_id": 1, "at": WRITTEN, "event": "scheduled", "detail": "", "worker": ""},
    ),
    (
        "mass_sends",
        {
            "account": "wx1@api", "issue_id": ISSUE.id, "clientmsgid": "wxbot-0",
            "audience": "all", "draft_media_id": "m1", "draft_version": 1, "status": "success",
            "msg_id": "1000", "msg_data_id": "", "article_url": "", "error": "",
            "created_at": WRITTEN, "updated_at": WRITTEN, "finished_at": SEND_AT,
        },
    ),
    (
        "wechat_tokens",
        {"account": "wx1@api", "access_token": "TOKEN", "expires_at": SEND_AT},
    ),
    (
        "follower_messages",
        {
            "dedupe_key": "m1", "openid": "o1", "msg_type": "text", "query": "达沃斯",
            "handler": "search", "answer": "news", "found": True, "results": "[]",
            "reply": "<xml/>", "received_at": WRITTEN,
        },
    ),
    (
        "keyword_rules",
        {"keyword": "帮助", "match": "exact", "reply": "回复日期", "created_at": WRITTEN},
    ),
]  # fmt: skip


@pytest.fixture
def make_url(tmp_path: Path) -> Iterator[Callable[[], str]]:
    """Return a function making another empty database on the engine under test."""
    server = os.environ.get("WXBOT_TEST_POSTGRES_URL")
    schemas: list[str] = []

    def make() -> str:
        if not server:
            return f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite3'}"
        schemas.append(f"t_{uuid.uuid4().hex[:12]}")
        with _engine(server) as engine, engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schemas[-1]}"))
        separator = "&" if "?" in server else "?"
        return f"{server}{separator}options=-csearch_path%3D{schemas[-1]}"

    yield make
    if schemas:
        with _engine(str(server)) as engine, engine.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))


class _engine:
    """Open an engine for a block, disposed after it."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url)

    def __enter__(self) -> sa.Engine:
        return self.engine

    def __exit__(self, *_exc: object) -> None:
        self.engine.dispose()


def create_before_migrations(url: str, skip: str = "") -> None:
    """Create the schema main's create_all made (without table ``skip``), as deployed today."""
    dialect = sa.make_url(url).get_backend_name()
    ddl = (DATA / f"schema-before-migrations.{dialect}.sql").read_text(encoding="utf-8")
    ddl = "\n".join(line for line in ddl.splitlines() if not line.startswith("--"))
    statements = [s for s in ddl.split(";\n\n") if s.strip()]
    with _engine(url) as engine, engine.begin() as conn:
        for statement in statements:
            if not skip or f" {skip} " not in statement.replace("(", " "):
                conn.exec_driver_sql(statement)


def create_at_baseline(url: str) -> None:
    """Create the schema of the first revision only, with Alembic."""
    db = Database(url)
    with db.begin_write() as conn:
        command.upgrade(migrations.alembic_config(conn), migrations.BASELINE)


def insert_legacy_rows(url: str) -> None:
    """Write LEGACY_ROWS the way the release before migrations did."""
    with _engine(url) as engine, engine.begin() as conn:
        for table, row in LEGACY_ROWS:
            columns = ", ".join(row)
            statement = sa.text(
                f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"
            ).bindparams(
                *(
                    sa.bindparam(c, type_=sa.DateTime(timezone=True))
                    for c, v in row.items()
                    if isinstance(v, dt.datetime)
                )
            )
            conn.execute(statement, row)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Return LEGACY_ROWS' columns of their tables as the database holds them, in key order."""
    columns: dict[str, list[str]] = {}
    for table, row in LEGACY_ROWS:
        columns.setdefault(table, list(row))
    with _engine(url) as engine, engine.connect() as conn:
        return {
            table: [
                tuple(r)
                for r in conn.execute(sa.text(f"SELECT {', '.join(names)} FROM {table} ORDER BY 1"))
            ]
            for table, names in columns.items()
        }


def stored_revision(url: str) -> str | None:
    """Return what alembic_version says, or None."""
    with _engine(url) as engine, engine.connect() as conn:
        return migrations.stored_revision(conn)


def schema_of(url: str) -> dict[str, Any]:
    """Return every table's columns, keys and indexes as reflected (what DDL made, in full)."""
    with _engine(url) as engine, engine.connect() as conn:
        inspector = sa.inspect(conn)
        tables: dict[str, Any] = {}
        for name in sorted(inspector.get_table_names()):
            if name == "alembic_version":
                continue
            tables[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                    for c in inspector.get_columns(name)
                ],
                "pk": inspector.get_pk_constraint(name)["constrained_columns"],
                "fks": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(name)
                ),
                "uniques": sorted(
                    tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
                ),
                "indexes": sorted(
                    (
                        i["name"],
                        tuple(map(str, i["column_names"])),
                        tuple(i.get("expressions") or ()),
                        bool(i["unique"]),
                        sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items()),
                    )
                    for i in inspector.get_indexes(name)
                ),
            }
        if conn.dialect.name == "sqlite":  # the FTS5 tables, as SQLite keeps their DDL
            tables["sqlite_master"] = sorted(
                conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE sql LIKE '%fts5%'"))
            )
        return tables


# --- the first revision, and head against the metadata ---------------------------------------


def test_first_revision_is_the_schema_create_all_made(make_url: Callable[[], str]) -> None:
    before_migrations, baseline = make_url(), make_url()
    create_before_migrations(before_migrations)
    create_at_baseline(baseline)

    expected = schema_of(before_migrations)
    assert "ux_mass_sends_reaching" in str(expected["mass_sends"]["indexes"])
    assert schema_of(baseline) == expected


def test_head_agrees_with_the_tables_declared(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    assert migrations.differences(db) == []
    # Alembic compares no partial index's WHERE: compare the values each one names.
    dialect = db.engine.dialect
    with db.engine.connect() as conn:
        inspector = sa.inspect(conn)
        for index in (i for t in metadata.tables.values() for i in t.indexes):
            where = index.dialect_options[dialect.name]["where"]
            if where is None:
                continue
            declared = where.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
            assert index.table is not None
            reflected = {i["name"]: i for i in inspector.get_indexes(index.table.name)}
            made = reflected[index.name]["dialect_options"][f"{dialect.name}_where"]
            assert _quoted(str(made)) == _quoted(str(declared)) != set(), index.name

    # A column declared without a revision is what this test exists to catch.
    with db.begin() as conn:
        conn.execute(sa.text("ALTER TABLE keyword_rules DROP COLUMN created_at"))
    assert [d[0] for d in migrations.differences(db)] == ["add_column"]


def _quoted(sql: str) -> set[str]:
    return set(re.findall(r"'([^']*)'", sql))


def test_head_is_the_newest_revision() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config())
    assert script.get_heads() == [migrations.HEAD]
    assert [r.id for r in migrations.history()][-1] == migrations.BASELINE


# --- upgrading deployed databases -------------------------------------------------------------


@pytest.mark.parametrize(
    ("made_by", "create", "stamped"),
    [
        ("create_all before migrations", create_before_migrations, True),
        ("the first revision", create_at_baseline, False),
    ],
)
def test_database_upgrades_to_head_with_its_rows(
    app_config: dict[str, Any],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    database_url: str,
    made_by: str,
    create: Callable[[str], None],
    stamped: bool,
) -> None:
    create(database_url)
    insert_legacy_rows(database_url)
    rows = snapshot(database_url)

    done = Database(database_url).migrate()

    assert (done.after, done.stamped) == (migrations.HEAD, stamped), made_by
    assert stored_revision(database_url) == migrations.HEAD
    # The one change of meaning on the way (0003): a claimed job's word is "claimed".
    renamed = [tuple("claimed" if v == "sending" else v for v in r) for r in rows["send_jobs"]]
    assert snapshot(database_url) == rows | {"send_jobs": renamed}
    runtime = runtime_factory(app_config)  # starting again finds nothing to do
    assert migrations.differences(runtime.db) == []
    with runtime.db.begin() as conn:
        token = wechat_tokens.load_token(conn, "wx1@api")
        times = conn.execute(
            sa.select(metadata.tables["send_jobs"].c["send_at", "created_at"])
            .order_by("id")
            .limit(1)
        ).one()
    assert token is not None and token.expires_at == SEND_AT
    assert token.expires_at.tzinfo == dt.UTC
    assert tuple(times) == (SEND_AT, WRITTEN)
    assert get_issue(runtime, ISSUE.id) == ISSUE
    # The archive still knows the file it holds, and takes new ones (search index included).
    results = {r.path: r.status for r in ingest_paths(runtime, sample_issues())}
    assert results == {p: "unchanged" if p == SAMPLE else "added" for p in sample_issues()}
    assert dashboard(runtime).total == len(sample_issues())  # counted from the rows it found
    runtime.db.dispose()


def test_tables_from_before_migrations_lacking_one_are_refused(database_url: str) -> None:
    create_before_migrations(database_url, skip="keyword_rules")
    with pytest.raises(migrations.SchemaError, match="lacks table keyword_rules"):
        Database(database_url).migrate()
    assert stored_revision(database_url) is None


def test_database_upgraded_by_a_newer_wxbot_is_refused(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    with db.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(migrations.SchemaError, match="revision 9999, unknown .* newer wxbot"):
        db.migrate()
    assert migrations.status(db).describe() == (
        f"9999, unknown to this wxbot (head {migrations.HEAD}): made by a newer wxbot"
    )


#: Run ``wxbot db upgrade`` once every process has loaded wxbot: they all start at one moment.
TOGETHER = """
import sys, time
from pathlib import Path
from wxbot.cli import cli
folder, count = Path(sys.argv[1]), int(sys.argv[2])
(folder / f"ready-{sys.argv[3]}").touch()
while len(list(folder.glob("ready-*"))) < count:
    time.sleep(0.001)
cli(["db", "upgrade"])
"""


def test_two_processes_starting_together_upgrade_once(tmp_path: Path, database_url: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WXBOT_")}
    env["WXBOT_STORAGE__DATABASE_URL"] = database_url
    env["PYTHONPATH"] = str(Path(wxbot.__file__).parent.parent)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TOGETHER, str(tmp_path), "2", str(n)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for n in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    said = sorted(o.split(": ", 1)[1].strip() for o in outputs)
    assert said == [
        f"already at {migrations.HEAD} (head)",
        f"upgraded from an empty database to {migrations.HEAD}",
    ], outputs
    db = Database(database_url)
    with db.begin() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(migrations.HEAD,)]
    assert migrations.differences(db) == []


# --- wxbot db … -------------------------------------------------------------------------------


def test_db_commands_say_where_the_schema_stands(run_cli: Callable[..., Any]) -> None:
    head = migrations.HEAD
    steps = [
        (("db", "current"), "no revision: empty database (`wxbot db upgrade` creates the schema)"),
        (("db", "upgrade"), f"upgraded from an empty database to {head}"),
        (("db", "upgrade"), f"already at {head} (head)"),
        (("db", "current"), f"{head} (head)"),
    ]
    for args, said in steps:
        result = run_cli(*args)
        assert result.exit_code == 0, result.output
        assert result.output.split(": ", 1)[1] == said + "\n", args

    history = run_cli("db", "history")
    assert history.exit_code == 0, history.output
    lines = history.output.splitlines()
    assert len(lines) == int(head), history.output  # one line a revision, newest first
    assert lines[0].startswith(f"{int(head) - 1:04d} -> {head} (head, current): ")
    assert lines[-2].startswith("0001 -> 0002: PostgreSQL full-text indexes")
    assert lines[-1].startswith("<base> -> 0001: The schema before migrations")


def test_db_current_names_tables_from_before_migrations(
    run_cli: Callable[..., Any], database_url: str
) -> None:
    create_before_migrations(database_url)
    result = run_cli("db", "current")
    assert result.exit_code == 0, result.output
    assert "no revision: tables from before migrations" in result.output
    assert stored_revision(database_url) is None


def test_db_revision_writes_what_the_tables_declare_and_the_database_lacks(
    run_cli: Callable[..., Any],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scripts = tmp_path / "migrations"
    shutil.copytree(migrations.SCRIPTS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrations, "SCRIPTS", scripts)
    assert run_cli("db", "upgrade").exit_code == 0
    # As if keyword_rules.created_at had just been declared: the database lacks it.
    with _engine(database_url) as engine, engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE keyword_rules DROP COLUMN created_at"))

    result = run_cli("db", "revision", "add keyword_rules.created_at")

    assert result.exit_code == 0, result.output
    after = f"{int(migrations.HEAD) + 1:04d}"
    written = scripts / "versions" / f"{after}_add_keyword_rules_created_at.py"
    assert f"wrote {written}: review it, then set HEAD = '{after}'" in result.output
    source = written.read_text(encoding="utf-8")
    assert 'with op.batch_alter_table("keyword_rules", schema=None) as batch_op:' in source
    assert 'sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)' in source
    for check in (["check"], ["format", "--check"]):  # in the house style already
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *check, str(written)], capture_output=True
        )
        assert ruff.returncode == 0, ruff.stdout
    before = migrations.HEAD
    monkeypatch.setattr(migrations, "HEAD", after)
    upgraded = run_cli("db", "upgrade")
    assert upgraded.output.endswith(f"upgraded from {before} to {after}\n"), upgraded.output
    assert migrations.differences(Database(database_url)) == []


# --- one UTC datetime column type -------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        dt.datetime(2026, 6, 30, 8, 0, tzinfo=SHANGHAI),
        dt.datetime(2026, 6, 30, 0, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 6, 29, 20, 0, tzinfo=dt.timezone(dt.timedelta(hours=-4))),
    ],
)
def test_times_come_back_aware_in_utc(database_url: str, given: dt.datetime) -> None:
    db = Database(database_url)
    db.migrate()
    with db.begin() as conn:
        wechat_tokens.claim_lease(conn, "wx1@api", "me", WRITTEN, WRITTEN)
        wechat_tokens.store_token(conn, "wx1@api", "me", "TOKEN", given, WRITTEN)
        token = wechat_tokens.load_token(conn, "wx1@api")
    assert token is not None and token.expires_at is not None
    assert (token.expires_at, token.expires_at.tzinfo) == (SEND_AT, dt.UTC)


def test_a_time_without_zone_is_refused(database_url: str) -> None:
    db = Database(database_url)
    db.migrate()
    with pytest.raises(sa.exc.StatementError, match="naive datetime 2026-06-30T08:00:00"):
        with db.begin() as conn:
            wechat_tokens.claim_lease(conn, "wx1@api", "me", WRITTEN, dt.datetime(2026, 6, 30, 8))
