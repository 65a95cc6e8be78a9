"""PostgreSQL stores each search row's tsvector: a search no longer parses every issue's tokens.

Under follower load a search of common words took ~0.6 s: the planner filtered issues by
``to_tsvector('simple', tokens)``, parsing ~6 KB of tokens per issue for every query, and a
phrase's recheck parses them even through the index. A generated column keeps the parsed
value, and the GIN index moves onto it. SQLite has its FTS5 tables; nothing changes there.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {"ix_search_docs_tsv": "search_docs", "ix_search_issues_tsv": "search_issues"}


def upgrade() -> None:
    """Add ``tsv`` (``to_tsvector('simple', tokens)``, stored) and index it (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
        op.add_column(
            table,
            sa.Column(
                "tsv",
                postgresql.TSVECTOR(),
                sa.Computed("to_tsvector('simple', tokens)", persisted=True),
            ),
        )
        op.create_index(name, table, ["tsv"], postgresql_using="gin")
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    """Index the expression again, and drop the column."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table in INDEXES.items():
        op.drop_index(name, table_name=table)
        op.drop_column(table, "tsv")
        op.create_index(
            name, table, [sa.text("to_tsvector('simple', tokens)")], postgresql_using="gin"
        )
