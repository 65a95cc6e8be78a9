"""An issue as its console page shows it: the issue, where it stands on WeChat, its scheduled
sends and today's quota, read together (one connection, a fixed number of statements)."""

from __future__ import annotations

from dataclasses import dataclass

from . import publishing, scheduling
from .errors import IssueNotFound
from .model import Issue
from .runtime import Runtime
from .storage import issues as issue_store
from .wechat import account_key


@dataclass(frozen=True)
class IssueStanding:
    """An archived issue with its draft, publish jobs, mass sends, jobs and the day's quota."""

    issue: Issue
    status: publishing.IssueStatus  # without its runs: the history page shows those
    jobs: list[scheduling.Job]
    quota: scheduling.DayQuota


def issue_standing(runtime: Runtime, issue_id: str) -> IssueStanding:
    """Return an issue and where it stands, read at once.

    :raises IssueNotFound: when no issue has that id.
    """
    account = account_key(runtime.settings.wechat)
    with runtime.db.read() as conn:
        issue = issue_store.load_issue(conn, issue_id)
        if issue is None:
            raise IssueNotFound(issue_id)
        status = publishing.read_issue_status(conn, account, issue_id, runs=0)
        jobs = scheduling.issue_jobs(conn, issue_id, status.mass_sends)
        quota = scheduling.read_day_quota(runtime, conn)
    return IssueStanding(issue=issue, status=status, jobs=jobs, quota=quota)
