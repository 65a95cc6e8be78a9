"""SQL for how far each issue has gone on WeChat: drafted, published, scheduled or sent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Select, select

from ..states import JobState, SendStatus
from .jobs import send_jobs
from .publications import mass_sends, publish_jobs, wechat_drafts

#: The words for how far an issue has gone, furthest first; "archived" when none applies.
PROGRESS_WORDS = ("sent", "scheduled", "published", "drafted")

#: A mass send that WeChat accepted or reports delivered (not one that may not have gone out).
_SENT = SendStatus.where(lambda s: s.reached_followers or s is SendStatus.ACCEPTED)
_SCHEDULED = JobState.where(lambda s: s.is_live)


@dataclass(frozen=True)
class IssueProgress:
    """The issues with a draft, a publish, a live scheduled send, a mass send that went out."""

    drafted: frozenset[str]
    published: frozenset[str]
    scheduled: frozenset[str]
    sent: frozenset[str]

    def state_of(self, issue_id: str) -> str:
        """Return how far the issue has gone: sent, scheduled, published, drafted or archived."""
        for word in PROGRESS_WORDS:
            if issue_id in getattr(self, word):
                return word
        return "archived"


def issue_progress(
    conn: Connection,
    account: str,
    *,
    published_status: int,
    account_name: str | None = None,
) -> IssueProgress:
    """Return which issues of ``account`` are drafted, published, scheduled and sent.

    ``published_status`` is WeChat's publish_status of a successful freepublish.
    ``account`` is the WeChat-side key (``appid@host``); ``account_name`` the account's name,
    which scheduled sends carry (None: a live job of any account counts).
    """
    scheduled = select(send_jobs.c.issue_id).distinct().where(send_jobs.c.state.in_(_SCHEDULED))
    if account_name is not None:
        scheduled = scheduled.where(send_jobs.c.account == account_name)

    def ids(query: Select[tuple[str]]) -> frozenset[str]:
        return frozenset(conn.scalars(query))

    return IssueProgress(
        drafted=ids(
            select(wechat_drafts.c.issue_id).distinct().where(wechat_drafts.c.account == account)
        ),
        published=ids(
            select(publish_jobs.c.issue_id)
            .distinct()
            .where(publish_jobs.c.account == account, publish_jobs.c.status == published_status)
        ),
        scheduled=ids(scheduled),
        sent=ids(
            select(mass_sends.c.issue_id)
            .distinct()
            .where(mass_sends.c.account == account, mass_sends.c.status.in_(_SENT))
        ),
    )
