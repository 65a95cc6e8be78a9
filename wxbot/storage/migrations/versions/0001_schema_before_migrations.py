"""The schema before migrations: what create_all made up to wxbot 0.1.0.

A frozen copy of the tables as they were declared then, created with ``create_all`` so the
DDL is exactly the one deployed databases have (a database without ``alembic_version`` is
checked against ``schema`` and stamped here). Never edit this file: add a revision.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

schema = sa.MetaData()


def _at(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


sa.Table(
    "issues",
    schema,
    sa.Column("id", sa.String(10), primary_key=True),
    sa.Column("date", sa.String(10), nullable=False, index=True),
    sa.Column("series_title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("revision", sa.Integer, nullable=False),
    _at("created_at", False),
    _at("updated_at", False),
)

sa.Table(
    "issue_revisions",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("issue_id", sa.String(10), sa.ForeignKey("issues.id"), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("source_format", sa.String(16), nullable=False),
    sa.Column("source_text", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    _at("created_at", False),
    sa.Index("ix_issue_revisions_issue", "issue_id", "revision", unique=True),
)

sa.Table(
    "issue_links",
    schema,
    sa.Column("issue_id", sa.String(10), primary_key=True),
    sa.Column("article_url", sa.Text, nullable=False),
    sa.Column("source", sa.String(40), nullable=False),
    _at("updated_at", False),
)

sa.Table(
    "wechat_tokens",
    schema,
    sa.Column("account", sa.String(200), primary_key=True),
    sa.Column("access_token", sa.Text, nullable=False),
    _at("expires_at", True),
    _at("fetched_at", True),
    sa.Column("lease_owner", sa.String(64), nullable=True),
    _at("lease_until", True),
)

sa.Table(
    "wechat_media",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("media_id", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    _at("created_at", False),
    sa.Index("ux_wechat_media_content", "account", "kind", "sha256", unique=True),
)

sa.Table(
    "wechat_drafts",
    schema,
    sa.Column("account", sa.String(200), primary_key=True),
    sa.Column("issue_id", sa.String(10), sa.ForeignKey("issues.id"), primary_key=True),
    sa.Column("media_id", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("content_sha256", sa.String(64), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    _at("created_at", False),
    _at("updated_at", False),
)

sa.Table(
    "publish_jobs",
    schema,
    sa.Column("publish_id", sa.String(64), primary_key=True),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("issue_id", sa.String(10), nullable=False, index=True),
    sa.Column("draft_media_id", sa.Text, nullable=False),
    sa.Column("draft_version", sa.Integer, nullable=False),
    sa.Column("status", sa.Integer, nullable=True),
    sa.Column("article_id", sa.Text, nullable=False),
    sa.Column("article_url", sa.Text, nullable=False),
    sa.Column("fail_idx", sa.Text, nullable=False),
    _at("submitted_at", False),
    _at("finished_at", True),
)

mass_sends = sa.Table(
    "mass_sends",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("issue_id", sa.String(10), nullable=False, index=True),
    sa.Column("clientmsgid", sa.String(64), nullable=False),
    sa.Column("audience", sa.String(32), nullable=False),
    sa.Column("tag_id", sa.Integer, nullable=True),
    sa.Column("draft_media_id", sa.Text, nullable=False),
    sa.Column("draft_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("msg_id", sa.String(32), nullable=False),
    sa.Column("msg_data_id", sa.String(32), nullable=False),
    sa.Column("total_count", sa.Integer, nullable=True),
    sa.Column("filter_count", sa.Integer, nullable=True),
    sa.Column("sent_count", sa.Integer, nullable=True),
    sa.Column("error_count", sa.Integer, nullable=True),
    sa.Column("article_url", sa.Text, nullable=False),
    sa.Column("errcode", sa.Integer, nullable=True),
    sa.Column("error", sa.Text, nullable=False),
    _at("created_at", False),
    _at("updated_at", False),
    _at("finished_at", True),
    sa.Index("ux_mass_sends_clientmsgid", "account", "clientmsgid", unique=True),
    sa.Index("ix_mass_sends_msg_id", "msg_id"),
)

# At most one send per issue and audience that reached, or may have reached, its followers.
_REACHING = mass_sends.c.status.in_(["sending", "unconfirmed", "accepted", "success"])
sa.Index(
    "ux_mass_sends_reaching",
    mass_sends.c.account,
    mass_sends.c.issue_id,
    mass_sends.c.audience,
    unique=True,
    sqlite_where=_REACHING,
    postgresql_where=_REACHING,
)

sa.Table(
    "wechat_previews",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("account", sa.String(200), nullable=False),
    sa.Column("issue_id", sa.String(10), nullable=False),
    sa.Column("draft_media_id", sa.Text, nullable=False),
    sa.Column("draft_version", sa.Integer, nullable=False),
    sa.Column("recipient", sa.String(128), nullable=False),
    sa.Column("msg_id", sa.String(32), nullable=False),
    _at("sent_at", False),
)

sa.Table(
    "publish_runs",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("issue_id", sa.String(10), nullable=False, index=True),
    sa.Column("mode", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    _at("started_at", False),
    _at("finished_at", True),
)

sa.Table(
    "publish_steps",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("publish_runs.id"), nullable=False, index=True),
    sa.Column("step", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("errcode", sa.Integer, nullable=True),
    _at("at", False),
)

sa.Table(
    "send_jobs",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("issue_id", sa.String(10), sa.ForeignKey("issues.id"), nullable=False, index=True),
    sa.Column("tag_id", sa.Integer, nullable=True),
    _at("send_at", False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("clientmsgid", sa.String(64), nullable=False, unique=True),
    sa.Column("active_key", sa.String(40), nullable=True, unique=True),
    _at("created_at", False),
    _at("updated_at", False),
    _at("prepared_at", True),
    sa.Column("prepared_revision", sa.Integer, nullable=True),
    sa.Column("prepare_error", sa.Text, nullable=True),
    _at("prepare_after", True),
    sa.Column("claimed_by", sa.String(80), nullable=True),
    _at("lease_until", True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("msg_id", sa.String(32), nullable=True),
    sa.Column("duplicate", sa.Boolean, nullable=False),
    _at("submitted_at", True),
    _at("check_after", True),
    _at("finished_at", True),
    sa.Column("total_count", sa.Integer, nullable=True),
    sa.Column("filter_count", sa.Integer, nullable=True),
    sa.Column("sent_count", sa.Integer, nullable=True),
    sa.Column("error_count", sa.Integer, nullable=True),
    sa.Column("article_url", sa.Text, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Index("ix_send_jobs_state_send_at", "state", "send_at"),
)

sa.Table(
    "send_job_log",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.Integer, sa.ForeignKey("send_jobs.id"), nullable=False, index=True),
    _at("at", False),
    sa.Column("event", sa.String(24), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("worker", sa.String(80), nullable=False),
)

_ROW_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")  # INTEGER PRIMARY KEY: the rowid

sa.Table(
    "search_docs",
    schema,
    sa.Column("id", _ROW_ID, primary_key=True, autoincrement=False),
    sa.Column("issue_id", sa.String(10), nullable=False, index=True),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("heading", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("tokens", sa.Text, nullable=False),
)

sa.Table(
    "search_issues",
    schema,
    sa.Column("id", _ROW_ID, primary_key=True, autoincrement=False),
    sa.Column("issue_id", sa.String(10), nullable=False, unique=True),
    sa.Column("tokens", sa.Text, nullable=False),
)

sa.Table(
    "search_state",
    schema,
    sa.Column("name", sa.String(20), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

sa.Table(
    "follower_messages",
    schema,
    sa.Column("dedupe_key", sa.String(160), primary_key=True),
    sa.Column("openid", sa.String(64), nullable=False),
    sa.Column("msg_type", sa.String(32), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("handler", sa.String(32), nullable=False),
    sa.Column("answer", sa.String(16), nullable=False),
    sa.Column("found", sa.Boolean, nullable=False),
    sa.Column("results", sa.Text, nullable=False),
    sa.Column("reply", sa.Text, nullable=True),
    _at("received_at", False),
    sa.Index("ix_follower_messages_openid", "openid", "received_at"),
    sa.Index("ix_follower_messages_received", "received_at"),
)

sa.Table(
    "keyword_rules",
    schema,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("keyword", sa.Text, nullable=False),
    sa.Column("match", sa.String(8), nullable=False),
    sa.Column("reply", sa.Text, nullable=False),
    _at("created_at", False),
)

#: SQLite's full-text indexes over search_docs and search_issues (PostgreSQL has none yet).
FTS_TABLES = {"search_fts": "search_docs", "search_issue_fts": "search_issues"}


def upgrade() -> None:
    """Create the tables, their indexes and, on SQLite, the FTS5 indexes."""
    bind = op.get_bind()
    schema.create_all(bind)
    if bind.dialect.name == "sqlite":
        for fts, table in FTS_TABLES.items():
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5("
                f"tokens, content='{table}', content_rowid='id', tokenize='ascii')"
            )


def downgrade() -> None:
    """Drop everything."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for fts in FTS_TABLES:
            op.execute(f"DROP TABLE {fts}")
    schema.drop_all(bind)
