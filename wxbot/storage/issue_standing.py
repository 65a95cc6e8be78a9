"""SQL for an issue's console page: the issue with its article URL, its draft and a day's
counted sends in one statement (the lists beside them each come from their own module)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, String, bindparam

from ..model import Issue
from ..states import JobState, SendStatus
from .issue_links import issue_links
from .issues import ISSUE_QUERY, issue_from_row, issues
from .jobs import COUNTED_JOBS, DIRECT_SENDS, sends_between_params
from .publications import DRAFT_COLUMNS, DraftRow, draft_from_row, wechat_drafts


@dataclass(frozen=True)
class StandingRow:
    """An issue, where followers read it, its draft, and the sends a day's quota counts."""

    issue: Issue
    article_url: str | None
    draft: DraftRow | None
    counted_sends: int


#: Built once, bound per call: ``issue_id`` and :func:`sends_between_params` (``account``…).
_STANDING = (
    ISSUE_QUERY.add_columns(issue_links.c.article_url, *DRAFT_COLUMNS, COUNTED_JOBS, DIRECT_SENDS)
    .outerjoin(issue_links, issue_links.c.issue_id == issues.c.id)
    .outerjoin(
        wechat_drafts,
        (wechat_drafts.c.issue_id == issues.c.id)
        & (wechat_drafts.c.account == bindparam("account", type_=String)),
    )
)


def standing_row(
    conn: Connection,
    account: str,
    issue_id: str,
    start: dt.datetime,
    end: dt.datetime,
    job_states: Collection[JobState],
    send_statuses: Collection[SendStatus],
    *,
    account_name: str,
) -> StandingRow | None:
    """Return the issue with its URL, draft and the sends counted in ``[start, end)``, or None.

    The sends are counted as :func:`.jobs.sends_between` counts them.
    """
    params = sends_between_params(
        account, start, end, job_states, send_statuses, account_name=account_name
    )
    row = conn.execute(_STANDING, {"issue_id": issue_id, **params}).first()
    if row is None:
        return None
    return StandingRow(
        issue=issue_from_row(row),
        article_url=row.article_url,
        draft=draft_from_row(row),
        counted_sends=int(row.counted_jobs) + int(row.direct_sends),
    )
