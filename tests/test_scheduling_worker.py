"""The worker's steps against the WeChat sandbox, with one clock the test moves for both."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import make_runtime
from test_scheduling_rules import START, Clock, local

from wxbot.app import create_app
from wxbot.archive import ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.cli.schedule import start_in_process
from wxbot.issue_states import dashboard
from wxbot.publishing import on_wechat_event, prepare_issue, send_mass
from wxbot.resources import sample_issues
from wxbot.runtime import Runtime, get_runtime
from wxbot.sandbox import (
    SANDBOX_AES_KEY,
    SANDBOX_APPID,
    SANDBOX_SECRET,
    SANDBOX_TOKEN,
    SandboxServer,
)
from wxbot.sandbox.account import follower_openid
from wxbot.sandbox.state import MassSend
from wxbot.sandbox.testing import EventSink, SandboxApi
from wxbot.scheduling import (
    Job,
    ScheduleRefused,
    StepReport,
    cancel_job,
    get_job,
    job_history,
    reschedule_job,
    run_due_jobs,
    run_worker,
    schedule_send,
)
from wxbot.states import JobState
from wxbot.wechat.events import ArticleUrl, MassSendJobFinish

EDITOR = follower_openid(1)


class Crash(BaseException):
    """A worker dying at a checkpoint (not an Exception, so nothing catches it)."""


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def sandbox(sandbox_factory: Callable[..., SandboxServer], clock: Clock) -> SandboxServer:
    """Return a sandbox on the test's clock, with quota for several sends a day."""
    return sandbox_factory(clock=clock, mass_daily_quota=50)


@pytest.fixture
def config(wechat_config: dict[str, Any], clock: Clock) -> dict[str, Any]:
    return wechat_config | {
        "clock": clock,
        "publish": wechat_config["publish"] | {"preview_openids": [EDITOR]},
        "schedule": {"daily_quota": 0},
    }


@pytest.fixture
def rt(config: dict[str, Any]) -> Iterator[Runtime]:
    runtime = make_runtime(config)
    assert all(r.ok for r in ingest_paths(runtime, sample_issues()))
    yield runtime
    runtime.close()


@pytest.fixture
def runtime_with(config: dict[str, Any]) -> Iterator[Callable[..., Runtime]]:
    """Return a function making a runtime on the test's database with other [schedule] keys."""
    made: list[Runtime] = []

    def make(**schedule: Any) -> Runtime:
        made.append(make_runtime(config | {"schedule": schedule}))
        return made[-1]

    yield make
    for runtime in made:
        runtime.close()


def actions(runtime: Runtime, **kwargs: Any) -> list[tuple[int, str]]:
    """Run one worker step; return (job id, action) for each thing it did."""
    return [(r.job_id, r.action) for r in run_due_jobs(runtime, **kwargs)]


def sends_of(sandbox: SandboxServer, job: Job) -> list[MassSend]:
    """Return the mass sends the sandbox accepted with the job's clientmsgid."""
    return [m for m in sandbox.state.mass_sends if m.clientmsgid == job.clientmsgid]


def events(runtime: Runtime, job: Job) -> list[str]:
    return [entry.event for entry in job_history(runtime, job.id)]


def test_prepares_ahead_then_sends_once_at_the_time(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    assert actions(rt) == []
    clock.advance(minutes=29, seconds=59)
    assert actions(rt) == []
    assert sandbox.state.live_drafts() == []
    clock.advance(seconds=1)  # 07:30: 30 minutes ahead
    assert actions(rt) == [(job.id, "prepared")]
    assert len(sandbox.state.live_drafts()) == 1
    assert [p.touser for p in sandbox.state.previews] == [EDITOR]
    clock.advance(minutes=29, seconds=59)
    assert actions(rt) == []
    assert sandbox.state.mass_sends == []
    clock.advance(seconds=1)  # 08:00
    assert actions(rt) == [(job.id, "submitted")]
    [send] = sends_of(sandbox, job)
    assert (send.is_to_all, send.tag_id) == (True, None)
    job = get_job(rt, job.id)
    assert (job.state, job.msg_id, job.duplicate) == (JobState.SUBMITTED, str(send.msg_id), False)
    assert actions(rt) == []  # nothing more to do until the outcome is due a look
    clock.advance(minutes=1)
    assert actions(rt) == [(job.id, JobState.SENT)]  # from message/mass/get
    assert get_job(rt, job.id).sent_count is None
    # MASSSENDJOBFINISH comes later with the counts and the article URL
    url = sandbox.state.articles[send.article_id].urls[0]
    on_wechat_event(rt, MassSendJobFinish(str(send.msg_id), "send success", 3, 0, 3, 0,
                                          (ArticleUrl(1, url),)))  # fmt: skip
    job = get_job(rt, job.id)
    assert (job.state, job.total_count, job.sent_count, job.error_count, job.article_url) == (
        JobState.SENT, 3, 3, 0, url,
    )  # fmt: skip
    assert f"sent 3/3, errors 0  {url}" in job.describe(rt.tz)
    clock.advance(minutes=1)
    assert actions(rt) == []  # the send's record holds the counts: nothing to copy
    assert len(sandbox.state.mass_sends) == 1
    assert events(rt, job) == ["scheduled", "prepared", "claimed", "submitted", "sent", "sent"]


@pytest.mark.parametrize("event_id", ["msg_id", "msg_data_id"])  # MsgID is not promised
def test_the_event_alone_finishes_a_send(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, event_id: str
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"), tag_id=100)
    assert actions(rt) == [(job.id, "prepared")]  # sooner than prepare_ahead: at once
    clock.advance(minutes=10)
    assert actions(rt) == [(job.id, "submitted")]
    [send] = sends_of(sandbox, job)
    assert (send.is_to_all, send.tag_id) == (False, 100)
    msg_id = str(getattr(send, event_id))
    on_wechat_event(rt, MassSendJobFinish(msg_id, "err(30003)", 1, 0, 0, 1))
    job = get_job(rt, job.id)  # at once: no worker step in between
    assert (job.state, job.total_count, job.error_count) == (JobState.FAILED, 1, 1)
    assert "err(30003)" in (job.error or "")
    clock.advance(minutes=1)
    assert actions(rt) == []
    assert sandbox.log.entries("message/mass/get") == []
    assert events(rt, job)[-2:] == ["submitted", JobState.FAILED]


def test_masssendjobfinish_at_the_callback_finishes_the_job_without_a_poll(
    sandbox_factory: Callable[..., SandboxServer],
    event_sink: EventSink,
    app_config: dict[str, Any],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    clock: Clock,
) -> None:
    sandbox = sandbox_factory(
        clock=clock, mass_daily_quota=50, callback_url=event_sink.url, mass_event_msg_id="msg_id"
    )
    wechat = {
        "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "token": SANDBOX_TOKEN,
        "encoding_aes_key": SANDBOX_AES_KEY, "api_base_url": sandbox.base_url,
        "retry_backoff": 0.01,
    }  # fmt: skip
    # A status poll would come only a day after the send: whatever finishes the job is the event.
    schedule = {"daily_quota": 0, "status_interval": 86400}
    config = app_config | {"clock": clock, "wechat": wechat, "schedule": schedule}
    rt = runtime_factory(config)
    app = create_app(rt)
    assert all(r.ok for r in ingest_paths(rt, sample_issues()))
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)
    assert actions(rt) == [(job.id, "submitted")]
    sandbox.advance(1)  # WeChat finishes the send and POSTs MASSSENDJOBFINISH
    [post] = event_sink.wait(1)
    client = app.test_client()
    for _ in range(2):  # WeChat repeats an event it is unsure arrived: the second changes nothing
        answer = client.post(
            post.path, query_string=post.query, data=post.body, content_type=post.content_type
        )
        assert answer.status_code == 200
    [send] = sends_of(sandbox, job)
    url = sandbox.state.articles[send.article_id].urls[0]
    job = get_job(rt, job.id)
    assert (job.state, job.total_count, job.sent_count, job.error_count, job.article_url) == (
        JobState.SENT, 3, 3, 0, url,
    )  # fmt: skip
    assert events(rt, job) == ["scheduled", "prepared", "claimed", "submitted", "sent"]
    assert actions(rt) == []
    assert sandbox.log.entries("message/mass/get") == []
    env = CliEnv(test_config=config)
    listed = CliRunner().invoke(cli, ["jobs"], obj=env, catch_exceptions=False)
    env.close()
    assert listed.exit_code == 0, listed.output
    assert f"everyone  sent 3/3, errors 0  {url}" in listed.output
    rt.db.dispose()


def test_an_event_naming_no_known_send_has_the_worker_ask_at_once(
    sandbox_factory: Callable[..., SandboxServer],
    event_sink: EventSink,
    app_config: dict[str, Any],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    clock: Clock,
) -> None:
    """As documented, MsgID matches neither msg_id nor msg_data_id: message/mass/get tells."""
    sandbox = sandbox_factory(clock=clock, mass_daily_quota=50, callback_url=event_sink.url)
    wechat = {
        "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "token": SANDBOX_TOKEN,
        "encoding_aes_key": SANDBOX_AES_KEY, "api_base_url": sandbox.base_url,
        "retry_backoff": 0.01,
    }  # fmt: skip
    schedule = {"daily_quota": 0, "status_interval": 86400}  # no poll of its own for a day
    rt = runtime_factory(app_config | {"clock": clock, "wechat": wechat, "schedule": schedule})
    app = create_app(rt)
    assert all(r.ok for r in ingest_paths(rt, sample_issues()))
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)
    assert actions(rt) == [(job.id, "submitted")]
    sandbox.advance(1)
    [post] = event_sink.wait(1)
    answer = app.test_client().post(
        post.path, query_string=post.query, data=post.body, content_type=post.content_type
    )
    assert answer.status_code == 200
    assert get_job(rt, job.id).state == JobState.SUBMITTED  # the event named no send of ours
    assert actions(rt) == [(job.id, JobState.SENT)]  # asked at once, not a day later
    [asked] = sandbox.log.entries("message/mass/get")
    assert asked["request"] == {"msg_id": get_job(rt, job.id).msg_id}
    rt.db.dispose()


def test_an_event_before_the_job_is_recorded_submitted_finishes_it_at_the_next_look(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)

    def event_first(step: str) -> None:  # WeChat's event overtakes the worker's own record
        if step == "after_call":
            [send] = sends_of(sandbox, job)
            on_wechat_event(rt, MassSendJobFinish(str(send.msg_id), "send success", 3, 3, 3, 0))

    assert actions(rt, checkpoint=event_first) == [(job.id, "submitted")]
    assert get_job(rt, job.id).state == JobState.SUBMITTED
    clock.advance(minutes=1)
    assert actions(rt) == [(job.id, JobState.SENT)]  # from the send's record: no poll
    assert sandbox.log.entries("message/mass/get") == []
    assert job_history(rt, job.id)[-1].detail == "sent 3/3, errors 0"


@pytest.mark.parametrize(
    ("late", "outcome", "sends"),
    [
        (dt.timedelta(minutes=29, seconds=59), "submitted", 1),
        (dt.timedelta(minutes=30), "submitted", 1),
        (dt.timedelta(minutes=30, seconds=1), JobState.MISSED, 0),
        (dt.timedelta(days=3), JobState.MISSED, 0),
    ],
)
def test_missed_window(
    rt: Runtime,
    clock: Clock,
    sandbox: SandboxServer,
    late: dt.timedelta,
    outcome: str,
    sends: int,
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    clock.now = job.send_at + late  # nothing ran from 07:00 until now
    assert actions(rt) == [(job.id, outcome)]
    assert len(sandbox.state.mass_sends) == sends
    if outcome == JobState.MISSED:
        job = get_job(rt, job.id)
        assert job.state == JobState.MISSED
        assert "more than max_delay 30 min" in (job.error or "")
        assert actions(rt) == []


def test_a_missed_send_is_a_failure_on_the_dashboard(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    assert dashboard(rt).next_send is not None
    clock.now = job.send_at + dt.timedelta(hours=1)
    assert actions(rt) == [(job.id, JobState.MISSED)]
    board = dashboard(rt)
    (line,) = [line for line in board.lines if line.issue_id == "2026-06-25"]
    assert line.scheduled == "" and line.failed.startswith("scheduled send missed: ")
    assert "more than max_delay 30 min" in line.failed
    (failure,) = board.failures
    assert (failure.issue_id, failure.what) == ("2026-06-25", "scheduled send (missed)")
    assert board.next_send is None


def test_cancelled_before_its_time_is_never_sent(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    cancel_job(rt, job.id)
    clock.advance(minutes=10)
    assert actions(rt) == []
    assert sandbox.state.mass_sends == []


@pytest.mark.parametrize("step", ["before_claim", "after_claim", "during_call", "after_call"])
def test_a_worker_dying_at_any_step_is_followed_by_exactly_one_send(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, step: str
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)

    def die(name: str) -> None:
        if name == step:
            raise Crash(name)

    with pytest.raises(Crash):
        run_due_jobs(rt, worker="a", checkpoint=die)
    clock.advance(minutes=5, seconds=1)  # the dead worker's lease runs out
    assert actions(rt, worker="b") == [(job.id, "submitted")]
    [send] = sends_of(sandbox, job)
    job = get_job(rt, job.id)
    assert (job.state, job.msg_id) == (JobState.SUBMITTED, str(send.msg_id))
    assert actions(rt, worker="c") == []


def test_a_lost_answer_is_retried_with_the_same_clientmsgid(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)
    # WeChat takes the send, then the connection drops before the answer
    sandbox.faults.inject("message/mass/sendall", when="after", drop=True)
    assert actions(rt) == [(job.id, "retry")]
    assert get_job(rt, job.id).state == JobState.CLAIMED
    assert len(sends_of(sandbox, job)) == 1
    # Within the minute WeChat would only answer 45066: the retry is scheduled past it.
    clock.advance(minutes=1)
    assert actions(rt) == []
    clock.advance(seconds=5)
    assert actions(rt) == [(job.id, "submitted")]
    job = get_job(rt, job.id)
    [send] = sends_of(sandbox, job)
    assert (job.msg_id, job.duplicate) == (str(send.msg_id), True)
    errcodes = [e["errcode"] for e in sandbox.log.entries("message/mass/sendall")]
    assert 45066 not in errcodes and errcodes[-1] == 45065


@pytest.mark.parametrize(
    ("errcode", "times", "first", "then"),
    [
        (-1, 1, "retry", "submitted"),  # busy: it may have gone; asked again past the minute
        (45011, 1, "retry", "submitted"),
        (45009, 1, "retry", "submitted"),
        (45028, 1, JobState.FAILED, None),
        (48001, 1, JobState.FAILED, None),
    ],
)
def test_wechat_refusals(
    rt: Runtime,
    clock: Clock,
    sandbox: SandboxServer,
    errcode: int,
    times: int,
    first: str,
    then: str | None,
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)
    sandbox.faults.inject("message/mass/sendall", errcode=errcode, times=times)
    assert actions(rt) == [(job.id, first)]
    assert f"errcode {errcode}" in (get_job(rt, job.id).error or "")
    clock.advance(minutes=1, seconds=5)  # past WeChat's clientmsgid minute after -1
    assert actions(rt) == ([(job.id, then)] if then else [])
    assert len(sends_of(sandbox, job)) == (1 if then else 0)


def test_a_refused_send_can_be_rescheduled_and_a_failed_one_not(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    refused = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    accepted = schedule_send(rt, "2026-06-13", local("2026-06-25 07:10"))
    sandbox.faults.inject("message/mass/sendall", errcode=45028)
    sandbox.faults.fail_mass_send("err(30003)")
    clock.advance(minutes=10)
    assert actions(rt) == [(refused.id, JobState.FAILED), (accepted.id, "submitted")]
    clock.advance(minutes=1)
    assert actions(rt) == [(accepted.id, JobState.FAILED)]
    with pytest.raises(ScheduleRefused, match="schedule a new send instead"):
        reschedule_job(rt, accepted.id, local("2026-06-25 09:00"))
    again = reschedule_job(rt, refused.id, local("2026-06-25 09:00"))
    assert (again.state, again.clientmsgid) == ("scheduled", refused.clientmsgid)
    clock.now = again.send_at
    assert actions(rt) == [(refused.id, "submitted")]
    assert len(sends_of(sandbox, again)) == 1


@pytest.mark.parametrize(
    ("fault", "uncertain"),
    [
        ({"errcode": 45011}, False),  # refused: WeChat did nothing
        ({"drop": True}, True),  # no answer: it may have gone out
    ],
)
def test_retries_stop_at_max_delay(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, fault: dict[str, Any], uncertain: bool
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    clock.advance(minutes=10)
    sandbox.faults.inject("message/mass/sendall", times=1000, **fault)
    # An unanswered call is asked again only past WeChat's clientmsgid minute (45066 sooner).
    pace, elapsed = (65 if uncertain else 60), 0
    while elapsed < 30 * 60:
        assert actions(rt) == [(job.id, "retry")]
        clock.advance(seconds=pace)
        elapsed += pace
    clock.advance(seconds=1)
    assert actions(rt) == [(job.id, JobState.MISSED)]
    error = get_job(rt, job.id).error or ""
    assert "more than max_delay 30 min; last error: WeChat message/mass/sendall" in error
    assert ("check 群发记录" in error) is uncertain
    assert sandbox.state.mass_sends == []


def test_a_draft_deleted_in_the_console_is_made_again(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    [draft] = sandbox.state.live_drafts()
    assert sandbox_api.post("draft/delete", {"media_id": draft.media_id})["errcode"] == 0
    clock.advance(minutes=10)
    # 40007: the draft is made again and the send retried once, in the same step.
    assert actions(rt) == [(job.id, "submitted")]
    [send] = sends_of(sandbox, job)
    assert send.media_id != draft.media_id
    errcodes = [e["errcode"] for e in sandbox.log.entries("message/mass/sendall")]
    assert errcodes[0] == 40007 and len(errcodes) == 2


def test_a_failed_preparation_is_reported_and_tried_again(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 08:00"))
    clock.advance(minutes=30)
    sandbox.faults.inject("draft/add", errcode=40097)
    assert actions(rt) == [(job.id, "prepare_failed")]
    assert "errcode 40097" in (get_job(rt, job.id).prepare_error or "")
    assert "errcode 40097" in get_job(rt, job.id).describe(rt.tz)
    assert actions(rt) == []  # not before retry_interval
    clock.advance(minutes=1)
    assert actions(rt) == [(job.id, "prepared")]
    assert get_job(rt, job.id).prepare_error is None


def test_an_issue_changed_after_preparation_is_prepared_again(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, tmp_path: Path
) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    assert actions(rt) == [(job.id, "prepared")]
    changed = tmp_path / "2026-06-25.txt"
    text = sample_issues()[1].read_text(encoding="utf-8")
    changed.write_text(text.replace("规模化创新", "规模化创新（修订）", 1), encoding="utf-8")
    assert [r.status for r in ingest_paths(rt, [changed])] == ["replaced"]
    assert actions(rt) == [(job.id, "prepared")]
    [draft] = sandbox.state.live_drafts()
    assert "规模化创新（修订）" in draft.articles[0]["content"]
    clock.advance(minutes=10)
    assert actions(rt) == [(job.id, "submitted")]
    [send] = sends_of(sandbox, get_job(rt, job.id))
    assert send.media_id == draft.media_id


def test_a_tag_send_consumes_the_draft_and_the_next_job_makes_it_again(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    """A tag send is a 群发 too: "被群发或发布后，该素材将从草稿箱中移除"."""
    sandbox.account.add_tag(101, "读者")
    first = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"), tag_id=100)
    second = schedule_send(rt, "2026-06-25", local("2026-06-25 07:20"), tag_id=101)
    assert actions(rt) == [(first.id, "prepared")]
    assert "prepared" in events(rt, second)
    clock.advance(minutes=20)
    assert sorted(actions(rt)) == [(first.id, "submitted"), (second.id, "submitted")]
    assert len({m.media_id for m in sandbox.state.mass_sends}) == 2
    assert 40007 not in [e["errcode"] for e in sandbox.log.entries("message/mass/sendall")]


def test_one_worker_at_a_time_makes_and_sends_an_issues_draft(
    rt: Runtime, clock: Clock, sandbox: SandboxServer
) -> None:
    """Each send consumes the draft: a second worker waits, then makes a draft of its own."""
    sandbox.account.add_tag(101, "读者")
    first = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"), tag_id=100)
    second = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"), tag_id=101)
    assert actions(rt) == [(first.id, "prepared")]
    clock.advance(minutes=10)
    meanwhile: list[list[tuple[int, str]]] = []

    def other_worker(step: str) -> None:  # the other worker's step, while this one sends
        if step == "during_call" and not meanwhile:
            meanwhile.append(actions(rt, worker="other"))

    assert actions(rt, worker="one", checkpoint=other_worker) == [(first.id, "submitted")]
    assert meanwhile == [[(second.id, "waiting")]]
    assert actions(rt, worker="other") == [(second.id, "submitted")]
    assert len({m.media_id for m in sandbox.state.mass_sends}) == 2
    assert len(sandbox.log.entries("draft/add")) == 2
    assert [e["errcode"] for e in sandbox.log.entries("message/mass/sendall")] == [0, 0]


def test_a_send_made_directly_uses_the_days_quota(
    rt: Runtime, runtime_with: Callable[..., Runtime], sandbox: SandboxServer
) -> None:
    limited = runtime_with(daily_quota=1)
    prepare_issue(limited, "2026-06-13")
    send_mass(limited, "2026-06-13", clientmsgid="by-hand-1")
    with pytest.raises(ScheduleRefused, match="1 made directly") as refused:
        schedule_send(limited, "2026-06-25", local("2026-06-25 20:00"))
    assert refused.value.reason == "quota"
    assert schedule_send(limited, "2026-06-25", local("2026-06-26 08:00")).state == "scheduled"


def test_run_worker_loop_sends_and_stops(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, runtime_with: Callable[..., Runtime]
) -> None:
    fast = runtime_with(daily_quota=0, poll_interval=0.02)
    job = schedule_send(fast, "2026-06-25", local("2026-06-25 07:10"))
    clock.advance(minutes=10)
    stop, submitted = threading.Event(), threading.Event()
    seen: list[str] = []

    def report(item: StepReport) -> None:
        seen.append(item.action)
        if item.action == "submitted":
            submitted.set()

    thread = threading.Thread(
        target=run_worker, args=(fast,), kwargs={"stop_event": stop, "on_report": report}
    )
    thread.start()
    assert submitted.wait(timeout=20), seen
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert seen == ["submitted"]  # prepared on the way: the send was due at once
    assert len(sends_of(sandbox, job)) == 1


def test_the_serve_process_runs_the_scheduler_when_configured(
    rt: Runtime, clock: Clock, sandbox: SandboxServer, config: dict[str, Any]
) -> None:
    off = create_app(make_runtime(config | {"schedule": {"in_process": False}}))
    on = create_app(make_runtime(config | {"schedule": {"daily_quota": 0, "poll_interval": 0.02}}))
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    clock.advance(minutes=10)
    stop = None
    try:
        assert start_in_process(off) is None
        assert not [t for t in threading.enumerate() if t.name == "wxbot-scheduler"]
        stop = start_in_process(on)
        assert stop is not None
        [thread] = [t for t in threading.enumerate() if t.name == "wxbot-scheduler"]
        deadline = time.monotonic() + 20
        while get_job(rt, job.id).msg_id is None and time.monotonic() < deadline:
            time.sleep(0.02)
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive()
        assert len(sends_of(sandbox, job)) == 1
    finally:
        if stop is not None:
            stop.set()
        get_runtime(on).close()
        get_runtime(off).close()


def test_cli_worker_once(rt: Runtime, clock: Clock, config: dict[str, Any]) -> None:
    job = schedule_send(rt, "2026-06-25", local("2026-06-25 07:10"))
    clock.advance(minutes=10)
    env = CliEnv(test_config=config)
    result = CliRunner().invoke(cli, ["worker", "--once"], obj=env, catch_exceptions=False)
    env.close()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"job {job.id} (2026-06-25): submitted  msg_id ")
    assert get_job(rt, job.id).state == JobState.SUBMITTED


def test_cli_worker_refuses_an_unknown_crash_step(
    config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WXBOT_TEST_CRASH_AT", "during_lunch")
    env = CliEnv(test_config=config)
    result = CliRunner().invoke(cli, ["worker", "--once"], obj=env, catch_exceptions=False)
    env.close()
    assert result.exit_code != 0
    assert "WXBOT_TEST_CRASH_AT='during_lunch'" in result.output
