"""SQL for the console's dashboard: where a page of issues stands, one query per column group.

Each function takes the page's issue ids and answers for all of them at once, and for every
account at once (drafts, publishes and sends are WeChat-side records, keyed by the account's
``appid@host``), so a page costs the same handful of queries whatever its size, however big
the archive and however many accounts are configured.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Integer,
    Table,
    bindparam,
    func,
    select,
)

from ..states import JobState, RunStatus, SendStatus, StepStatus
from .issue_links import issue_links
from .issue_overrides import issue_overrides
from .jobs import JobRow, send_jobs
from .publications import (
    DraftRow,
    MassSendRow,
    PublishJobRow,
    _row,
    mass_sends,
    publish_jobs,
    wechat_drafts,
)
from .publish_runs import publish_runs, publish_steps


@dataclass(frozen=True)
class FailedRun:
    """A publishing run that failed: when, in which mode, the failing step and why."""

    issue_id: str
    mode: str
    summary: str
    step: str
    detail: str
    errcode: int | None
    at: dt.datetime


@dataclass(frozen=True)
class AccountRows:
    """One account's WeChat-side rows for a page of issues, by issue id."""

    drafts: dict[str, DraftRow] = field(default_factory=dict)
    publishes: dict[str, PublishJobRow] = field(default_factory=dict)  # the latest of each
    sends: dict[str, list[MassSendRow]] = field(default_factory=dict)  # newest first


@dataclass(frozen=True)
class BoardRows:
    """Every row the dashboard shows for a page of issues, by issue id.

    ``drafts``, ``publishes`` and ``sends`` are the first account's (the one acting);
    ``accounts`` holds every asked account's, by ``appid@host``.
    """

    drafts: dict[str, DraftRow]
    publishes: dict[str, PublishJobRow]  # the latest publish of each issue
    article_urls: dict[str, str]
    sends: dict[str, list[MassSendRow]]  # newest first
    jobs: dict[str, list[JobRow]]  # by send time
    failed_runs: dict[str, FailedRun]  # only when the issue's latest run failed
    titles: dict[str, str]  # the editors' article titles, where one is set
    accounts: dict[str, AccountRows] = field(default_factory=dict)


# Built once: executing a built statement reuses its cache key, so a page view only binds
# the page's values (account, ids) instead of constructing and keying each query anew.
_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)
_ACCOUNT: BindParameter[str] = bindparam("account")
_ACCOUNTS: BindParameter[list[str]] = bindparam("accounts", expanding=True)


def _of(table: Table, several: bool) -> ColumnElement[bool]:
    """Return the condition on ``table``'s account: one (as before accounts) or several."""
    return table.c.account.in_(_ACCOUNTS) if several else table.c.account == _ACCOUNT


# Each by whether several accounts are asked for: one account keeps its plain equality.
_DRAFTS = {
    n: select(wechat_drafts).where(_of(wechat_drafts, n), wechat_drafts.c.issue_id.in_(_IDS))
    for n in (False, True)
}
_PUBLISHES = {
    n: select(publish_jobs)
    .where(_of(publish_jobs, n), publish_jobs.c.issue_id.in_(_IDS))
    .order_by(publish_jobs.c.submitted_at)
    for n in (False, True)
}
_SENDS = {
    n: select(mass_sends)
    .where(_of(mass_sends, n), mass_sends.c.issue_id.in_(_IDS))
    .order_by(mass_sends.c.created_at.desc(), mass_sends.c.id.desc())
    for n in (False, True)
}


def _accounts(keys: list[str]) -> tuple[bool, dict[str, object]]:
    """Return whether ``keys`` are several, and the parameters naming them."""
    several = len(keys) > 1
    return several, {"accounts": keys} if several else {"account": keys[0]}


_JOBS = select(send_jobs).where(send_jobs.c.issue_id.in_(_IDS)).order_by(send_jobs.c.send_at)
_LINKS = select(issue_links.c.issue_id, issue_links.c.article_url).where(
    issue_links.c.issue_id.in_(_IDS)
)
_TITLES = select(issue_overrides.c.issue_id, issue_overrides.c.title).where(
    issue_overrides.c.issue_id.in_(_IDS), issue_overrides.c.title != ""
)
_FAILED_LATEST = select(publish_runs.c.id).where(
    publish_runs.c.id.in_(
        select(func.max(publish_runs.c.id))
        .where(publish_runs.c.issue_id.in_(_IDS))
        .group_by(publish_runs.c.issue_id)
        .scalar_subquery()
    ),
    publish_runs.c.status == RunStatus.FAILED,
)
_NEXT_SCHEDULED = (
    select(send_jobs)
    .where(send_jobs.c.state == JobState.SCHEDULED)
    .order_by(send_jobs.c.send_at)
    .limit(1)
)


def board_rows(
    conn: Connection, accounts: str | Sequence[str], issue_ids: Sequence[str]
) -> BoardRows:
    """Return the drafts, publishes, links, sends, jobs and failed runs of ``issue_ids``.

    ``accounts`` are ``appid@host`` keys (or one); the first is the one acting.
    """
    keys = [accounts] if isinstance(accounts, str) else list(accounts)
    ids = list(issue_ids)
    per_account = {key: AccountRows() for key in keys}
    if not ids:
        return BoardRows({}, {}, {}, {}, {}, {}, {}, per_account)
    several, named = _accounts(keys)
    these = named | {"ids": ids}
    for r in conn.execute(_DRAFTS[several], these):
        per_account[r.account].drafts[r.issue_id] = _row(DraftRow, r)
    for r in conn.execute(_PUBLISHES[several], these):
        per_account[r.account].publishes[r.issue_id] = _row(PublishJobRow, r)  # later replace
    for r in conn.execute(_SENDS[several], these):
        per_account[r.account].sends.setdefault(r.issue_id, []).append(_row(MassSendRow, r))
    jobs: dict[str, list[JobRow]] = defaultdict(list)
    for r in conn.execute(_JOBS, these):
        jobs[r.issue_id].append(JobRow(**r._mapping))
    failed = list(conn.execute(_FAILED_LATEST, these).scalars())
    acting = per_account[keys[0]]
    return BoardRows(
        drafts=acting.drafts,
        publishes=acting.publishes,
        article_urls={r.issue_id: r.article_url for r in conn.execute(_LINKS, these)},
        sends=acting.sends,
        jobs=dict(jobs),
        failed_runs={f.issue_id: f for f in _each_failed_run(conn, failed)},
        titles={r.issue_id: r.title for r in conn.execute(_TITLES, these)},
        accounts=per_account,
    )


def next_scheduled(conn: Connection) -> JobRow | None:
    """Return the live job that sends next, or None."""
    row = conn.execute(_NEXT_SCHEDULED).first()
    return JobRow(**row._mapping) if row else None


@dataclass(frozen=True)
class Failure:
    """Something that went wrong recently: which issue, what, when, why (and WeChat's code)."""

    issue_id: str
    what: str
    at: dt.datetime
    why: str
    errcode: int | None = None
    account: str = ""  # the ``appid@host`` of a failed send


_SEND_FAILED = SendStatus.where(lambda s: s in (SendStatus.REFUSED, SendStatus.FAILED))
_JOB_FAILED = JobState.where(lambda s: s in (JobState.FAILED, JobState.MISSED))


_LIMIT = bindparam("limit", type_=Integer)
_FAILED_RUNS = (
    select(publish_runs.c.id)
    .where(publish_runs.c.status == RunStatus.FAILED)
    .order_by(publish_runs.c.id.desc())
    .limit(_LIMIT)
)
_FAILED_SENDS = {
    n: select(mass_sends)
    .where(_of(mass_sends, n), mass_sends.c.status.in_(_SEND_FAILED))
    .order_by(mass_sends.c.updated_at.desc())
    .limit(_LIMIT)
    for n in (False, True)
}
_FAILED_JOBS = (
    select(send_jobs)
    .where(send_jobs.c.state.in_(_JOB_FAILED))
    .order_by(send_jobs.c.updated_at.desc())
    .limit(_LIMIT)
)


def recent_failures(conn: Connection, accounts: str | Sequence[str], limit: int) -> list[Failure]:
    """Return the ``limit`` latest failed runs, sends (of ``accounts``) and jobs, newest first.

    A failed send names its account's key in :attr:`Failure.account`.
    """
    keys = [accounts] if isinstance(accounts, str) else list(accounts)
    several, named = _accounts(keys)
    these = named | {"limit": limit}
    runs = list(conn.execute(_FAILED_RUNS, these).scalars())
    failures = [
        Failure(f.issue_id, f"{f.mode} run" + (f", step {f.step}" if f.step else ""), f.at,
                f.detail, f.errcode)
        for f in _each_failed_run(conn, runs)
    ]  # fmt: skip
    for s in conn.execute(_FAILED_SENDS[several], these):
        failures.append(
            Failure(
                s.issue_id,
                f"mass send to {s.audience}",
                s.updated_at,
                s.error,
                s.errcode,
                s.account,
            )
        )
    for j in conn.execute(_FAILED_JOBS, these):
        failures.append(
            Failure(j.issue_id, f"scheduled send ({j.state})", j.updated_at, j.error or "")
        )
    failures.sort(key=lambda f: f.at, reverse=True)
    return failures[:limit]


def _each_failed_run(conn: Connection, run_ids: list[int]) -> list[FailedRun]:
    if not run_ids:
        return []
    runs = list(conn.execute(select(publish_runs).where(publish_runs.c.id.in_(run_ids))))
    steps: dict[int, tuple[str, str, int | None]] = {}
    for s in conn.execute(
        select(publish_steps)
        .where(publish_steps.c.run_id.in_(run_ids), publish_steps.c.status == StepStatus.FAILED)
        .order_by(publish_steps.c.id)
    ):
        steps[s.run_id] = (s.step, s.detail, s.errcode)
    found = []
    for r in runs:
        step, detail, errcode = steps.get(r.id, ("", r.summary, None))
        found.append(
            FailedRun(r.issue_id, r.mode, r.summary, step, detail, errcode,
                      r.finished_at or r.started_at)
        )  # fmt: skip
    return found
