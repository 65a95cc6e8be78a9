"""PostgreSQL full-text indexes: the GIN indexes search_index declared but create_all never made.

Their ``Index`` named no column SQLAlchemy could find a table by, so it was never attached and
searches on PostgreSQL scanned every row. SQLite has its FTS5 tables; nothing changes there.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {"ix_search_docs_tsv": "search_docs", "ix_search_issues_tsv": "search_issues"}


def upgrade() -> None:
    """Index ``to_tsvector('simple', tokens)`` of both search tables (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in INDEXES.items():
        op.create_index(
            name, table, [sa.text("to_tsvector('simple', tokens)")], postgresql_using="gin"
        )


def downgrade() -> None:
    """Drop the indexes."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
