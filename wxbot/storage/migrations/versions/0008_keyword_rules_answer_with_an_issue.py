"""Keyword rules may answer with an issue (its article card); an index for the top searches.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``keyword_rules.issue_id`` and ``ix_follower_messages_searches``."""
    op.add_column("keyword_rules", sa.Column("issue_id", sa.String(length=10), nullable=True))
    op.create_index(
        "ix_follower_messages_searches",
        "follower_messages",
        ["handler", "query", "received_at", "found"],
    )


def downgrade() -> None:
    """Drop the index and ``keyword_rules.issue_id`` (rules answering with an issue go empty)."""
    op.drop_index("ix_follower_messages_searches", table_name="follower_messages")
    with op.batch_alter_table("keyword_rules") as batch:
        batch.drop_column("issue_id")
