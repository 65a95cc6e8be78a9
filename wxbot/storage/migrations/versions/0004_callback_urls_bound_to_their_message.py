"""Signed callback URLs bound to the message they carried, so a replay cannot carry another.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``callback_nonces``."""
    op.create_table(
        "callback_nonces",
        sa.Column("url_key", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=160), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("url_key"),
    )
    op.create_index("ix_callback_nonces_expires", "callback_nonces", ["expires"])


def downgrade() -> None:
    """Drop ``callback_nonces``."""
    op.drop_index("ix_callback_nonces_expires", table_name="callback_nonces")
    op.drop_table("callback_nonces")
