"""SQL for the console's dashboard: a page of issues and where each stands, in two statements.

The first reads the page's issues. A page is a run of consecutive issue ids (the archive is
listed by id), so the second reads every table for the range between the page's least and
greatest id, for every account at once (drafts, publishes and sends are WeChat-side records,
keyed by the account's ``appid@host``), together with the page-wide lists (the next send,
recent failures) and the health line's facts. A view costs two round trips (three when
something failed: the failing steps are read after) whatever the page's size, the archive's
size or the number of accounts, and binds the same few values each time, so PostgreSQL
plans each statement once and the page's ids are never rendered into a list.
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
from .issues import ISSUES_COUNT, archive_counts, issues
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
from .wechat_tokens import TokenHealth, wechat_tokens


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
class BoardRows:
    """Every WeChat-side row the dashboard shows for a run of issues, by issue id.

    ``drafts``, ``publishes`` and ``sends`` are the first account's (the one acting);
    ``accounts`` holds every asked account's, by ``appid@host``.
    """

    drafts: dict[str, DraftRow]
    publishes: dict[str, PublishJobRow]  # the latest publish of each issue
    sends: dict[str, list[MassSendRow]]  # newest first
    jobs: dict[str, list[JobRow]]  # by send time
    failed_runs: dict[str, FailedRun]  # only when the issue's latest run failed
    accounts: dict[str, AccountRows] = field(default_factory=dict)


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
class Board:
    """A page of the dashboard as stored: its issues, their rows, the page-wide lists and facts."""

    total: int  # issues in the archive
    issues: list[BoardIssue]  # newest first
    rows: BoardRows
    next_job: JobRow | None  # the live job that sends next, on any issue
    failures: list[Failure]  # the latest, newest first
    beat_at: dt.datetime | None  # the latest heartbeat of any worker
    tokens: dict[str, TokenHealth]  # each asked account's cached token, where one was fetched


@dataclass(frozen=True)
class _Together:
    """Several queries run as one statement: one round trip, not one each.

    UNION ALL needs one shape, so each kind of row (a table's, or a query's own) has its run
    of columns: a row fills its kind's run, leaves the others NULL, and its ``part`` names its
    query. The first branch's NULLs are cast to their column's type (PostgreSQL matches the
    branches' types pairwise, left to right), so the others' plain NULLs take those types.
    """

    statement: CompoundSelect
    parts: tuple[str, ...]  # the query names, by part number
    runs: tuple[tuple[int, int, tuple[str, ...]], ...]  # each part's columns: start, end, names


def _together(queries: dict[str, tuple[str, Select[Any]]]) -> _Together:
    """Return ``queries`` (name: the kind of its rows, the query) as one statement.

    Queries of one kind select the same columns (a table's whole rows, say).
    """
    kinds: dict[str, list[tuple[str, Any]]] = {}  # each kind's column names and types
    for kind, query in queries.values():
        kinds.setdefault(kind, [(str(c.key), c.type) for c in query.selected_columns])
    start, starts = 1, {}  # column 0 is the part
    for kind, columns in kinds.items():
        starts[kind] = start
        start += len(columns)
    selects, runs = [], []
    for n, (kind, query) in enumerate(queries.values()):
        sub = query.subquery()
        row: list[ColumnElement[Any]] = [literal_column(str(n)).label("part")]
        for other, columns in kinds.items():
            for name, type_ in columns:
                # The first branch's types are the union's; a NULL after it takes them.
                pad = cast(null(), type_) if n == 0 else null()
                row.append((sub.c[name] if other == kind else pad).label(f"c{len(row)}"))
        selects.append(select(*row))
        names = tuple(name for name, _ in kinds[kind])
        runs.append((starts[kind], starts[kind] + len(names), names))
    return _Together(union_all(*selects), tuple(queries), tuple(runs))


def _apart(together: _Together, rows: Iterable[Row[Any]]) -> dict[str, list[dict[str, Any]]]:
    """Return each query's rows of a :class:`_Together` statement, by query name."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in together.parts}
    for row in rows:
        start, end, names = together.runs[row[0]]
        found[together.parts[row[0]]].append(dict(zip(names, row[start:end], strict=True)))
    return found


# Bound per view: the statements are built once, so a view only binds its values.
_ACCOUNT: BindParameter[str] = bindparam("account", type_=String)
_ACCOUNTS: BindParameter[list[str]] = bindparam("accounts", expanding=True)
_LIMIT: BindParameter[int] = bindparam("limit", type_=Integer)

#: A page of issues, newest first. (Their titles and links are read with their rows: a
#: join here would cost PostgreSQL a fresh plan each view, LIMIT and OFFSET being bound.)
_PAGE = (
    select(issues.c.id, issues.c.summary, issues.c.revision, issues.c.updated_at)
    .order_by(issues.c.id.desc())
    .limit(bindparam("page_size", type_=Integer))
    .offset(bindparam("skip", type_=Integer))
)
#: The issues a page's rows belong to: those between its least and greatest id.
_FIRST, _LAST = bindparam("first", type_=String), bindparam("last", type_=String)

_SEND_FAILED = SendStatus.where(lambda s: s in (SendStatus.REFUSED, SendStatus.FAILED))
_JOB_FAILED = JobState.where(lambda s: s in (JobState.FAILED, JobState.MISSED))


def _of(table: Table, several: bool) -> ColumnElement[bool]:
    """Return the condition on ``table``'s account: one (as before accounts) or several."""
    return table.c.account.in_(_ACCOUNTS) if several else table.c.account == _ACCOUNT


def _is_one_of(column: ColumnElement[Any], values: Iterable[str]) -> ColumnElement[bool]:
    """Return ``column`` equal to one of ``values``: plain binds, no list rendered per view."""
    return or_(*(column == value for value in values))


def _on_page(column: ColumnElement[str]) -> ColumnElement[bool]:
    """Return the condition that ``column`` names an issue between ``first`` and ``last``."""
    return column.between(_FIRST, _LAST)


def _board(several: bool, paged: bool) -> _Together:
    """Return the WeChat-side rows of the issues ``first``…``last`` as one statement.

    ``several``: whether several accounts are asked for (one keeps its plain equality).
    ``paged``: with the page's titles and links, the page-wide lists and the health facts.
    """
    queries: dict[str, tuple[str, Select[Any]]] = {
        "drafts": (
            "drafts",
            select(wechat_drafts).where(
                _of(wechat_drafts, several), _on_page(wechat_drafts.c.issue_id)
            ),
        ),
        "publishes": (
            "publishes",
            select(publish_jobs).where(
                _of(publish_jobs, several), _on_page(publish_jobs.c.issue_id)
            ),
        ),
        "sends": (
            "sends",
            select(mass_sends).where(_of(mass_sends, several), _on_page(mass_sends.c.issue_id)),
        ),
        "jobs": ("jobs", select(send_jobs).where(_on_page(send_jobs.c.issue_id))),
        # The latest run of each issue, when it failed.
        "failed runs": (
            "runs",
            select(publish_runs).where(
                publish_runs.c.id.in_(
                    select(func.max(publish_runs.c.id))
                    .where(_on_page(publish_runs.c.issue_id))
                    .group_by(publish_runs.c.issue_id)
                    .scalar_subquery()
                ),
                publish_runs.c.status == RunStatus.FAILED,
            ),
        ),
    }
    if paged:
        queries |= _page_wide(several)
    return _together(queries)


def _page_wide(several: bool) -> dict[str, tuple[str, Select[Any]]]:
    """Return the queries only a page asks: titles, links, page-wide lists, health facts."""
    return {
        "titles": (
            "titles",
            select(issue_overrides.c.issue_id, issue_overrides.c.title).where(
                _on_page(issue_overrides.c.issue_id), issue_overrides.c.title != ""
            ),
        ),
        "links": (
            "links",
            select(issue_links.c.issue_id, issue_links.c.article_url).where(
                _on_page(issue_links.c.issue_id)
            ),
        ),
        "facts": (
            "facts",
            select(
                select(archive_counts.c.value)
                .where(archive_counts.c.name == ISSUES_COUNT)
                .scalar_subquery()
                .label("total"),
                select(func.max(worker_heartbeats.c.beat_at)).scalar_subquery().label("beat_at"),
            ),
        ),
        "tokens": (
            "tokens",
            select(
                wechat_tokens.c.account,
                wechat_tokens.c.expires_at,
                wechat_tokens.c.fetched_at,
                wechat_tokens.c.fetch_error,
                wechat_tokens.c.fetch_error_at,
            ).where(_of(wechat_tokens, several)),
        ),
        "next job": (
            "jobs",
            select(send_jobs)
            .where(send_jobs.c.state == JobState.SCHEDULED)
            .order_by(send_jobs.c.send_at)
            .limit(1),
        ),
        "failed sends": (
            "sends",
            select(mass_sends)
            .where(_of(mass_sends, several), _is_one_of(mass_sends.c.status, _SEND_FAILED))
            .order_by(mass_sends.c.updated_at.desc())
            .limit(_LIMIT),
        ),
        "failed jobs": (
            "jobs",
            select(send_jobs)
            .where(_is_one_of(send_jobs.c.state, _JOB_FAILED))
            .order_by(send_jobs.c.updated_at.desc())
            .limit(_LIMIT),
        ),
        "latest failed runs": (
            "runs",
            select(publish_runs)
            .where(publish_runs.c.status == RunStatus.FAILED)
            .order_by(publish_runs.c.id.desc())
            .limit(_LIMIT),
        ),
    }


#: Built once each, by (several accounts, a page).
_BOARDS = {(n, paged): _board(n, paged) for n in (False, True) for paged in (False, True)}


def _accounts(keys: list[str]) -> tuple[bool, dict[str, object]]:
    """Return whether ``keys`` are several, and the parameters naming them."""
    several = len(keys) > 1
    return several, {"accounts": keys} if several else {"account": keys[0]}


def read_board(
    conn: Connection, accounts: Sequence[str], limit: int, offset: int, failures: int
) -> Board:
    """Return the ``limit`` newest issues after the ``offset`` newest, with all the page shows.

    ``accounts`` are ``appid@host`` keys; the first is the one acting. Besides the page's
    rows: the next live job of any issue, the ``failures`` latest failures (failed runs,
    sends of ``accounts`` and jobs), the latest heartbeat and each account's cached token.
    """
    keys = list(accounts)
    page = list(conn.execute(_PAGE, {"page_size": limit, "skip": offset}))
    several, named = _accounts(keys)
    together = _BOARDS[several, True]
    # A page is a run of consecutive ids, newest first: its first is the greatest.
    first, last = (page[-1].id, page[0].id) if page else (None, None)
    values = named | {"first": first, "last": last, "limit": failures}
    rows = _apart(together, conn.execute(together.statement, values))
    board, failed = _rows(conn, keys, rows, rows["latest failed runs"])
    found = [
        Failure(r["issue_id"], f"mass send to {r['audience']}", r["updated_at"], r["error"],
                r["errcode"], r["account"])
        for r in rows["failed sends"]
    ] + [
        Failure(r["issue_id"], f"scheduled send ({r['state']})", r["updated_at"], r["error"] or "")
        for r in rows["failed jobs"]
    ] + [
        Failure(run.issue_id, f"{run.mode} run" + (f", step {run.step}" if run.step else ""),
                run.at, run.detail, run.errcode)
        for run in failed
    ]  # fmt: skip
    found.sort(key=lambda f: f.at, reverse=True)
    (facts,) = rows["facts"]
    titles = {r["issue_id"]: r["title"] for r in rows["titles"]}
    links = {r["issue_id"]: r["article_url"] for r in rows["links"]}
    return Board(
        total=int(facts["total"]),
        issues=[BoardIssue(*r, titles.get(r.id, ""), links.get(r.id, "")) for r in page],
        rows=board,
        next_job=JobRow(**rows["next job"][0]) if rows["next job"] else None,
        failures=found[:failures],
        beat_at=facts["beat_at"],
        tokens={r.pop("account"): TokenHealth(**r) for r in rows["tokens"]},
    )


def board_rows(conn: Connection, accounts: str | Sequence[str], first: str, last: str) -> BoardRows:
    """Return the drafts, publishes, sends, jobs and failed runs of issues ``first``…``last``.

    ``accounts`` are ``appid@host`` keys (or one); the first is the one acting.
    """
    keys = [accounts] if isinstance(accounts, str) else list(accounts)
    several, named = _accounts(keys)
    together = _BOARDS[several, False]
    rows = _apart(
        together, conn.execute(together.statement, named | {"first": first, "last": last})
    )
    return _rows(conn, keys, rows, [])[0]


def _rows(
    conn: Connection,
    keys: list[str],
    rows: dict[str, list[dict[str, Any]]],
    latest_failed: list[dict[str, Any]],
) -> tuple[BoardRows, list[FailedRun]]:
    """Return the issues' rows sorted out by account and issue, and ``latest_failed`` explained."""
    per_account = {key: AccountRows() for key in keys}
    for r in rows["drafts"]:
        per_account[r["account"]].drafts[r["issue_id"]] = _made(DraftRow, r)
    for r in sorted(rows["publishes"], key=lambda r: r["submitted_at"]):
        # the latest of each issue replaces those before it
        per_account[r["account"]].publishes[r["issue_id"]] = _made(PublishJobRow, r)
    for r in sorted(rows["sends"], key=lambda r: (r["created_at"], r["id"]), reverse=True):
        sends = per_account[r["account"]].sends
        sends.setdefault(r["issue_id"], []).append(_made(MassSendRow, r))
    jobs: dict[str, list[JobRow]] = {}
    for r in sorted(rows["jobs"], key=lambda r: r["send_at"]):
        jobs.setdefault(r["issue_id"], []).append(JobRow(**r))
    on_page, latest = _explained(conn, rows["failed runs"], latest_failed)
    acting = per_account[keys[0]]
    board = BoardRows(
        drafts=acting.drafts,
        publishes=acting.publishes,
        sends=acting.sends,
        jobs=jobs,
        failed_runs={run.issue_id: run for run in on_page},
        accounts=per_account,
    )
    return board, latest


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
