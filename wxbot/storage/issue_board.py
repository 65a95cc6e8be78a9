"""SQL for the console's dashboard: a page of issues and where each stands, in a few reads.

A page is a run of consecutive issue ids (the archive is listed by id), so each table is
read once for the range between the page's first and last id, for every account at once
(drafts, publishes and sends are WeChat-side records, keyed by the account's
``appid@host``). The page-wide lists (the next send, recent failures) ride on the same
reads of their tables. A view costs the same few statements whatever the page's size, the
archive's size or the number of accounts, with no parameter list to render per view.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    Row,
    Select,
    String,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)

from ..states import JobState, RunStatus, SendStatus, StepStatus
from .heartbeats import worker_heartbeats
from .issue_links import issue_links
from .issue_overrides import issue_overrides
from .issues import issues
from .jobs import JobRow, send_jobs
from .publications import (
    DraftRow,
    MassSendRow,
    PublishJobRow,
    mass_sends,
    publish_jobs,
    wechat_drafts,
)
from .publish_runs import publish_runs, publish_steps
from .wechat_tokens import TokenHealth, token_health, wechat_tokens


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
class BoardIssue:
    """An issue's line on the board: what the archive holds, its editors' title and its link."""

    id: str
    summary: str
    revision: int
    updated_at: dt.datetime
    title: str  # the editors' article title; empty when none is set
    article_url: str  # the recorded WeChat article URL; empty before one is known


@dataclass(frozen=True)
class AccountRows:
    """One account's WeChat-side rows for a page of issues, by issue id."""

    drafts: dict[str, DraftRow] = field(default_factory=dict)
    publishes: dict[str, PublishJobRow] = field(default_factory=dict)  # the latest of each
    sends: dict[str, list[MassSendRow]] = field(default_factory=dict)  # newest first


@dataclass(frozen=True)
class Failure:
    """Something that went wrong recently: which issue, what, when, why (and WeChat's code)."""

    issue_id: str
    what: str
    at: dt.datetime
    why: str
    errcode: int | None = None
    account: str = ""  # the ``appid@host`` of a failed send


@dataclass(frozen=True)
class BoardRows:
    """Every row the dashboard shows for a page of issues, by issue id, and the page-wide lists.

    ``drafts``, ``publishes`` and ``sends`` are the first account's (the one acting);
    ``accounts`` holds every asked account's, by ``appid@host``.
    """

    drafts: dict[str, DraftRow]
    publishes: dict[str, PublishJobRow]  # the latest publish of each issue
    sends: dict[str, list[MassSendRow]]  # newest first
    jobs: dict[str, list[JobRow]]  # by send time
    failed_runs: dict[str, FailedRun]  # only when the issue's latest run failed
    accounts: dict[str, AccountRows] = field(default_factory=dict)
    next_job: JobRow | None = None  # the live job that sends next, on any issue
    failures: list[Failure] = field(default_factory=list)  # newest first


# Built once: executing a built statement reuses its cache key, so a page view only binds
# the page's values (accounts, first and last id) instead of building each query anew.
_ACCOUNT: BindParameter[str] = bindparam("account", type_=String)
_ACCOUNTS: BindParameter[list[str]] = bindparam("accounts", expanding=True)
_FIRST: BindParameter[str] = bindparam("first", type_=String)
_LAST: BindParameter[str] = bindparam("last", type_=String)
_LIMIT: BindParameter[int] = bindparam("limit", type_=Integer)
_OFFSET: BindParameter[int] = bindparam("offset", type_=Integer)


def _of(table: Table, several: bool) -> ColumnElement[bool]:
    """Return the condition on ``table``'s account: one (as before accounts) or several."""
    return table.c.account.in_(_ACCOUNTS) if several else table.c.account == _ACCOUNT


def _on_page(table: Table) -> ColumnElement[bool]:
    """Return the condition that ``table``'s row belongs to an issue of the page."""
    return table.c.issue_id.between(_FIRST, _LAST)


@dataclass(frozen=True)
class _Together:
    """Whole-row queries of a few tables, run as one statement: one round trip, not one each.

    UNION ALL needs one shape, so each table has its own run of columns: a row fills its
    table's run, leaves the others NULL (cast to the column's type: PostgreSQL matches the
    branches' types pairwise), and its ``part`` names the query it answers.
    """

    statement: CompoundSelect
    parts: tuple[str, ...]  # the query names, by part number
    runs: tuple[tuple[int, int, tuple[str, ...]], ...]  # each part's columns: start, end, names


def _together(queries: dict[str, tuple[Table, Select[Any]]]) -> _Together:
    """Return ``queries`` (each of whole rows of its table) as one statement."""
    tables = list(dict.fromkeys(table for table, _ in queries.values()))
    start, starts = 1, {}  # column 0 is the part
    for table in tables:
        starts[table.name] = start
        start += len(table.columns)
    selects, runs = [], []
    for n, (table, query) in enumerate(queries.values()):
        sub = query.subquery()
        columns: list[ColumnElement[Any]] = [literal_column(str(n)).label("part")]
        for other in tables:
            for column in other.columns:
                label = f"{other.name}_{column.name}"
                own = sub.c[column.name] if other is table else cast(null(), column.type)
                columns.append(own.label(label))
        selects.append(select(*columns))
        first = starts[table.name]
        runs.append((first, first + len(table.columns), tuple(table.columns.keys())))
    return _Together(union_all(*selects), tuple(queries), tuple(runs))


def _apart(together: _Together, rows: Iterable[Row[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Return each query's rows of a :class:`_Together` statement, by query name."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in together.parts}
    for row in rows:
        start, end, names = together.runs[row[0]]
        found[together.parts[row[0]]].append(dict(zip(names, row[start:end], strict=True)))
    return found


def _is_one_of(column: ColumnElement[Any], values: Iterable[str]) -> ColumnElement[bool]:
    """Return ``column`` equal to one of ``values``: plain binds, no list rendered per view."""
    return or_(*(column == value for value in values))


def _accounts(keys: list[str]) -> tuple[bool, dict[str, object]]:
    """Return whether ``keys`` are several, and the parameters naming them."""
    several = len(keys) > 1
    return several, {"accounts": keys} if several else {"account": keys[0]}


@dataclass(frozen=True)
class Page:
    """A page of issues and what the page's header needs: the total, the health line's facts."""

    total: int  # issues in the archive
    issues: list[BoardIssue]  # newest first
    beat_at: dt.datetime | None  # the latest heartbeat of any worker
    token: TokenHealth | None  # the acting account's cached token


_TOTAL = select(func.count()).select_from(issues)
_LATEST_BEAT = select(func.max(worker_heartbeats.c.beat_at))
_TOKEN = (
    wechat_tokens.c.account,
    wechat_tokens.c.expires_at,
    wechat_tokens.c.fetched_at,
    wechat_tokens.c.fetch_error,
    wechat_tokens.c.fetch_error_at,
)
#: A page of issues, newest first, each with its title and link; every row also carries the
#: page-wide facts (how many issues, the latest heartbeat, the acting account's token), so a
#: view reads them without a round trip each.
_PAGE = (
    select(
        issues.c.id,
        issues.c.summary,
        issues.c.revision,
        issues.c.updated_at,
        func.coalesce(issue_overrides.c.title, "").label("title"),
        func.coalesce(issue_links.c.article_url, "").label("article_url"),
        _TOTAL.scalar_subquery().label("total"),
        _LATEST_BEAT.scalar_subquery().label("beat_at"),
        *_TOKEN,
    )
    .select_from(
        issues.outerjoin(issue_overrides, issue_overrides.c.issue_id == issues.c.id)
        .outerjoin(issue_links, issue_links.c.issue_id == issues.c.id)
        .outerjoin(wechat_tokens, wechat_tokens.c.account == bindparam("acting", type_=String))
    )
    .order_by(issues.c.id.desc())
    .limit(_LIMIT)
    .offset(_OFFSET)
)
_FACTS = select(_TOTAL.scalar_subquery(), _LATEST_BEAT.scalar_subquery())


def page_of_issues(conn: Connection, account: str, limit: int, offset: int) -> Page:
    """Return the ``limit`` newest issues after the ``offset`` newest, and the page's facts.

    ``account`` is the acting account's ``appid@host``, whose token the health line shows.
    """
    rows = list(conn.execute(_PAGE, {"acting": account, "limit": limit, "offset": offset}))
    if not rows:  # an empty archive, or past its end: the facts on their own
        total, beat_at = conn.execute(_FACTS).one()
        return Page(int(total), [], beat_at, token_health(conn, account))
    first = rows[0]
    token = TokenHealth(*first[-4:]) if first.account is not None else None
    return Page(int(first.total), [BoardIssue(*r[:6]) for r in rows], first.beat_at, token)


_SEND_FAILED = SendStatus.where(lambda s: s in (SendStatus.REFUSED, SendStatus.FAILED))
_JOB_FAILED = JobState.where(lambda s: s in (JobState.FAILED, JobState.MISSED))


def _board(several: bool) -> _Together:
    """Return every WeChat-side row a page of issues shows, and the page-wide lists, as one read.

    ``several``: whether several accounts are asked for (one keeps its plain equality).
    """
    return _together(
        {
            "drafts": (
                wechat_drafts,
                select(wechat_drafts).where(_of(wechat_drafts, several), _on_page(wechat_drafts)),
            ),
            "publishes": (
                publish_jobs,
                select(publish_jobs).where(_of(publish_jobs, several), _on_page(publish_jobs)),
            ),
            "sends": (
                mass_sends,
                select(mass_sends).where(_of(mass_sends, several), _on_page(mass_sends)),
            ),
            "failed sends": (
                mass_sends,
                select(mass_sends)
                .where(_of(mass_sends, several), _is_one_of(mass_sends.c.status, _SEND_FAILED))
                .order_by(mass_sends.c.updated_at.desc())
                .limit(_LIMIT),
            ),
            "jobs": (send_jobs, select(send_jobs).where(_on_page(send_jobs))),
            "next job": (
                send_jobs,
                select(send_jobs)
                .where(send_jobs.c.state == JobState.SCHEDULED)
                .order_by(send_jobs.c.send_at)
                .limit(1),
            ),
            "failed jobs": (
                send_jobs,
                select(send_jobs)
                .where(_is_one_of(send_jobs.c.state, _JOB_FAILED))
                .order_by(send_jobs.c.updated_at.desc())
                .limit(_LIMIT),
            ),
            # The latest run of each of the page's issues, when it failed.
            "failed runs": (
                publish_runs,
                select(publish_runs).where(
                    publish_runs.c.id.in_(
                        select(func.max(publish_runs.c.id))
                        .where(_on_page(publish_runs))
                        .group_by(publish_runs.c.issue_id)
                        .scalar_subquery()
                    ),
                    publish_runs.c.status == RunStatus.FAILED,
                ),
            ),
            "latest failed runs": (
                publish_runs,
                select(publish_runs)
                .where(publish_runs.c.status == RunStatus.FAILED)
                .order_by(publish_runs.c.id.desc())
                .limit(_LIMIT),
            ),
        }
    )


#: Built once each: a view binds the page's values to a statement already compiled.
_BOARD = {several: _board(several) for several in (False, True)}


def board_rows(
    conn: Connection,
    accounts: str | Sequence[str],
    first: str,
    last: str,
    *,
    failures: int = 0,
) -> BoardRows:
    """Return the drafts, publishes, sends, jobs and failed runs of issues ``first``…``last``.

    ``accounts`` are ``appid@host`` keys (or one); the first is the one acting. Also read:
    the next live job of any issue and the ``failures`` latest failures (failed runs, sends
    of ``accounts`` and jobs), newest first.
    """
    keys = [accounts] if isinstance(accounts, str) else list(accounts)
    per_account = {key: AccountRows() for key in keys}
    several, named = _accounts(keys)
    these = named | {"first": first, "last": last, "limit": failures}
    rows = _apart(_BOARD[several], conn.execute(_BOARD[several].statement, these))
    for r in rows["drafts"]:
        per_account[r["account"]].drafts[r["issue_id"]] = _made(DraftRow, r)
    for r in sorted(rows["publishes"], key=lambda r: r["submitted_at"]):
        # the latest of each issue replaces those before it
        per_account[r["account"]].publishes[r["issue_id"]] = _made(PublishJobRow, r)
    for r in sorted(rows["sends"], key=lambda r: (r["created_at"], r["id"]), reverse=True):
        per_account[r["account"]].sends.setdefault(r["issue_id"], []).append(_made(MassSendRow, r))
    jobs: dict[str, list[JobRow]] = {}
    for r in sorted(rows["jobs"], key=lambda r: r["send_at"]):
        jobs.setdefault(r["issue_id"], []).append(JobRow(**r))
    found = [
        Failure(r["issue_id"], f"mass send to {r['audience']}", r["updated_at"], r["error"],
                r["errcode"], r["account"])
        for r in rows["failed sends"]
    ] + [
        Failure(r["issue_id"], f"scheduled send ({r['state']})", r["updated_at"], r["error"] or "")
        for r in rows["failed jobs"]
    ]  # fmt: skip
    on_page, latest = _explained(conn, rows["failed runs"], rows["latest failed runs"])
    for run in latest:
        step = f", step {run.step}" if run.step else ""
        found.append(
            Failure(run.issue_id, f"{run.mode} run{step}", run.at, run.detail, run.errcode)
        )
    found.sort(key=lambda f: f.at, reverse=True)
    acting = per_account[keys[0]]
    return BoardRows(
        drafts=acting.drafts,
        publishes=acting.publishes,
        sends=acting.sends,
        jobs=jobs,
        failed_runs={run.issue_id: run for run in on_page},
        accounts=per_account,
        next_job=JobRow(**rows["next job"][0]) if rows["next job"] else None,
        failures=found[:failures],
    )


def _made(cls: Any, values: dict[str, Any]) -> Any:
    """Build dataclass ``cls`` from a row's values by column name."""
    return cls(**{f.name: values[f.name] for f in fields(cls)})


_FAILED_STEPS = (
    select(publish_steps.c.run_id, publish_steps.c.step, publish_steps.c.detail,
           publish_steps.c.errcode)
    .where(
        publish_steps.c.run_id.in_(bindparam("runs", expanding=True)),
        publish_steps.c.status == StepStatus.FAILED,
    )
    .order_by(publish_steps.c.id)
)  # fmt: skip


def _explained(conn: Connection, *runs: list[dict[str, Any]]) -> tuple[list[FailedRun], ...]:
    """Return each list of failed ``runs`` with each run's failing step (the last, if several)."""
    ids = sorted({r["id"] for some in runs for r in some})
    if not ids:
        return tuple([] for _ in runs)
    steps: dict[int, tuple[str, str, int | None]] = {}
    for s in conn.execute(_FAILED_STEPS, {"runs": ids}):
        steps[s.run_id] = (s.step, s.detail, s.errcode)
    return tuple([_failed_run(r, steps) for r in some] for some in runs)


def _failed_run(run: dict[str, Any], steps: dict[int, tuple[str, str, int | None]]) -> FailedRun:
    """Return a failed run's row with its failing step, or its summary when no step failed."""
    step, detail, errcode = steps.get(run["id"], ("", run["summary"], None))
    at = run["finished_at"] or run["started_at"]
    return FailedRun(run["issue_id"], run["mode"], run["summary"], step, detail, errcode, at)
