"""One issue to two official accounts: each sandbox sees its own calls, failures stay apart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SAMPLES
from test_scheduling_rules import START, Clock, local

from wxbot.archive import ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.cli.publish import for_one_account
from wxbot.demo import publish_to_sandbox
from wxbot.publishing import default_clientmsgid
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.scheduling import ScheduleRefused, list_jobs, run_due_jobs, schedule_send
from wxbot.states import JobState
from wxbot.wechat import explain

ISSUE = "2026-06-13"
SECOND = "second"
SECOND_APPID = "wxsecond0000000001"
Cli = Callable[..., Result]


@pytest.fixture
def second_sandbox(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return the sandbox of the second account: its own appid, secret and token."""
    return sandbox_factory(appid=SECOND_APPID, secret="second-secret", token="second-token")


@pytest.fixture
def accounts_config(wechat_config: dict[str, Any], second_sandbox: SandboxServer) -> dict[str, Any]:
    """Return the sandbox configuration with ``[accounts.second]`` on the second sandbox."""
    return wechat_config | {
        "accounts": {
            SECOND: {
                "appid": SECOND_APPID,
                "secret": "second-secret",
                "token": "second-token",
                "api_base_url": second_sandbox.base_url,
            }
        }
    }


@pytest.fixture
def accounts_runtime(
    accounts_config: dict[str, Any], runtime_factory: Callable[[dict[str, Any]], Runtime]
) -> Runtime:
    """Return the default account's runtime of the two-account configuration, samples archived."""
    runtime = runtime_factory(accounts_config)
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    return runtime


@pytest.fixture
def accounts_cli(
    accounts_config: dict[str, Any], accounts_runtime: Runtime
) -> Iterator[Callable[..., Result]]:
    """Return a function running a ``wxbot`` command against the two-account configuration."""
    envs: list[CliEnv] = []

    def run(*args: str) -> Result:
        envs.append(CliEnv(test_config=dict(accounts_config)))
        return CliRunner().invoke(cli, list(args), obj=envs[-1], catch_exceptions=False)

    yield run
    for env in envs:
        env.close()


def calls(server: SandboxServer, path: str) -> list[dict[str, Any]]:
    """Return the calls ``server`` answered on ``path`` without an error."""
    return [e for e in server.log.entries(path) if not e.get("errcode")]


def result_lines(output: str) -> dict[str, str]:
    """Return the last line ``--all-accounts`` printed for each account."""
    lines: dict[str, str] = {}
    for line in output.splitlines():
        name, _, rest = line.partition("  ")
        if name.strip() in ("default", SECOND):
            lines[name.strip()] = rest.strip()
    return lines


@pytest.mark.parametrize(
    ("mode", "path"),
    [("publish", "freepublish/submit"), ("mass", "message/mass/sendall")],
)
def test_one_issue_goes_to_both_accounts(
    accounts_cli: Cli,
    sandbox: SandboxServer,
    second_sandbox: SandboxServer,
    mode: str,
    path: str,
) -> None:
    result = accounts_cli("publish", ISSUE, "--mode", mode, "--all-accounts")
    assert result.exit_code == 0, result.output
    for server in (sandbox, second_sandbox):
        assert len(server.state.drafts) == 1
        assert len(calls(server, "draft/add")) == 1
        assert len(calls(server, path)) == 1
    lines = result_lines(result.output)
    if mode == "publish":
        (first_article,) = sandbox.state.articles.values()
        (second_article,) = second_sandbox.state.articles.values()
        assert lines == {
            "default": f"done: published: {first_article.urls[0]}",
            SECOND: f"done: published: {second_article.urls[0]}",
        }
        # The issue's one link (archive, follower search) is the default account's article.
        status = accounts_cli("--account", SECOND, "status", ISSUE).output
        assert status.splitlines()[0] == f"{ISSUE}  article: {first_article.urls[0]}"
    else:
        (first_send,) = sandbox.state.mass_sends
        (second_send,) = second_sandbox.state.mass_sends
        assert lines == {
            "default": f"done: sent to all: msg_id {first_send.msg_id}",
            SECOND: f"done: sent to all: msg_id {second_send.msg_id}",
        }
        assert first_send.clientmsgid == default_clientmsgid(ISSUE, "all", 1)
        assert second_send.clientmsgid == default_clientmsgid(ISSUE, "all", 1, SECOND)
        assert first_send.clientmsgid != second_send.clientmsgid


@pytest.mark.parametrize(
    ("faulty", "path"),
    [
        ("default", "draft/add"),
        (SECOND, "draft/add"),
        (SECOND, "message/mass/sendall"),
    ],
)
def test_a_fault_on_one_account_leaves_the_other_done_and_it_resumes_alone(
    accounts_cli: Cli,
    sandbox: SandboxServer,
    second_sandbox: SandboxServer,
    faulty: str,
    path: str,
) -> None:
    bad, good = (sandbox, second_sandbox) if faulty == "default" else (second_sandbox, sandbox)
    bad.faults.inject(path, errcode=45009)
    failed = accounts_cli("publish", ISSUE, "--mode", "mass", "--all-accounts")
    assert failed.exit_code == 1, failed.output
    other = SECOND if faulty == "default" else "default"
    lines = result_lines(failed.output)
    assert lines[other].startswith("done: sent to all: msg_id ")
    resume = f"wxbot --account {faulty} publish {ISSUE} --mode mass"
    assert lines[faulty].startswith(f"failed: WeChat {path}: {explain(45009)}")
    assert lines[faulty].endswith(f"; run `{resume}` again to resume")
    assert len(good.state.mass_sends) == 1 and not bad.state.mass_sends
    good_log = len(good.log.entries())

    resumed = accounts_cli(*resume.split()[1:])
    assert resumed.exit_code == 0, resumed.output
    assert "upload   skipped  3 files, all already on WeChat" in resumed.output
    assert len(bad.state.mass_sends) == 1
    assert len(calls(bad, "message/mass/sendall")) == 1
    assert len(good.log.entries()) == good_log  # the account that was done heard nothing

    again = accounts_cli("publish", ISSUE, "--mode", "mass", "--all-accounts")
    assert again.exit_code == 0, again.output
    assert set(result_lines(again.output).values()) == {"done: already sent to all"}
    assert len(sandbox.state.mass_sends) == len(second_sandbox.state.mass_sends) == 1


def test_status_and_the_issue_list_show_each_account(
    accounts_cli: Cli, sandbox: SandboxServer, second_sandbox: SandboxServer
) -> None:
    assert accounts_cli("--account", SECOND, "publish", ISSUE).exit_code == 0
    assert accounts_cli("publish", "2026-06-25", "--mode", "mass").exit_code == 0
    listed = accounts_cli("issues")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.splitlines()
    assert header.split() == ["issue", "rev", "default", SECOND, "summary"]
    states = {row.split()[0]: row.split()[3:5] for row in rows}
    assert states == {ISSUE: ["archived", "drafted"], "2026-06-25": ["sent", "archived"]}
    alone = accounts_cli("--account", SECOND, "issues")
    assert {row.split()[0]: row.split()[3] for row in alone.output.splitlines()} == {
        ISSUE: "drafted", "2026-06-25": "archived",
    }  # fmt: skip
    status = accounts_cli("--account", SECOND, "status", ISSUE)
    assert status.exit_code == 0, status.output
    assert [line.split()[:4] for line in status.output.splitlines() if line.startswith("run")] == [
        ["run", "1", "draft", "done"]
    ]
    assert "no publishing runs yet" in accounts_cli("status", ISSUE).output
    both = accounts_cli("status", ISSUE, "--all-accounts")
    assert both.exit_code == 0, both.output
    heads = [
        line for line in both.output.splitlines() if line.startswith(("account", "run", "no "))
    ]
    assert [h.split()[:2] for h in heads] == [
        ["account", "default:"], ["no", "publishing"], ["account", f"{SECOND}:"], ["run", "1"],
    ]  # fmt: skip
    assert f"try `wxbot publish {ISSUE}`" in both.output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("wxbot publish X --all-accounts", "wxbot --account b publish X"),
        ("wxbot --config c.toml publish X --mode mass --all-accounts", None),
        ("wxbot --account a publish X --all-accounts", "wxbot --account b publish X"),
    ],
)
def test_the_command_for_one_account(command: str, expected: str | None) -> None:
    want = expected or "wxbot --account b --config c.toml publish X --mode mass"
    assert for_one_account(command, "b") == want


def test_both_options_are_refused(accounts_cli: Cli, sandbox: SandboxServer) -> None:
    result = accounts_cli("--account", SECOND, "publish", ISSUE, "--all-accounts")
    assert result.exit_code == 2, result.output
    assert "give --account NAME or --all-accounts, not both" in result.output
    result = accounts_cli("publish", ISSUE, "--all-accounts", "--preview-to", "o1")
    assert result.exit_code == 2, result.output
    assert "--preview-to names a follower of one account" in result.output
    assert sandbox.log.entries() == []


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def clocked_config(
    app_config: dict[str, Any], sandbox_factory: Callable[..., SandboxServer], clock: Clock
) -> tuple[dict[str, Any], SandboxServer, SandboxServer]:
    """Return a two-account configuration on two sandboxes that share the test's clock."""
    first = sandbox_factory(clock=clock, mass_daily_quota=50)
    second = sandbox_factory(
        clock=clock, mass_daily_quota=50, appid=SECOND_APPID, secret="second-secret",
        token="second-token",
    )  # fmt: skip
    config = app_config | {
        "clock": clock,
        "wechat": {
            "appid": SANDBOX_APPID, "secret": SANDBOX_SECRET, "api_base_url": first.base_url,
            "retry_backoff": 0.01,
        },
        "accounts": {
            SECOND: {"appid": SECOND_APPID, "secret": "second-secret",
                     "api_base_url": second.base_url},
        },
        "schedule": {"daily_quota": 1},
    }  # fmt: skip
    return config, first, second


@pytest.mark.parametrize(
    ("how", "fault"),
    [
        ("--all-accounts", None),
        ("--account each", None),
        ("--all-accounts", "draft/add"),
        ("--all-accounts", "message/mass/sendall"),
    ],
)
def test_scheduled_sends_on_two_accounts_are_each_sent_once(
    clocked_config: tuple[dict[str, Any], SandboxServer, SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    clock: Clock,
    how: str,
    fault: str | None,
) -> None:
    """Each account's job sends once; a fault on one (then retried) leaves the other sent."""
    config, first, second = clocked_config
    runtime = runtime_factory(config)
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    at = ["schedule", ISSUE, "--at", "2026-06-25 08:00"]
    commands = (
        [[*at, "--all-accounts"]] if how == "--all-accounts" else
        [["--account", name, *at] for name in ("default", SECOND)]
    )  # fmt: skip
    for args in commands:
        env = CliEnv(test_config=dict(config))
        result = CliRunner().invoke(cli, args, obj=env, catch_exceptions=False)
        env.close()
        assert result.exit_code == 0, result.output
    jobs = {j.account: j for j in list_jobs(runtime)}
    assert set(jobs) == {"default", SECOND}
    assert jobs["default"].clientmsgid != jobs[SECOND].clientmsgid
    assert jobs[SECOND].clientmsgid.startswith(f"{SECOND}-job")
    # Each account's quota (1 a day) holds its own job; the same issue again is a duplicate.
    for name, reason in (("default", "duplicate"), (SECOND, "duplicate")):
        with pytest.raises(ScheduleRefused) as refused:
            schedule_send(runtime.for_account(name), ISSUE, local("2026-06-25 09:00"))
        assert refused.value.reason == reason
    with pytest.raises(ScheduleRefused, match=f"account {SECOND} allows 1 a day"):
        schedule_send(runtime.for_account(SECOND), "2026-06-25", local("2026-06-25 09:00"))

    clock.advance(hours=1)  # 08:00
    if fault is not None:
        second.faults.inject(fault, errcode=45009)  # the API's daily quota: "not now"
        done = {r.job_id: r.action for r in run_due_jobs(runtime)}
        assert done == {jobs["default"].id: "submitted", jobs[SECOND].id: "retry"}
        assert len(first.state.mass_sends) == 1 and second.state.mass_sends == []
        clock.advance(seconds=runtime.settings.schedule.retry_interval.total_seconds())
        done = {r.job_id: r.action for r in run_due_jobs(runtime)}
    else:
        done = {r.job_id: r.action for r in run_due_jobs(runtime)}
        assert done[jobs["default"].id] == "submitted"
    assert done[jobs[SECOND].id] == "submitted"
    for server, job in ((first, jobs["default"]), (second, jobs[SECOND])):
        (send,) = server.state.mass_sends
        assert send.clientmsgid == job.clientmsgid
        assert len(calls(server, "message/mass/sendall")) == 1
    assert [r for r in run_due_jobs(runtime) if r.action == "submitted"] == []
    clock.advance(minutes=1)
    run_due_jobs(runtime)
    assert {j.account: j.state for j in list_jobs(runtime)} == {
        "default": JobState.SENT, SECOND: JobState.SENT,
    }  # fmt: skip
    assert len(first.state.mass_sends) == len(second.state.mass_sends) == 1


def test_the_demo_publishes_to_every_account(
    accounts_runtime: Runtime, sandbox: SandboxServer, second_sandbox: SandboxServer
) -> None:
    steps: list[str] = []
    record = publish_to_sandbox(accounts_runtime, ISSUE, progress=lambda s: steps.append(s.detail))
    (article,) = sandbox.state.articles.values()
    assert (record.account, record.article_url) == ("default", article.urls[0])
    assert len(second_sandbox.state.articles) == 1
    assert {d.split("]")[0] + "]" for d in steps} == {"[default]", f"[{SECOND}]"}


def test_scheduling_on_every_account_reports_each_and_one_refusal_leaves_the_others(
    clocked_config: tuple[dict[str, Any], SandboxServer, SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    config, _first, _second = clocked_config
    runtime = runtime_factory(config)
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    taken = schedule_send(runtime.for_account(SECOND), ISSUE, local("2026-06-25 08:00"))
    env = CliEnv(test_config=dict(config))
    args = ["schedule", ISSUE, "--at", "2026-06-25 09:00", "--all-accounts"]
    result = CliRunner().invoke(cli, args, obj=env, catch_exceptions=False)
    env.close()
    assert result.exit_code == 1, result.output
    default_line, second_line = result.output.splitlines()
    assert default_line.startswith("default: scheduled job ")
    assert second_line.startswith(f"{SECOND}: not scheduled: issue {ISSUE} to everyone on ")
    assert f"already has job {taken.id}" in second_line
    assert sorted(j.account for j in list_jobs(runtime)) == ["default", SECOND]
    for args, shown in ((["jobs"], ["default", SECOND]), (["--account", SECOND, "jobs"], [SECOND])):
        env = CliEnv(test_config=dict(config))
        listed = CliRunner().invoke(cli, args, obj=env, catch_exceptions=False)
        env.close()
        assert listed.exit_code == 0, listed.output
        jobs = [line.split() for line in listed.output.splitlines() if line.startswith("  #")]
        assert sorted(words[6] for words in jobs) == shown, listed.output
