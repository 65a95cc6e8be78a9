"""Scheduling, cancelling and rescheduling sends, and every refusal, with a clock moved by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from conftest import make_runtime

from wxbot.archive import ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.errors import IssueNotFound
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime
from wxbot.scheduling import (
    Job,
    ScheduleRefused,
    cancel_job,
    day_quota,
    get_job,
    list_jobs,
    parse_send_time,
    reschedule_job,
    run_due_jobs,
    schedule_send,
    send_now,
)
from wxbot.states import JobState

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: 2026-06-25 07:00 in Shanghai: the evening before the sample issue of the 25th goes out.
START = dt.datetime(2026, 6, 25, 7, 0, tzinfo=SHANGHAI)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start.astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def local(text: str) -> dt.datetime:
    """Return ``YYYY-MM-DD HH:MM`` in Shanghai."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def sched_config(app_config: dict[str, Any], clock: Clock) -> dict[str, Any]:
    return app_config | {"clock": clock, "schedule": {"daily_quota": 1, "min_lead": 300}}


@pytest.fixture
def rt(sched_config: dict[str, Any]) -> Iterator[Runtime]:
    runtime = make_runtime(sched_config)
    ingest_paths(runtime, sample_issues())
    yield runtime
    runtime.close()


@pytest.fixture
def run(rt: Runtime) -> Callable[..., Result]:
    def invoke(*args: str) -> Result:
        env = CliEnv.over(rt)  # the same clock and database as the test
        return CliRunner().invoke(cli, list(args), obj=env, catch_exceptions=False)

    return invoke


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-26 08:00", "2026-06-26T00:00:00+00:00"),
        ("2026-06-26T08:00", "2026-06-26T00:00:00+00:00"),
        ("2026-06-26T08:00:00+08:00", "2026-06-26T00:00:00+00:00"),
        ("2026-06-26T00:00Z", "2026-06-26T00:00:00+00:00"),
        ("2026-06-26T09:30+09:00", "2026-06-26T00:30:00+00:00"),
        (" 2026-06-26 08:00 ", "2026-06-26T00:00:00+00:00"),
    ],
)
def test_parse_send_time(text: str, expected: str) -> None:
    assert parse_send_time(text, SHANGHAI).isoformat() == expected


@pytest.mark.parametrize("text", ["tomorrow", "2026-06-26 25:00", "08:00", ""])
def test_parse_send_time_refuses_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_send_time(text, SHANGHAI)


def test_schedule_stores_a_job(rt: Runtime) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    assert (job.state, job.issue_id, job.tag_id, job.audience) == (
        JobState.SCHEDULED,
        "2026-06-25",
        None,
        "everyone",
    )
    assert job.send_at == dt.datetime(2026, 6, 25, 0, 0, tzinfo=dt.UTC)
    assert job.clientmsgid.startswith(f"wxbot-job{job.id}-")
    assert len(job.clientmsgid.encode()) <= 64
    assert list_jobs(rt) == [job]


def test_clientmsgids_differ_between_jobs(rt: Runtime) -> None:
    first = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"), tag_id=100)
    second = schedule_send(rt, "2026-06-13", local("2026-06-26 08:00"), tag_id=100)
    assert first.clientmsgid != second.clientmsgid


def schedule_spec(rt: Runtime, spec: str) -> Job:
    """Schedule ``"MM-DD at MM-DD HH:MM [tag N]"``: an issue of 2026, when, and an audience."""
    issue, _, rest = spec.partition(" at ")
    when, _, tag = rest.partition(" tag ")
    return schedule_send(
        rt, f"2026-{issue}", local(f"2026-{when}"), tag_id=int(tag) if tag else None
    )


@pytest.mark.parametrize(
    ("config", "earlier", "spec", "outcome"),
    [
        # a time in the past, or closer than min_lead (the clock says 06-25 07:00)
        ({}, [], "06-25 at 06-25 06:59", "past"),
        ({}, [], "06-25 at 06-25 07:04", "too_soon"),
        ({}, [], "06-25 at 06-25 07:05", JobState.SCHEDULED),
        ({"min_lead": 3600}, [], "06-25 at 06-25 07:59", "too_soon"),
        ({"min_lead": 0}, [], "06-25 at 06-25 07:00", JobState.SCHEDULED),
        # the day's quota, counted in Shanghai time, tag sends included
        ({}, ["06-13 at 06-25 08:00"], "06-25 at 06-25 23:59", "quota"),
        ({}, ["06-13 at 06-26 00:00"], "06-25 at 06-26 23:59 tag 100", "quota"),
        ({}, ["06-13 at 06-25 23:59"], "06-25 at 06-26 00:00", JobState.SCHEDULED),  # UTC: same day
        ({"daily_quota": 2}, ["06-13 at 06-25 08:00"], "06-25 at 06-25 09:00", JobState.SCHEDULED),
        ({"daily_quota": 2}, ["06-13 at 06-25 08:00", "06-25 at 06-25 08:00"],
         "06-25 at 06-25 23:00 tag 100", "quota"),
        ({"daily_quota": 0}, ["06-13 at 06-25 08:00"], "06-25 at 06-25 09:00", JobState.SCHEDULED),
        # the same issue to the same audience twice; to another audience is fine
        ({"daily_quota": 0}, ["06-25 at 06-25 08:00"], "06-25 at 06-27 08:00", "duplicate"),
        ({"daily_quota": 0}, ["06-25 at 06-25 08:00 tag 100"], "06-25 at 06-26 08:00 tag 100",
         "duplicate"),
        ({"daily_quota": 0}, ["06-25 at 06-25 08:00"], "06-25 at 06-25 09:00 tag 100",
         JobState.SCHEDULED),
    ],
)  # fmt: skip
def test_schedule_rules(
    sched_config: dict[str, Any],
    config: dict[str, Any],
    earlier: list[str],
    spec: str,
    outcome: str,
) -> None:
    sched_config["schedule"] = sched_config["schedule"] | config
    rt = make_runtime(sched_config)
    ingest_paths(rt, sample_issues())
    for other in earlier:
        schedule_spec(rt, other)
    if outcome == JobState.SCHEDULED:
        assert schedule_spec(rt, spec).state == JobState.SCHEDULED
    else:
        with pytest.raises(ScheduleRefused) as refused:
            schedule_spec(rt, spec)
        assert refused.value.reason == outcome, refused.value
        assert len(list_jobs(rt)) == len(earlier)
    rt.db.dispose()


def test_refuses_an_issue_that_fails_the_compliance_check(rt: Runtime, tmp_path: Path) -> None:
    text = (sample_issues()[1]).read_text(encoding="utf-8")
    text = text.replace("2026 年 6 月 25 日", "2026 年 6 月 27 日")
    start = text.index("6月24日，国务院总理")
    end = text.index("\n", start)
    text = text[:end] + ("\n\n" + text[start:end]) * 150 + text[end:]
    path = tmp_path / "2026-06-27.txt"
    path.write_text(text, encoding="utf-8")
    assert [r.status for r in ingest_paths(rt, [path])] == ["added"]
    with pytest.raises(ScheduleRefused, match="fewer than 20,000") as refused:
        schedule_send(rt, "2026-06-27", local("2026-06-27 08:00"))
    assert refused.value.reason == "noncompliant"
    assert list_jobs(rt) == []


def test_refuses_an_issue_not_in_the_archive(rt: Runtime) -> None:
    with pytest.raises(IssueNotFound):
        schedule_send(rt, "2026-06-30", local("2026-06-30 08:00"))


def test_cancel_frees_the_day_and_the_issue(rt: Runtime) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    assert cancel_job(rt, job.id).state == JobState.CANCELLED
    again = schedule_send(rt, "2026-06-25", local("2026-06-25 09:00"))
    assert [j.state for j in list_jobs(rt)] == [JobState.SCHEDULED, JobState.CANCELLED]
    assert again.clientmsgid != job.clientmsgid


def test_cancel_twice_is_refused(rt: Runtime) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    cancel_job(rt, job.id)
    with pytest.raises(ScheduleRefused, match="is cancelled") as refused:
        cancel_job(rt, job.id)
    assert refused.value.reason == "state"


def test_reschedule_keeps_the_clientmsgid(rt: Runtime) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    moved = reschedule_job(rt, job.id, local("2026-06-25 10:30"))
    assert moved.send_at == local("2026-06-25 10:30").astimezone(dt.UTC)
    assert (moved.state, moved.clientmsgid) == (JobState.SCHEDULED, job.clientmsgid)


@pytest.mark.parametrize(
    ("when", "reason"),
    [("2026-06-25 06:00", "past"), ("2026-06-25 07:01", "too_soon")],
)
def test_reschedule_follows_the_same_time_rules(rt: Runtime, when: str, reason: str) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    with pytest.raises(ScheduleRefused) as refused:
        reschedule_job(rt, job.id, local(when))
    assert refused.value.reason == reason
    assert get_job(rt, job.id).send_at == job.send_at


def test_reschedule_into_a_full_day_is_refused(rt: Runtime) -> None:
    schedule_send(rt, "2026-06-13", local("2026-06-26 08:00"))
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    with pytest.raises(ScheduleRefused) as refused:
        reschedule_job(rt, job.id, local("2026-06-26 09:00"))
    assert refused.value.reason == "quota"
    # within its own day it does not count against itself
    assert reschedule_job(rt, job.id, local("2026-06-25 21:00")).state == JobState.SCHEDULED


def test_a_cancelled_job_cannot_be_rescheduled(rt: Runtime) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    cancel_job(rt, job.id)
    with pytest.raises(ScheduleRefused) as refused:
        reschedule_job(rt, job.id, local("2026-06-25 09:00"))
    assert refused.value.reason == "state"


def test_a_missed_job_can_be_rescheduled(rt: Runtime, clock: Clock) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    clock.advance(hours=3)  # nothing ran from 07:00 to 10:00
    assert [(r.job_id, r.action) for r in run_due_jobs(rt)] == [(job.id, "missed")]
    assert get_job(rt, job.id).state == JobState.MISSED
    moved = reschedule_job(rt, job.id, local("2026-06-25 11:00"))
    assert (moved.state, moved.error) == (JobState.SCHEDULED, None)
    assert moved.clientmsgid == job.clientmsgid


def test_cli_schedule_jobs_cancel_reschedule(run: Callable[..., Result]) -> None:
    result = run("schedule", "2026-06-25", "--at", "2026-06-25 08:00")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "scheduled job 1: issue 2026-06-25 to everyone at 2026-06-25 08:00 CST (Asia/Shanghai)\n"
    )
    result = run("schedule", "2026-06-13", "--at", "2026-06-26T08:00+08:00", "--tag", "100")
    assert result.exit_code == 0, result.output
    result = run("reschedule", "1", "--at", "2026-06-25 09:15")
    assert result.exit_code == 0, result.output
    assert "at 2026-06-25 09:15 CST (Asia/Shanghai)" in result.output
    result = run("cancel", "2")
    assert result.exit_code == 0, result.output
    result = run("jobs")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "upcoming:"
    assert lines[1].split()[:6] == [
        "#1", "2026-06-25", "09:15", "CST", "(Asia/Shanghai)", "scheduled"
    ]  # fmt: skip
    assert lines[2] == "past:"
    assert lines[3].split()[:6] == [
        "#2",
        "2026-06-26",
        "08:00",
        "CST",
        "(Asia/Shanghai)",
        "cancelled",
    ]
    result = run("jobs", "1")
    assert result.exit_code == 0, result.output
    assert [line.split()[4] for line in result.output.splitlines()[2:]] == [
        "scheduled",
        "rescheduled",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["schedule", "2026-06-25", "--at", "2026-06-25 06:00"], "is in the past"),
        (["schedule", "2026-06-25", "--at", "soon"], "not a time"),
        (["schedule", "2026-06-30", "--at", "2026-06-30 08:00"], "no issue '2026-06-30'"),
        (["cancel", "9"], "no job 9"),
        (["reschedule", "9", "--at", "2026-06-25 08:00"], "no job 9"),
        (["jobs", "9"], "no job 9"),
    ],
)
def test_cli_refusals_exit_non_zero(
    run: Callable[..., Result], args: list[str], message: str
) -> None:
    result = run(*args)
    assert result.exit_code != 0
    assert message in result.output


def test_cli_jobs_when_there_are_none(run: Callable[..., Result]) -> None:
    result = run("jobs")
    assert result.exit_code == 0, result.output
    assert "no jobs" in result.output


def test_send_now_is_a_job_due_at_once_that_the_next_round_claims(rt: Runtime) -> None:
    job = send_now(rt, "2026-06-25", tag_id=100)  # schedule_send would refuse: min_lead 300
    assert (job.state, job.send_at, job.audience) == (JobState.SCHEDULED, rt.now(), "tag 100")
    with pytest.raises(ScheduleRefused) as refused:
        schedule_send(rt, "2026-06-25", rt.now())
    assert refused.value.reason == "too_soon"
    run_due_jobs(rt)  # no WeChat configured: the claim happens, the send is retried later
    assert get_job(rt, job.id).state is JobState.CLAIMED


@pytest.mark.parametrize(
    ("earlier", "refusal"),
    [
        ("06-13 at 06-25 20:00", "quota"),  # today's one send is taken
        ("06-25 at 06-26 08:00", "duplicate"),  # this issue already goes to everyone
    ],
)
def test_send_now_keeps_the_scheduling_rules(rt: Runtime, earlier: str, refusal: str) -> None:
    schedule_spec(rt, earlier)
    with pytest.raises(ScheduleRefused) as refused:
        send_now(rt, "2026-06-25")
    assert refused.value.reason == refusal


@pytest.mark.parametrize(
    ("quota", "earlier", "left"),
    [
        (1, [], 1),
        (1, ["06-13 at 06-25 20:00"], 0),
        (2, ["06-13 at 06-25 20:00"], 1),
        (2, ["06-13 at 06-26 08:00"], 2),  # tomorrow's send leaves today alone
        (0, ["06-13 at 06-25 20:00"], None),  # no limit
    ],
)
def test_day_quota_counts_as_scheduling_does(
    sched_config: dict[str, Any], quota: int, earlier: list[str], left: int | None
) -> None:
    sched_config["schedule"] = sched_config["schedule"] | {"daily_quota": quota}
    rt = make_runtime(sched_config)
    ingest_paths(rt, sample_issues())
    for spec in earlier:
        schedule_spec(rt, spec)
    today = day_quota(rt)
    assert (today.day, today.allowed, today.left) == (dt.date(2026, 6, 25), quota, left)
    for job in list_jobs(rt):
        cancel_job(rt, job.id)
    assert day_quota(rt).left == (None if quota == 0 else quota)
    rt.db.dispose()
