"""A running count of the archive's issues, kept with every insert: a page view reads it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``archive_counts`` with the number of issues archived so far."""
    op.create_table(
        "archive_counts",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute("INSERT INTO archive_counts (name, value) SELECT 'issues', count(*) FROM issues")


def downgrade() -> None:
    """Drop ``archive_counts``."""
    op.drop_table("archive_counts")
