"""An issue as its console page shows it: the issue, where it stands on WeChat, its scheduled
sends and today's quota, read together (one connection, four statements whatever it has)."""

from __future__ import annotations

from dataclasses import dataclass

from . import publishing, scheduling
from .errors import IssueNotFound
from .model import Issue
from .runtime import Runtime
from .storage import issue_standing as standing_store
from .storage import publications
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

    What :func:`publishing.known_issue_status` (without runs), :func:`scheduling.list_jobs`
    of the issue and :func:`scheduling.day_quota` return, in four statements.

    :raises IssueNotFound: when no issue has that id.
    """
    account = account_key(runtime.settings.wechat)
    day, start, end = scheduling.quota_span(runtime)
    with runtime.db.read() as conn:
        row = standing_store.standing_row(
            conn, account, issue_id, start, end,
            scheduling.QUOTA_JOB_STATES, scheduling.COUNTED_SENDS, account_name=runtime.account,
        )  # fmt: skip
        if row is None:
            raise IssueNotFound(issue_id)
        publish_jobs = publications.publish_jobs_of(conn, account, issue_id)
        sends = publications.mass_sends_of(conn, account, issue_id)
        jobs = scheduling.issue_jobs(conn, issue_id, sends, runtime.account)
    status = publishing.IssueStatus(
        issue_id=issue_id,
        article_url=row.article_url,
        draft=row.draft,
        publish_jobs=publish_jobs,
        mass_sends=sends,
        runs=[],
    )
    quota = scheduling.DayQuota(day, runtime.settings.schedule.daily_quota, row.counted_sends)
    return IssueStanding(issue=row.issue, status=status, jobs=jobs, quota=quota)
