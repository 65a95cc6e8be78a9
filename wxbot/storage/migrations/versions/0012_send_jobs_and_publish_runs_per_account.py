"""Scheduled sends and publishing runs belong to an account (its name; existing rows: default).

A publish_id is WeChat's number within one account: publish jobs are keyed by account and id.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account() -> sa.Column:
    return sa.Column("account", sa.String(length=32), server_default="default", nullable=False)


def upgrade() -> None:
    """Add ``send_jobs.account`` and ``publish_runs.account``; key publish jobs by account."""
    op.add_column("send_jobs", _account())
    op.add_column("publish_runs", _account())
    _publish_jobs_key(["account", "publish_id"])


def _publish_jobs_key(columns: list[str]) -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_constraint("publish_jobs_pkey", "publish_jobs", type_="primary")
        op.create_primary_key("publish_jobs_pkey", "publish_jobs", columns)
        return
    # SQLite cannot change a primary key: the table is made again with the new one, rows kept.
    with op.batch_alter_table("publish_jobs", recreate="always", copy_from=_publish_jobs(columns)):
        pass
    op.create_index("ix_publish_jobs_issue_id", "publish_jobs", ["issue_id"])


def _publish_jobs(key: list[str]) -> sa.Table:
    """Return ``publish_jobs`` as 0001 made it, with the primary key ``key``."""
    return sa.Table(
        "publish_jobs",
        sa.MetaData(),
        sa.Column("publish_id", sa.String(64), primary_key="publish_id" in key),
        sa.Column("account", sa.String(200), primary_key="account" in key, nullable=False),
        sa.Column("issue_id", sa.String(10), nullable=False),
        sa.Column("draft_media_id", sa.Text, nullable=False),
        sa.Column("draft_version", sa.Integer, nullable=False),
        sa.Column("status", sa.Integer, nullable=True),
        sa.Column("article_id", sa.Text, nullable=False),
        sa.Column("article_url", sa.Text, nullable=False),
        sa.Column("fail_idx", sa.Text, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop both columns (every job and run then counts as the default account's)."""
    _publish_jobs_key(["publish_id"])
    op.drop_column("publish_runs", "account")  # SQLite 3.35+ drops a column in place
    op.drop_column("send_jobs", "account")
