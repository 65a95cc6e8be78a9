"""Console issue pages: overrides, uploads awaiting confirmation, heartbeats, token errors.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``issue_overrides``, ``pending_uploads``, ``worker_heartbeats``; note token errors."""
    op.create_table(
        "issue_overrides",
        sa.Column("issue_id", sa.String(length=10), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("digest", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issue_id"], ["issues.id"]),
        sa.PrimaryKeyConstraint("issue_id"),
    )
    op.create_table(
        "pending_uploads",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("issue_id", sa.String(length=10), nullable=False),
        sa.Column("editor", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_index("ix_pending_uploads_created_at", "pending_uploads", ["created_at"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker", sa.String(length=80), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker"),
    )
    with op.batch_alter_table("wechat_tokens") as batch:
        batch.add_column(sa.Column("fetch_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("fetch_error_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop the three tables and the token's fetch error."""
    with op.batch_alter_table("wechat_tokens") as batch:
        batch.drop_column("fetch_error_at")
        batch.drop_column("fetch_error")
    op.drop_table("worker_heartbeats")
    op.drop_index("ix_pending_uploads_created_at", table_name="pending_uploads")
    op.drop_table("pending_uploads")
    op.drop_table("issue_overrides")
