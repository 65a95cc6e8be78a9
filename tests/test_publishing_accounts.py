"""One issue to two official accounts: each sandbox sees its own calls, failures stay apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SAMPLES

from wxbot.archive import ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.cli.publish import for_one_account
from wxbot.publishing import default_clientmsgid
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.scheduling import run_due_jobs, schedule_send
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
    listed = accounts_cli("issues")
    assert listed.exit_code == 0, listed.output
    header, *rows = listed.output.splitlines()
    assert header.split() == ["issue", "rev", "default", SECOND, "summary"]
    states = {row.split()[0]: row.split()[2:4] for row in rows}
    assert states[ISSUE] == ["archived", "drafted"]
    status = accounts_cli("--account", SECOND, "status", ISSUE)
    assert status.exit_code == 0, status.output
    assert [line.split()[:4] for line in status.output.splitlines() if line.startswith("run")] == [
        ["run", "1", "draft", "done"]
    ]
    assert "no publishing runs yet" in accounts_cli("status", ISSUE).output


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


def test_scheduled_sends_on_two_accounts_are_each_sent_once(
    accounts_runtime: Runtime, sandbox: SandboxServer, second_sandbox: SandboxServer
) -> None:
    send_at = accounts_runtime.now() + dt.timedelta(hours=1)
    jobs = [
        schedule_send(accounts_runtime.for_account(name), ISSUE, send_at)
        for name in ("default", SECOND)
    ]
    assert [j.account for j in jobs] == ["default", SECOND]
    assert jobs[0].clientmsgid != jobs[1].clientmsgid
    assert SECOND in jobs[1].clientmsgid

    later = send_at + dt.timedelta(seconds=1)
    worker = accounts_runtime.for_account("default")
    worker = Runtime(**{**worker.__dict__, "clock": lambda: later})
    reports = run_due_jobs(worker)
    assert sorted(r.action for r in reports if r.action == "submitted") == ["submitted"] * 2
    for server, job in ((sandbox, jobs[0]), (second_sandbox, jobs[1])):
        (send,) = server.state.mass_sends
        assert send.clientmsgid == job.clientmsgid
        assert len(calls(server, "message/mass/sendall")) == 1
    assert run_due_jobs(worker) == [] or all(r.action != "submitted" for r in run_due_jobs(worker))
    states = {j.account: j.state for j in _jobs(worker)}
    assert states == {"default": JobState.SUBMITTED, SECOND: JobState.SUBMITTED}


def _jobs(runtime: Runtime) -> list[Any]:
    from wxbot.scheduling import list_jobs

    return list_jobs(runtime)
