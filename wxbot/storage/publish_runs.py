"""SQL for the publishing history: each run of the pipeline and every step it took."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import (
    Column,
    Connection,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    select,
)

from ..config.accounts import DEFAULT_ACCOUNT
from ..states import RunStatus, StepStatus
from .schema import UtcDateTime, metadata

publish_runs = Table(
    "publish_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issue_id", String(10), nullable=False, index=True),
    # The account's name (``default`` = [wechat]): each account's runs resume on their own.
    Column("account", String(32), nullable=False, server_default=DEFAULT_ACCOUNT),
    Column("mode", String(16), nullable=False),  # draft, publish, mass, prepare, send
    Column("status", String(16), nullable=False),  # a RunStatus
    Column("summary", Text, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=True),
)

publish_steps = Table(
    "publish_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("publish_runs.id"), nullable=False, index=True),
    Column("step", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # a StepStatus
    Column("detail", Text, nullable=False),
    Column("errcode", Integer, nullable=True),
    Column("at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class StepRow:
    """One step of a run: what it did, or why it failed."""

    step: str
    status: StepStatus
    detail: str
    errcode: int | None
    at: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", StepStatus(self.status))  # the column holds its value


@dataclass(frozen=True)
class RunRow:
    """One run of the publishing pipeline for an issue, with its steps in order."""

    id: int
    issue_id: str
    mode: str
    status: RunStatus
    summary: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    steps: tuple[StepRow, ...]
    account: str = DEFAULT_ACCOUNT

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", RunStatus(self.status))  # the column holds its value


def start_run(
    conn: Connection,
    issue_id: str,
    mode: str,
    now: dt.datetime,
    account: str = DEFAULT_ACCOUNT,
) -> int:
    """Record the start of an account's run and return its id."""
    result = conn.execute(
        publish_runs.insert().values(
            issue_id=issue_id,
            account=account,
            mode=mode,
            status=RunStatus.RUNNING,
            summary="",
            started_at=now,
        )  # fmt: skip
    )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


def add_step(
    conn: Connection,
    run_id: int,
    step: str,
    status: StepStatus,
    detail: str,
    now: dt.datetime,
    errcode: int | None = None,
) -> None:
    """Record one step of a run."""
    conn.execute(
        publish_steps.insert().values(
            run_id=run_id, step=step, status=status, detail=detail, errcode=errcode, at=now
        )
    )


def finish_run(
    conn: Connection, run_id: int, status: RunStatus, summary: str, now: dt.datetime
) -> None:  # fmt: skip
    """Record how a run ended: done, waiting (for WeChat) or failed."""
    conn.execute(
        publish_runs.update()
        .where(publish_runs.c.id == run_id)
        .values(status=status, summary=summary, finished_at=now)
    )


def runs_of(
    conn: Connection, issue_id: str, limit: int | None = None, *, account: str | None = None
) -> list[RunRow]:
    """Return an issue's runs (of one ``account``, or of all), oldest first, with their steps."""
    query = (
        select(publish_runs)
        .where(publish_runs.c.issue_id == issue_id)
        .order_by(publish_runs.c.id.desc())
    )
    if account is not None:
        query = query.where(publish_runs.c.account == account)
    if limit is not None:
        query = query.limit(limit)
    runs = list(conn.execute(query))[::-1]
    if not runs:
        return []
    steps: dict[int, list[StepRow]] = {r.id: [] for r in runs}
    for s in conn.execute(
        select(publish_steps)
        .where(publish_steps.c.run_id.in_(list(steps)))
        .order_by(publish_steps.c.id)
    ):
        steps[s.run_id].append(StepRow(s.step, s.status, s.detail, s.errcode, s.at))
    return [
        RunRow(
            r.id, r.issue_id, r.mode, r.status, r.summary, r.started_at,
            r.finished_at, tuple(steps[r.id]), r.account,
        )
        for r in runs
    ]  # fmt: skip
