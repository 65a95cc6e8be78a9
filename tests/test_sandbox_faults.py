"""Fault injection, in-process and over the /sandbox admin endpoints."""

from __future__ import annotations

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi


def count(api: SandboxApi) -> dict[str, int]:
    return api.post("draft/count", method="GET")


def test_errcode_for_the_next_calls(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox.faults.inject("draft/count", errcode=-1, times=2)
    assert count(sandbox_api) == {"errcode": -1, "errmsg": "system error"}
    assert count(sandbox_api)["errcode"] == -1
    assert count(sandbox_api) == {"total_count": 0}


def test_errcode_before_processing_changes_nothing(
    sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    sandbox.faults.inject("/cgi-bin/draft/add", errcode=45009)
    answer = sandbox_api.post("draft/add", {"articles": [sandbox_api.article()]})
    assert answer["errcode"] == 45009
    assert count(sandbox_api) == {"total_count": 0}


def test_errcode_after_processing_hides_a_change(
    sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    sandbox.faults.inject("draft/add", errcode=-1, when="after")
    answer = sandbox_api.post("draft/add", {"articles": [sandbox_api.article()]})
    assert answer["errcode"] == -1
    assert count(sandbox_api) == {"total_count": 1}


def test_wildcard_fault(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    assert sandbox_api.token
    sandbox.faults.inject("*", errcode=42001)
    assert count(sandbox_api)["errcode"] == 42001
    assert count(sandbox_api) == {"total_count": 0}


def test_delay(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox.faults.inject("draft/count", delay=0.3)
    with pytest.raises(requests.Timeout):
        sandbox_api.request("draft/count", method="GET", timeout=0.1)
    assert count(sandbox_api) == {"total_count": 0}


def test_dropped_connection_before_processing(
    sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    sandbox.faults.inject("draft/add", drop=True)
    with pytest.raises(requests.ConnectionError):
        sandbox_api.post("draft/add", {"articles": [sandbox_api.article()]})
    assert count(sandbox_api) == {"total_count": 0}


def test_faults_over_http(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    admin = f"{sandbox.base_url}/sandbox/faults"
    added = requests.post(
        admin,
        json=[
            {"path": "/cgi-bin/draft/count", "errcode": 40001, "times": 2},
            {"path": "freepublish/submit", "publish_status": 3, "fail_idx": [1]},
        ],
        timeout=5,
    )
    assert added.status_code == 200
    assert [f["path"] for f in requests.get(admin, timeout=5).json()["faults"]] == [
        "draft/count",
        "freepublish/submit",
    ]
    assert count(sandbox_api)["errcode"] == 40001
    assert requests.delete(admin, timeout=5).json() == {"faults": []}
    assert count(sandbox_api) == {"total_count": 0}


@pytest.mark.parametrize(
    "fault",
    [
        {"errcode": -1},
        {"path": "draft/add"},
        {"path": "draft/add", "errcode": -1, "when": "later"},
        {"path": "draft/add", "errcode": -1, "colour": "red"},
    ],
)
def test_bad_faults_are_refused(sandbox: SandboxServer, fault: dict[str, object]) -> None:
    response = requests.post(f"{sandbox.base_url}/sandbox/faults", json=fault, timeout=5)
    assert response.status_code == 400
    assert sandbox.faults.pending() == []


def test_faults_show_in_the_request_log(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    sandbox.faults.inject("draft/count", errcode=45009)
    count(sandbox_api)
    (entry,) = sandbox.log.entries("draft/count")
    assert entry["errcode"] == 45009
    assert entry["fault"] == "before: errcode 45009"
