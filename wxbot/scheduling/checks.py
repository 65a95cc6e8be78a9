"""The checks scheduling borrows from other concerns: compliance, and sends made directly."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection

from ..model import Issue
from ..rendering import render_issue
from ..rendering.compliance import lint_article
from ..runtime import Runtime
from ..storage import jobs as job_store
from ..wechat import account_key

#: Statuses of publishing's send records that use the day's quota (or may have).
QUOTA_RECORDS = ("sending", "unconfirmed", "accepted", "success")


def compliance_problems(runtime: Runtime, issue: Issue) -> list[str]:
    """Return every reason WeChat would strip or reject the issue's article; empty when clean."""
    article = render_issue(issue, runtime.config)
    return [str(p) for p in lint_article(article, publishing=False)]


def sends_outside_jobs(
    runtime: Runtime, conn: Connection, start: dt.datetime, end: dt.datetime
) -> int:
    """Return how many mass sends in ``[start, end)`` were made without a job (and count)."""
    return job_store.direct_sends_between(
        conn, account_key(runtime.config), start, end, QUOTA_RECORDS
    )
