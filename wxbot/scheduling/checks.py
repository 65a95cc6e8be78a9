"""The checks scheduling borrows from other concerns: compliance, and sends made directly."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

from sqlalchemy import Connection

from ..model import Issue
from ..rendering import render_issue
from ..rendering.compliance import lint_article
from ..runtime import Runtime
from ..states import SendStatus
from ..storage import jobs as job_store
from ..wechat import account_key

#: Lint results by (issue, source, configuration): scheduling one issue to many tags renders once.
_CHECKED: OrderedDict[tuple[str, str, str], tuple[str, ...]] = OrderedDict()
_CHECKED_MAX = 32

#: The sends a day's quota counts: WeChat counts the sends made (or maybe made).
COUNTED_SENDS = SendStatus.where(lambda s: s.may_have_reached)


def compliance_problems(runtime: Runtime, issue: Issue) -> list[str]:
    """Return every reason WeChat would strip or reject the issue's article; empty when clean."""
    key = (issue.id, issue.source.sha256, runtime.settings.digest)
    if key not in _CHECKED:
        article = render_issue(issue, runtime.settings)
        _CHECKED[key] = tuple(str(p) for p in lint_article(article, publishing=False))
        while len(_CHECKED) > _CHECKED_MAX:
            _CHECKED.popitem(last=False)
    return list(_CHECKED[key])


def sends_outside_jobs(
    runtime: Runtime, conn: Connection, start: dt.datetime, end: dt.datetime
) -> int:
    """Return how many mass sends in ``[start, end)`` were made without a job (and count)."""
    return job_store.direct_sends_between(
        conn, account_key(runtime.settings.wechat), start, end, COUNTED_SENDS
    )
