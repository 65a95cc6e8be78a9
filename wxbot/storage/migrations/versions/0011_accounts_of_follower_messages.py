"""Each follower message, keyword rule and late answer names its official account.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The tables whose rows belong to an account; the rows already there are the default's.
TABLES = ("follower_messages", "keyword_rules", "late_answers")


def upgrade() -> None:
    """Add ``account`` (the account's name, ``default`` for the rows already there)."""
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("account", sa.String(length=32), nullable=False, server_default="default"),
        )


def downgrade() -> None:
    """Drop ``account`` (every account's rows then read as the default's)."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("account")
