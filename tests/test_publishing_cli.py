"""``wxbot publish``, ``wxbot status`` and ``wxbot sync`` against the sandbox."""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result

from wxbot.cli.publish import resume_hint
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.sandbox.account import follower_openid
from wxbot.sandbox.testing import SandboxApi
from wxbot.wechat import WeChatError, explain

ISSUE = "2026-06-13"
SHANGHAI = ZoneInfo("Asia/Shanghai")
Cli = Callable[..., Result]


def test_publish_prints_a_line_per_step(wechat_cli: Cli, sandbox: SandboxServer) -> None:
    result = wechat_cli("publish", ISSUE, "--mode", "publish", "--preview-to", follower_openid(1))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "render", "lint", "upload", "draft", "preview", "submit", "wait",
    ]  # fmt: skip
    (published,) = sandbox.state.articles.values()
    assert lines[-1] == f"done: published: {published.urls[0]}"


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--mode", "publish", "--preview-to", follower_openid(1)],
        ["--preview-wxname", "editor 1"],
    ],
)
def test_a_failed_step_is_explained_with_the_full_command_to_resume(
    wechat_cli: Cli, sandbox: SandboxServer, options: list[str]
) -> None:
    sandbox.faults.inject("draft/add", errcode=45009)
    failed = wechat_cli("publish", ISSUE, *options)
    assert failed.exit_code == 1, failed.output
    assert f"draft    failed   WeChat draft/add: {explain(45009)}" in failed.output
    command = shlex.join(["wxbot", "publish", ISSUE, *options])
    assert f"run `{command}` again to resume" in failed.output
    resumed = wechat_cli(*shlex.split(command)[1:])
    assert resumed.exit_code == 0, resumed.output
    assert "upload   skipped  3 files, all already on WeChat" in resumed.output


def test_status_shows_the_history(wechat_cli: Cli, sandbox: SandboxServer) -> None:
    assert "no publishing runs yet" in wechat_cli("status", ISSUE).output
    sandbox.faults.inject("freepublish/submit", errcode=53503)
    assert wechat_cli("publish", ISSUE, "--mode", "publish").exit_code == 1
    assert wechat_cli("publish", ISSUE, "--mode", "publish").exit_code == 0
    shown = wechat_cli("status", ISSUE)
    assert shown.exit_code == 0, shown.output
    (published,) = sandbox.state.articles.values()
    assert shown.output.splitlines()[0] == f"{ISSUE}  article: {published.urls[0]}"
    runs = [line.split()[:4] for line in shown.output.splitlines() if line.startswith("run ")]
    assert runs == [["run", "1", "publish", "failed"], ["run", "2", "publish", "done"]]
    assert "  submit   failed   WeChat freepublish/submit: WeChat's publish check" in shown.output
    assert "  upload   skipped  3 files, all already on WeChat" in shown.output


def test_sync_reports_how_many_urls_it_filled_in(wechat_cli: Cli, sandbox: SandboxServer) -> None:
    assert wechat_cli("publish", ISSUE).exit_code == 0
    media_id = next(iter(sandbox.state.drafts))
    SandboxApi(sandbox.base_url).post("freepublish/submit", {"media_id": media_id})  # by hand
    sandbox.advance(1)
    result = wechat_cli("sync")
    assert result.exit_code == 0, result.output
    assert result.output == "0 mass sends finished; 1 article URLs added or changed\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tag", "100"], "--tag only applies to --mode mass"),
        (["--preview-to", "o1", "--preview-wxname", "ed"], "not both"),
        (["--mode", "push"], "'push' is not one of"),
    ],
)
def test_bad_options_are_usage_errors(
    wechat_cli: Cli, sandbox: SandboxServer, args: list[str], message: str
) -> None:
    result = wechat_cli("publish", ISSUE, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert sandbox.log.entries() == []


def test_an_unknown_issue_is_named(wechat_cli: Cli) -> None:
    result = wechat_cli("publish", "2020-01-01")
    assert result.exit_code == 1
    assert "error: no issue '2020-01-01' in the archive" in result.output


def test_no_mass_send_quota_says_when_a_rerun_can_succeed(
    wechat_cli: Cli, sandbox: SandboxServer
) -> None:
    assert wechat_cli("publish", "2026-06-25", "--mode", "mass").exit_code == 0
    editor = follower_openid(1)
    refused = wechat_cli("publish", ISSUE, "--mode", "mass", "--preview-to", editor)
    assert refused.exit_code == 1, refused.output
    assert f"WeChat message/mass/sendall: {explain(45028)}" in refused.output
    tomorrow = (dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).date()
    assert (
        "today's mass-send quota is used up, so running it again cannot succeed before "
        f"{tomorrow} 00:00 CST (Asia/Shanghai): "
        f"run `wxbot publish {ISSUE} --mode mass --preview-to {editor}` then, "
        f"or schedule it: `wxbot schedule {ISSUE} --at '{tomorrow} "
    ) in refused.output
    assert "again to resume" not in refused.output


@pytest.mark.parametrize(
    ("now", "errcode", "hint"),
    [
        ("2026-06-13T21:30:00+08:00", 45028, "before 2026-06-14 00:00 CST (Asia/Shanghai): run "
         "`wxbot publish X --mode mass` then, or schedule it: `wxbot schedule X --at "
         "'2026-06-14 21:30'`"),
        # 01:30 UTC on the 13th is already 09:30 on the 13th in Shanghai
        ("2026-06-13T01:30:00+00:00", 45028, "before 2026-06-14 00:00 CST (Asia/Shanghai)"),
        # 17:30 UTC on the 13th is 01:30 on the 14th in Shanghai: the quota lifts on the 15th
        ("2026-06-13T17:30:00+00:00", 45028, "before 2026-06-15 00:00 CST (Asia/Shanghai)"),
        ("2026-06-13T21:30:00+08:00", 45009, "run `wxbot publish X --mode mass` again to resume"),
    ],
)  # fmt: skip
def test_resume_hint(
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    app_config: dict[str, Any],
    now: str,
    errcode: int,
    hint: str,
) -> None:
    moment = dt.datetime.fromisoformat(now)
    runtime = runtime_factory(app_config | {"clock": lambda: moment.astimezone(dt.UTC)})
    error = WeChatError("message/mass/sendall", errcode)
    assert hint in resume_hint(runtime, error, "wxbot publish X --mode mass", "wxbot schedule X")


@pytest.mark.parametrize(
    ("steps", "states"),
    [
        ([], ["archived", "archived"]),
        ([["publish", ISSUE]], ["archived", "drafted"]),
        ([["publish", ISSUE, "--mode", "publish"]], ["archived", "published"]),
        ([["schedule", "2026-06-25", "--at", "TOMORROW"]], ["scheduled", "archived"]),
        ([["publish", ISSUE, "--mode", "publish"], ["publish", "2026-06-25", "--mode", "mass"]],
         ["sent", "published"]),
    ],
)  # fmt: skip
def test_issues_shows_how_far_each_issue_has_gone(
    wechat_cli: Cli, sandbox: SandboxServer, steps: list[list[str]], states: list[str]
) -> None:
    tomorrow = f"{dt.datetime.now(SHANGHAI) + dt.timedelta(days=1):%Y-%m-%d %H:%M}"
    for step in steps:
        done = wechat_cli(*[tomorrow if word == "TOMORROW" else word for word in step])
        assert done.exit_code == 0, done.output
    listing = wechat_cli("issues")
    assert listing.exit_code == 0, listing.output
    rows = [line.split() for line in listing.output.splitlines()]
    assert [(row[0], row[3]) for row in rows] == list(
        zip(["2026-06-25", ISSUE], states, strict=True)
    )
    assert "新质生产力每日动态" not in listing.output  # the series name is not repeated per row


def test_sync_learns_how_a_direct_mass_send_went_without_a_server(
    wechat_cli: Cli, sandbox: SandboxServer
) -> None:
    """No callback server hears MASSSENDJOBFINISH: ``wxbot sync`` asks message/mass/get."""
    assert wechat_cli("publish", ISSUE, "--mode", "mass").exit_code == 0
    (send,) = sandbox.state.mass_sends
    assert f"mass     all msg_id {send.msg_id}: accepted" in wechat_cli("status", ISSUE).output
    sandbox.advance(1)  # WeChat finishes the send; its event reaches no one
    result = wechat_cli("sync")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 mass sends finished;")
    assert f"mass     all msg_id {send.msg_id}: success" in wechat_cli("status", ISSUE).output
    (asked,) = sandbox.log.entries("message/mass/get")
    assert asked["request"] == {"msg_id": str(send.msg_id)}  # a string, as documented
    assert wechat_cli("sync").output.startswith("0 mass sends finished;")  # nothing left
