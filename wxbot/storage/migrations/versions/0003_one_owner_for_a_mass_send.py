"""One owner for a mass send: the job's "sending" is "claimed"; counts and URL live on the send.

``send_jobs.state`` said ``sending`` for a claimed job while ``mass_sends.status`` said it for a
call under way; the job's word is now ``claimed``. The job's copies of the send's counts and
article URL (``total_count`` … ``article_url``) were neither written nor read any more: the mass
send (``mass_sends``, by clientmsgid) owns them. A finished job no longer waits for counts, so
its ``check_after`` is cleared.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIES: dict[str, Any] = {
    "total_count": sa.Integer,
    "filter_count": sa.Integer,
    "sent_count": sa.Integer,
    "error_count": sa.Integer,
    "article_url": sa.Text,
}


def upgrade() -> None:
    """Rename the job state, clear finished jobs' polls and drop the copied columns."""
    op.execute("UPDATE send_jobs SET state = 'claimed' WHERE state = 'sending'")
    op.execute("UPDATE send_jobs SET check_after = NULL WHERE state IN ('sent', 'failed')")
    # A plain ALTER (SQLite >= 3.35): a batch copy would drop send_jobs under send_job_log's key.
    for name in COPIES:
        op.drop_column("send_jobs", name)


def downgrade() -> None:
    """Bring the columns back (empty) and the old state word."""
    for name, type_ in COPIES.items():
        op.add_column("send_jobs", sa.Column(name, type_, nullable=True))
    op.execute("UPDATE send_jobs SET state = 'sending' WHERE state = 'claimed'")
