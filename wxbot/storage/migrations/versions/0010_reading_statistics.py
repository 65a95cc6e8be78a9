"""Reading statistics from the data cube: per-article days and totals, followers, days collected.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ_COLUMNS = (
    "int_page_read_user",
    "int_page_read_count",
    "ori_page_read_user",
    "ori_page_read_count",
    "share_user",
    "share_count",
    "add_to_fav_user",
    "add_to_fav_count",
)


def _reads() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in READ_COLUMNS]


def upgrade() -> None:
    """Create ``article_reads``, ``article_totals``, ``follower_days`` and ``stats_collected``."""
    op.create_table(
        "article_reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("msgid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        *_reads(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_article_reads_day", "article_reads", ["account", "ref_date", "msgid"], unique=True
    )
    op.create_table(
        "article_totals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("stat_date", sa.String(length=10), nullable=False),
        sa.Column("msgid", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("target_user", sa.Integer(), nullable=False),
        sa.Column("session_read_user", sa.Integer(), nullable=False),
        *_reads(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ux_article_totals_day", "article_totals", ["account", "msgid", "stat_date"], unique=True
    )
    op.create_index("ix_article_totals_sent", "article_totals", ["account", "ref_date"])
    op.create_table(
        "follower_days",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("new_user", sa.Integer(), nullable=False),
        sa.Column("cancel_user", sa.Integer(), nullable=False),
        sa.Column("cumulate_user", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", "ref_date"),
    )
    op.create_table(
        "stats_collected",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_date", sa.String(length=10), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account", "kind", "ref_date"),
    )


def downgrade() -> None:
    """Drop the reading statistics."""
    op.drop_table("stats_collected")
    op.drop_table("follower_days")
    op.drop_index("ix_article_totals_sent", table_name="article_totals")
    op.drop_index("ux_article_totals_day", table_name="article_totals")
    op.drop_table("article_totals")
    op.drop_index("ux_article_reads_day", table_name="article_reads")
    op.drop_table("article_reads")
