"""The sandbox's 数据统计 endpoints: documented fields, windows, errors; numbers from its sends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi

#: 10:00 China time on 2026-07-10: yesterday is 2026-07-09.
NOW = dt.datetime(2026, 7, 10, 2, 0, tzinfo=dt.UTC)
YESTERDAY = "2026-07-09"


def datacube(sandbox: SandboxServer, name: str, begin: Any, end: Any) -> dict[str, Any]:
    """POST a date range to https://api.weixin.qq.com/datacube/<name>, as WeChat serves it."""
    response = requests.post(
        f"{sandbox.base_url}/datacube/{name}",
        params={"access_token": SandboxApi(sandbox.base_url).token},
        json={"begin_date": begin, "end_date": end},
        timeout=10,
    )
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def cube(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return a sandbox at NOW with 1,000 followers and two past sends (one of two articles)."""
    sandbox = sandbox_factory(clock=lambda: NOW)
    answer = requests.post(
        f"{sandbox.base_url}/sandbox/history",
        json={
            "followers": 1000,
            "sends": [
                {"date": "2026-07-01", "titles": ["第一期", "第一期附录"]},
                {"date": "2026-07-08", "titles": ["第二期"]},
            ],
        },
        timeout=10,
    ).json()
    assert answer["followers"] == 1000 and len(answer["msg_data_ids"]) == 2
    return sandbox


# Doc text for each window, from the pages cited in wxbot/sandbox/datacube.py.
@pytest.mark.parametrize(
    ("name", "begin", "end", "errcode", "rule"),
    [
        # "最大时间跨度" 1: begin_date must equal end_date.
        ("getarticlesummary", "2026-07-01", "2026-07-02", 61501, "最大时间跨度 1"),
        ("getarticletotal", "2026-07-01", "2026-07-02", 61501, "最大时间跨度 1"),
        # "结束日期(最大跨度7天)".
        ("getusersummary", "2026-07-01", "2026-07-08", 61501, "最大时间跨度 7"),
        ("getusercumulate", "2026-07-01", "2026-07-08", 61501, "最大时间跨度 7"),
        # "end_date允许设置的最大值为昨日".
        ("getarticlesummary", "2026-07-10", "2026-07-10", 61501, "最大值为昨日"),
        ("getusersummary", "2026-07-04", "2026-07-10", 61501, "最大值为昨日"),
        ("getusercumulate", "2026-07-05", "2026-07-04", 61501, "before begin_date"),
        # "起始日期(格式yyyy-MM-dd)".
        ("getarticletotal", "2026/07/01", "2026/07/01", 61500, "yyyy-MM-dd"),
        ("getusersummary", "2026-7-1", "2026-07-02", 61500, "yyyy-MM-dd"),
    ],
)
def test_windows_are_enforced_as_documented(
    cube: SandboxServer, name: str, begin: str, end: str, errcode: int, rule: str
) -> None:
    answer = datacube(cube, name, begin, end)
    assert answer["errcode"] == errcode, answer
    assert rule in answer["errmsg"]


@pytest.mark.parametrize(
    ("name", "begin", "end", "days"),
    [
        ("getarticlesummary", YESTERDAY, YESTERDAY, 1),
        ("getusersummary", "2026-07-03", YESTERDAY, 7),
        ("getusercumulate", "2026-07-03", YESTERDAY, 7),
    ],
)
def test_the_widest_allowed_window_answers(
    cube: SandboxServer, name: str, begin: str, end: str, days: int
) -> None:
    rows = datacube(cube, name, begin, end)["list"]
    assert {r["ref_date"] for r in rows} == {
        (dt.date.fromisoformat(end) - dt.timedelta(days=n)).isoformat() for n in range(days)
    }


def test_article_summary_lists_each_item_read_that_day(cube: SandboxServer) -> None:
    (first, appendix) = datacube(cube, "getarticlesummary", "2026-07-01", "2026-07-01")["list"]
    data_id = cube.state.mass_sends[0].msg_data_id
    # "msgid … 由msgid(…群发接口调用后返回的msg_data_id)和index(消息次序索引)组成, 例如12003_3".
    assert (first["msgid"], appendix["msgid"]) == (f"{data_id}_1", f"{data_id}_2")
    assert (first["title"], first["ref_date"]) == ("第一期", "2026-07-01")
    assert set(first) >= {
        "int_page_read_user", "int_page_read_count", "ori_page_read_user",
        "ori_page_read_count", "share_user", "share_count", "add_to_fav_user",
        "add_to_fav_count",
    }  # fmt: skip
    # Most of 1,000 followers do not open it; the second item is read less than the first.
    assert 0 < appendix["int_page_read_user"] < first["int_page_read_user"] < 1000
    assert first["int_page_read_count"] >= first["int_page_read_user"]
    # Seven days counted: the 2026-07-01 send is no longer read on 2026-07-08.
    later = datacube(cube, "getarticlesummary", "2026-07-08", "2026-07-08")["list"]
    assert [r["title"] for r in later] == ["第二期"]


def test_article_total_runs_up_to_yesterday_with_the_followers_reached(
    cube: SandboxServer,
) -> None:
    rows = datacube(cube, "getarticletotal", "2026-07-01", "2026-07-01")["list"]
    first = rows[0]
    days = [d["stat_date"] for d in first["details"]]
    assert days == [f"2026-07-0{n}" for n in range(1, 8)]
    last = first["details"][-1]
    assert last["target_user"] == 1000  # 送达人数: every follower of this send
    daily = [
        next(
            r
            for r in datacube(cube, "getarticlesummary", d, d)["list"]
            if r["msgid"] == first["msgid"]
        )
        for d in days
    ]
    assert last["int_page_read_user"] == sum(r["int_page_read_user"] for r in daily)
    sources = [k for k in last if k.startswith("int_page_from_") and k.endswith("_read_user")]
    assert sum(last[k] for k in sources) == last["int_page_read_user"]
    recent = datacube(cube, "getarticletotal", "2026-07-08", "2026-07-08")["list"]
    assert [d["stat_date"] for d in recent[0]["details"]] == ["2026-07-08", YESTERDAY]


def test_followers_end_at_todays_count_and_add_up(cube: SandboxServer) -> None:
    summary = datacube(cube, "getusersummary", "2026-07-03", YESTERDAY)["list"]
    cumulate = datacube(cube, "getusercumulate", "2026-07-03", YESTERDAY)["list"]
    assert cumulate[-1] == {"ref_date": YESTERDAY, "cumulate_user": 1000}
    for before, day, change in zip(cumulate, cumulate[1:], summary[1:], strict=False):
        assert day["cumulate_user"] - before["cumulate_user"] == (
            change["new_user"] - change["cancel_user"]
        )


def test_admin_state_shows_the_numbers_it_answers(cube: SandboxServer) -> None:
    state = requests.get(f"{cube.base_url}/sandbox/state", timeout=10).json()["datacube"]
    assert state["yesterday"] == YESTERDAY
    first = next(a for a in state["articles"] if a["title"] == "第一期")
    total = datacube(cube, "getarticletotal", "2026-07-01", "2026-07-01")["list"][0]
    assert first["int_page_read_count"] == total["details"][-1]["int_page_read_count"]
    assert state["followers"][YESTERDAY]["cumulate_user"] == 1000


def test_history_in_the_future_is_refused(cube: SandboxServer) -> None:
    response = requests.post(
        f"{cube.base_url}/sandbox/history",
        json={"sends": [{"date": "2026-07-11", "titles": ["明天"]}]},
        timeout=10,
    )
    assert response.status_code == 400
    assert "history must lie in the past" in response.json()["error"]


def test_a_fault_can_wait_for_the_nth_call(cube: SandboxServer) -> None:
    cube.faults.inject("datacube/getarticlesummary", errcode=45009, skip=2)
    answers = [
        datacube(cube, "getarticlesummary", d, d).get("errcode", 0)
        for d in ("2026-07-01", "2026-07-02", "2026-07-03", "2026-07-04")
    ]
    assert answers == [0, 0, 45009, 0]
