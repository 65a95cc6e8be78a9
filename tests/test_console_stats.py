"""The console's statistics page and its reads chart: per issue, per account, or how to start."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import requests
from conftest import SAMPLES
from console_support import signed_in_client
from flask.testing import FlaskClient
from PIL import Image

from wxbot.app import create_app
from wxbot.archive import get_issue, ingest_paths
from wxbot.rendering.titles import article_title
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_APPID, SANDBOX_SECRET, SandboxServer
from wxbot.stats import report
from wxbot.stats.chart import reads_chart
from wxbot.stats.collection import collect_each

#: 10:00 China time on 2026-06-30; each sandbox holds a send a day from 2026-06-12 to 06-29.
NOW = dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)
DAYS = [dt.date(2026, 6, 12) + dt.timedelta(days=n) for n in range(18)]
SECOND = {"appid": "wxsecond0000000001", "secret": "second-account-secret-0000000001"}
ISSUE = "2026-06-13"
PAGES = ["/console/stats", "/console/stats/reads.png"]


def clock() -> dt.datetime:
    return NOW


@pytest.fixture
def make_console(
    app_config: dict[str, Any],
    sandbox_factory: Callable[..., SandboxServer],
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> Callable[..., tuple[Runtime, FlaskClient]]:
    """Return a function making accounts on their own sandboxes, with a month of sends each."""

    def make(
        accounts: int = 2, *, collected: bool = True, enabled: bool = True
    ) -> tuple[Runtime, FlaskClient]:
        first = sandbox_factory(clock=clock)
        config = app_config | {
            "wechat": {
                "appid": SANDBOX_APPID,
                "secret": SANDBOX_SECRET,
                "api_base_url": first.base_url,
                "retry_backoff": 0.01,
            },
            "stats": {"look_back_days": len(DAYS), "enabled": enabled},
            "clock": clock,
        }
        sandboxes = [(first, 800)]
        if accounts == 2:
            second = sandbox_factory(clock=clock, token="second-token", **SECOND)
            account = SECOND | {"api_base_url": second.base_url, "display_name": "工业智能算网"}
            config["accounts"] = {"second": account}
            sandboxes.append((second, 300))
        runtime = runtime_factory(config)
        assert all(r.ok for r in ingest_paths(runtime, SAMPLES))
        titles = {
            issue.date: article_title(issue, runtime.settings)
            for issue in (get_issue(runtime, p.stem) for p in SAMPLES)
        }
        sends = [
            {"date": d.isoformat(), "titles": [titles.get(d, f"测试｜{d:%m-%d}")]} for d in DAYS
        ]
        for sandbox, followers in sandboxes:
            requests.post(
                f"{sandbox.base_url}/sandbox/history",
                json={"followers": followers, "sends": sends},
                timeout=10,
            ).raise_for_status()
        if collected:
            assert not collect_each(runtime.accounts()).failed
        client = create_app(runtime).test_client()
        return runtime, client

    return make


def text(response: Any) -> str:
    return response.get_data(as_text=True)  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", PAGES)
def test_a_stranger_is_sent_to_sign_in(
    make_console: Callable[..., tuple[Runtime, FlaskClient]], path: str
) -> None:
    _, client = make_console(accounts=1, collected=False)
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/console/sign-in")
    assert b"PNG" not in response.get_data()


def stats_row(page: str, account: str, issue_id: str) -> list[str]:
    """Return the cells of an issue's row in an account's table, as text."""
    row = page.split(f'id="stats-{account}-{issue_id}">')[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1].split("</td>")[0] for cell in row.split("<td")[1:]]
    return [cell.split(">")[-2].split("<")[0] if "<a " in cell else cell for cell in cells]


def test_each_account_has_its_numbers_per_issue(
    make_console: Callable[..., tuple[Runtime, FlaskClient]],
) -> None:
    runtime, client = make_console()
    page = text(signed_in_client(client, runtime).get("/console/stats"))
    assert '<a href="/console/stats" aria-current="page">Statistics</a>' in page
    assert "<h2>default</h2>" in page
    assert '<h2>工业智能算网 <span class="hint">(second)</span></h2>' in page
    for item in report.account_reports(runtime, since=NOW.date() - dt.timedelta(days=90)):
        issue = next(i for i in item.report.issues if i.issue_id == ISSUE)
        followers = 800 if item.account == "default" else 300
        assert stats_row(page, item.account, ISSUE)[:9] == [
            ISSUE, ISSUE, str(issue.reads), str(issue.readers), str(issue.from_send),
            f"{issue.from_send / followers:.1%}", str(issue.other_readers),
            str(issue.shares), str(issue.favourites),
        ]  # fmt: skip
        topic = item.report.topics[0]
        assert f"<tr><td>{topic.topic}</td><td>{topic.issues}</td><td>{topic.reads}</td>" in page
        assert f"→ {item.report.followers[-1].cumulate_user}" in page
    assert '<img src="/console/stats/reads.png?since=2026-04-01"' in page


@pytest.mark.parametrize(("accounts", "lines"), [(1, "issue"), (2, "account")])
def test_the_chart_is_a_png_with_a_line_per_issue_or_account(
    make_console: Callable[..., tuple[Runtime, FlaskClient]], accounts: int, lines: str
) -> None:
    runtime, client = make_console(accounts)
    editor = signed_in_client(client, runtime)
    response = editor.get("/console/stats/reads.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "private, max-age=600"
    png = response.get_data()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (960, 420) and image.format == "PNG"
    reports = report.account_reports(runtime, since=NOW.date() - dt.timedelta(days=90))
    rows = report.chart_rows(reports)
    if lines == "account":
        assert {r.label for r in rows} == {"default", "工业智能算网"}
    else:
        assert ISSUE in {r.label for r in rows}
    assert png == reads_chart(rows, runtime.settings, width=960, height=420)
    assert SANDBOX_SECRET.encode() not in png and SECOND["secret"].encode() not in png
    page = text(editor.get("/console/stats"))
    assert ("<h2>" in page) is (accounts == 2)


@pytest.mark.parametrize(
    ("enabled", "said"),
    [
        (False, "Reading statistics are off. To collect them, set <code>enabled = true</code>"),
        (True, "Nothing collected yet since 2026-04-01."),
    ],
)
def test_with_nothing_collected_the_page_says_how_to_start(
    make_console: Callable[..., tuple[Runtime, FlaskClient]], enabled: bool, said: str
) -> None:
    runtime, client = make_console(accounts=1, collected=False, enabled=enabled)
    editor = signed_in_client(client, runtime)
    page = text(editor.get("/console/stats"))
    assert said in page and "wxbot stats --collect" in page
    assert "<table" not in page and "<img" not in page
    assert editor.get("/console/stats/reads.png").mimetype == "image/png"  # an empty chart


def test_an_unreadable_since_is_named(
    make_console: Callable[..., tuple[Runtime, FlaskClient]],
) -> None:
    runtime, client = make_console(accounts=1, collected=False)
    response = signed_in_client(client, runtime).get("/console/stats?since=June")
    assert response.status_code == 400
    assert "since: &#39;June&#39; is not a date (YYYY-MM-DD)" in text(response)
