"""What an editor sees: ``wxbot stats`` per issue, topic and followers; the reads chart as a PNG."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from click.testing import CliRunner, Result
from conftest import SAMPLES
from PIL import Image

from wxbot.archive import get_issue, ingest_paths
from wxbot.cli import cli
from wxbot.cli.context import CliEnv
from wxbot.publishing import publish_issue
from wxbot.reading_numbers import READ_FIELDS, ArticleTotal
from wxbot.rendering.titles import article_title
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.stats import report
from wxbot.stats.chart import reads_chart
from wxbot.stats.collection import collect, collect_each
from wxbot.wechat import WeChatApi

#: 10:00 China time on 2026-06-30; the sandbox holds a send a day from 2026-06-12 to 06-29.
NOW = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2026, 6, 12) + dt.timedelta(days=n) for n in range(18)]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Clock:
    """A clock the test moves; the sandbox and wxbot share it."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def config_for(app_config: dict[str, Any], sandbox: SandboxServer, clock: Clock) -> dict[str, Any]:
    return app_config | {
        "wechat": {
            "appid": SANDBOX_APPID,
            "secret": SANDBOX_SECRET,
            "api_base_url": sandbox.base_url,
            "retry_backoff": 0.01,
        },
        "publish": {"poll_interval": 0.02, "wait_timeout": 5.0},
        "stats": {"look_back_days": len(DAYS)},
        "clock": clock,
    }


@pytest.fixture
def seeded(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> Runtime:
    """Return a runtime on a sandbox that holds 18 days of sends, the samples among them."""
    sandbox = sandbox_factory(clock=Clock(NOW))
    runtime = runtime_factory(config_for(app_config, sandbox, Clock(NOW)))
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    titles = {
        issue.date: article_title(issue, runtime.settings)
        for issue in (get_issue(runtime, p.stem) for p in SAMPLES)
    }
    sends = [{"date": d.isoformat(), "titles": [titles.get(d, f"测试｜{d:%m-%d}")]} for d in DAYS]
    requests.post(
        f"{sandbox.base_url}/sandbox/history",
        json={"followers": 800, "sends": sends},
        timeout=10,
    ).raise_for_status()
    return runtime


@pytest.fixture
def collected(seeded: Runtime) -> Runtime:
    """Return the seeded runtime with its statistics collected."""
    collect(seeded, WeChatApi(seeded))
    return seeded


def test_collect_fetches_the_missing_days_first(seeded: Runtime) -> None:
    output = run_stats(seeded, "--collect").output
    assert output.splitlines()[0] == (
        # A call a day per article endpoint; users in runs of 7, 7 and 4 days, two calls each.
        "collected 18 articles day(s), 18 totals day(s), 18 followers day(s) in 42 call(s)"
    )
    assert "2026-06-13  2026-06-13" in output
    again = run_stats(seeded, "--collect").output.splitlines()[0]
    # Only the sends of the last six days, whose totals are still growing, are asked again.
    assert again == "collected 0 articles day(s), 6 totals day(s), 0 followers day(s) in 6 call(s)"


def run_stats(runtime: Runtime, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["stats", *args], obj=CliEnv.over(runtime))
    assert result.exit_code == 0, result.output
    return result


def test_stats_prints_each_issue_topics_and_followers(collected: Runtime) -> None:
    output = run_stats(collected).output
    built = report.build_report(collected)
    issue = next(i for i in built.issues if i.issue_id == "2026-06-13")
    line = next(line for line in output.splitlines() if line.startswith("2026-06-13"))
    assert line.split()[:7] == [
        "2026-06-13", "2026-06-13", str(issue.reads), str(issue.readers),
        str(issue.from_send), f"{issue.from_send / 800:.1%}", str(issue.other_readers),
    ]  # fmt: skip
    assert article_title(get_issue(collected, "2026-06-13"), collected.settings) in line
    # Sends the archive has no issue for are listed too, unmatched.
    assert sum(line.startswith("- ") for line in output.splitlines()) == len(DAYS) - 2
    topic = built.topics[0]
    assert f"  {topic.topic}: {topic.reads} reads over {topic.issues} issue(s)" in output
    followers = built.followers
    assert f"→ {followers[-1].cumulate_user} (" in output and followers[-1].cumulate_user == 800


def test_stats_for_one_issue_lists_its_days(collected: Runtime) -> None:
    lines = run_stats(collected, "2026-06-25").output.splitlines()
    assert lines[1].startswith("2026-06-25  2026-06-25")
    days = [line.split()[0] for line in lines[2:]]
    assert days == [f"2026-06-{n}" for n in range(25, 30)]  # read daily since the send


def test_since_leaves_out_older_sends(collected: Runtime) -> None:
    output = run_stats(collected, "--since", "2026-06-20").output
    assert "2026-06-25" in output and "2026-06-13" not in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("2026-01-01",), "no statistics for issue 2026-01-01"),
        (("--since", "June"), "Invalid value for '--since'"),
    ],
)
def test_bad_input_is_one_clear_line(
    collected: Runtime, args: tuple[str, ...], message: str
) -> None:
    result = CliRunner().invoke(cli, ["stats", *args], obj=CliEnv.over(collected))
    assert result.exit_code != 0 and message in result.output


def test_plot_writes_a_png_of_the_asked_size(collected: Runtime, tmp_path: Any) -> None:
    target = tmp_path / "reads.png"
    assert f"chart written to {target}" in run_stats(collected, "--plot", str(target)).output
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1200, 600)


def test_the_chart_takes_rows_and_returns_png_bytes(collected: Runtime) -> None:
    rows = report.build_report(collected).daily
    small = reads_chart(rows, collected.settings, width=640, height=320)
    empty = reads_chart([], collected.settings, width=300, height=200)
    with Image.open(io.BytesIO(small)) as image:
        assert image.size == (640, 320) and image.format == "PNG"
        # Lines in colour, not just axes: some pixels are neither grey nor white.
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16) or []
        assert any(len(set(rgb)) > 1 for _, rgb in colours)
    with Image.open(io.BytesIO(empty)) as image:
        assert image.size == (300, 200)


def test_an_issue_sent_by_wxbot_is_matched_by_its_msg_data_id(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    # Sent a week after its date: too late for the title-and-date match, so only the send's
    # msg_data_id can tie the numbers to the issue.
    clock = Clock(dt.datetime(2026, 6, 20, 12, 0, tzinfo=dt.UTC))
    sandbox = sandbox_factory(clock=clock, followers=50)
    runtime = runtime_factory(config_for(app_config, sandbox, clock))
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    assert publish_issue(runtime, "2026-06-13", "mass").status == "done"
    clock.now = dt.datetime(2026, 6, 25, 2, 0, tzinfo=dt.UTC)
    collect(runtime, WeChatApi(runtime))
    (send,) = sandbox.state.mass_sends
    assert send.status == "SEND_SUCCESS"
    (issue,) = report.build_report(runtime).issues
    assert (issue.issue_id, issue.msgids) == ("2026-06-13", [f"{send.msg_data_id}_1"])
    assert issue.target_user == 50 and issue.sent == dt.date(2026, 6, 20)


ISSUES = [
    report.IssueFacts("2026-06-13", dt.date(2026, 6, 13), "六月十三", ("数据要素", "人工智能")),
    report.IssueFacts("2026-06-25", dt.date(2026, 6, 25), "六月廿五", ("人工智能",)),
]


@pytest.mark.parametrize(
    ("msgid", "title", "sent", "issue"),
    [
        ("5001_1", "六月十三", dt.date(2026, 6, 13), "2026-06-13"),  # title, same day
        ("5001_1", "六月十三", dt.date(2026, 6, 15), "2026-06-13"),  # two days later
        ("5001_1", "六月十三", dt.date(2026, 6, 16), None),  # too late for the title
        ("5001_1", "六月十三", dt.date(2026, 6, 12), None),  # before the issue
        ("5001_1", "别的标题", dt.date(2026, 6, 13), None),
        ("7007_2", "别的标题", dt.date(2026, 7, 30), "2026-06-25"),  # wxbot's send, any title
    ],
)
def test_articles_are_matched_by_msg_data_id_else_title_and_date(
    msgid: str, title: str, sent: dt.date, issue: str | None
) -> None:
    assert report.match_issue(msgid, title, sent, {"7007": "2026-06-25"}, ISSUES) == issue


def test_topics_sum_their_issues_reads_by_week(collected: Runtime) -> None:
    def total(msgid: str, sent: dt.date, title: str, reads: int) -> ArticleTotal:
        numbers = dict.fromkeys(READ_FIELDS, 0) | {"int_page_read_count": reads}
        return ArticleTotal(sent, sent, msgid, title, 100, 0, numbers)

    totals = [
        total("1_1", dt.date(2026, 6, 13), "六月十三", 50),  # a Saturday: week of 06-08
        total("2_1", dt.date(2026, 6, 25), "六月廿五", 70),  # week of 06-22
        total("3_1", dt.date(2026, 6, 26), "无关", 999),  # matches no issue: no topic
    ]
    built = report.assemble(totals, [], [], {}, ISSUES)
    assert [(t.topic, t.issues, t.reads, t.by_week) for t in built.topics] == [
        ("人工智能", 2, 120, {dt.date(2026, 6, 8): 50, dt.date(2026, 6, 22): 70}),
        ("数据要素", 1, 50, {dt.date(2026, 6, 8): 50}),
    ]


def test_topics_are_the_configured_keywords_with_their_synonyms(collected: Runtime) -> None:
    settings = collected.settings.updated(
        {"search": {"popular_keywords": ["人工智能", "低空经济"], "synonyms": [["AI", "人工智能"]]}}
    )
    words = report.topic_words(settings)
    assert words == {"人工智能": ("人工智能", "AI"), "低空经济": ("低空经济",)}
    issue = get_issue(collected, "2026-06-13")
    found = report.issue_topics(issue, words)
    text = " ".join(s.heading + "".join(s.paragraphs) for s in issue.sections)
    assert found == tuple(t for t in words if any(w.lower() in text.lower() for w in words[t]))
    assert "人工智能" in found  # the sample speaks of "AI 资产"


# --- Several accounts: a report each, a chart line each ---------------------------------------

SECOND = {"appid": "wxsecond0000000001", "secret": "second-account-secret-0000000001"}


@pytest.fixture
def two_sandboxes(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> tuple[Runtime, SandboxServer]:
    """Return a runtime of two accounts on their own sandboxes, both sending the samples.

    The second account's sandbox comes with it, to inject faults into.
    """
    first = sandbox_factory(clock=Clock(NOW))
    second = sandbox_factory(clock=Clock(NOW), token="second-token", **SECOND)
    config = config_for(app_config, first, Clock(NOW)) | {
        "accounts": {
            "second": SECOND | {"api_base_url": second.base_url, "display_name": "工业智能算网"}
        }
    }
    runtime = runtime_factory(config)
    assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
    titles = {
        issue.date: article_title(issue, runtime.settings)
        for issue in (get_issue(runtime, p.stem) for p in SAMPLES)
    }
    for sandbox, followers in ((first, 800), (second, 300)):
        sends = [
            {"date": d.isoformat(), "titles": [titles.get(d, f"测试｜{d:%m-%d}")]} for d in DAYS
        ]
        requests.post(
            f"{sandbox.base_url}/sandbox/history",
            json={"followers": followers, "sends": sends},
            timeout=10,
        ).raise_for_status()
    return runtime, second


@pytest.fixture
def two_accounts(two_sandboxes: tuple[Runtime, SandboxServer]) -> Runtime:
    """Return the runtime of two accounts (nothing collected yet)."""
    return two_sandboxes[0]


def issue_line(output: str, issue_id: str) -> list[str]:
    return next(line for line in output.splitlines() if line.startswith(issue_id)).split()[:7]


def expected_line(issue: report.IssueReads, followers: int) -> list[str]:
    return [
        issue.issue_id or "-", issue.sent.isoformat(), str(issue.reads), str(issue.readers),
        str(issue.from_send), f"{issue.from_send / followers:.1%}", str(issue.other_readers),
    ]  # fmt: skip


def test_all_accounts_collects_and_prints_a_report_per_account(two_accounts: Runtime) -> None:
    output = run_stats(two_accounts, "--collect", "--all-accounts", "2026-06-13").output
    collected = "collected 18 articles day(s), 18 totals day(s), 18 followers day(s) in 42 call(s)"
    assert output.splitlines()[:2] == [f"default: {collected}", f"second: {collected}"]
    first, _, second = output.partition("== 工业智能算网 (second) ==")
    assert "== default ==" in first and second
    numbers = {
        item.account: next(i for i in item.report.issues if i.issue_id == "2026-06-13")
        for item in report.account_reports(two_accounts)
    }
    assert issue_line(first, "2026-06-13") == expected_line(numbers["default"], 800)
    assert issue_line(second, "2026-06-13") == expected_line(numbers["second"], 300)
    assert numbers["default"].reads != numbers["second"].reads

    # --account alone prints that account's report, without headings.
    alone = CliRunner().invoke(
        cli, ["--account", "second", "stats", "2026-06-13"], obj=CliEnv.over(two_accounts)
    )
    assert alone.exit_code == 0, alone.output
    assert "==" not in alone.output
    assert issue_line(alone.output, "2026-06-13") == expected_line(numbers["second"], 300)


@pytest.mark.parametrize("issue_id", [None, "2026-06-25"])
def test_the_plot_of_several_accounts_draws_a_line_per_account(
    two_accounts: Runtime, tmp_path: Any, issue_id: str | None
) -> None:
    collect_each(two_accounts.accounts())
    reports = report.account_reports(two_accounts)
    rows = report.daily_by_account(reports, issue_id)
    per_line: dict[str, int] = {}
    for row in rows:
        per_line[row.label] = per_line.get(row.label, 0) + row.reads
    # One line each, named as editors know the account, summing that account's reads.
    assert per_line == {
        ("default" if item.account == "default" else "工业智能算网"): sum(
            i.reads for i in item.report.issues if issue_id in (None, i.issue_id)
        )
        for item in reports
    }
    target = tmp_path / "reads.png"
    run_stats(two_accounts, "--all-accounts", "--plot", str(target), *filter(None, [issue_id]))
    assert target.read_bytes() == reads_chart(rows, two_accounts.settings)


def test_an_account_that_fails_to_collect_is_named_and_the_others_printed(
    two_sandboxes: tuple[Runtime, SandboxServer],
) -> None:
    runtime, second = two_sandboxes
    second.faults.inject("datacube/getarticlesummary", errcode=45009, skip=3)
    result = CliRunner().invoke(
        cli, ["stats", "--collect", "--all-accounts"], obj=CliEnv.over(runtime)
    )
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("default: collected 18 articles day(s)")
    assert lines[1].startswith("second: not collected: ") and "45009" in lines[1]
    assert "== 工业智能算网 (second) ==" in result.output
    assert result.output.rstrip().endswith("some statistics were not collected (see above)")
    again = run_stats(runtime, "--collect", "--all-accounts").output.splitlines()
    assert again[1].startswith("second: collected 15 articles day(s)")  # from where it stopped
