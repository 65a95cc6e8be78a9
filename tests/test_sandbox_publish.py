"""Free publishing: asynchronous completion, the article page, failures, listing and deletion."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi


@pytest.fixture
def slow(sandbox_factory: Callable[..., SandboxServer]) -> SandboxServer:
    """Return a sandbox whose publishes take a minute of sandbox time."""
    return sandbox_factory(publish_delay=60)


@pytest.fixture
def slow_api(slow: SandboxServer) -> SandboxApi:
    return SandboxApi(slow.base_url)


def status(api: SandboxApi, publish_id: str) -> dict[str, Any]:
    return api.post("freepublish/get", {"publish_id": publish_id})


def test_publish_is_asynchronous(slow: SandboxServer, slow_api: SandboxApi) -> None:
    media_id = slow_api.draft(slow_api.article(title="今日动态", content="<p>第一条</p>"))
    submitted = slow_api.post("freepublish/submit", {"media_id": media_id})
    assert submitted["errcode"] == 0
    publish_id = submitted["publish_id"]
    assert status(slow_api, publish_id) == {
        "publish_id": publish_id,
        "publish_status": 1,
        "fail_idx": [],
    }
    slow.advance(60)
    done = status(slow_api, publish_id)
    assert done["publish_status"] == 0
    assert done["article_detail"]["count"] == 1
    (item,) = done["article_detail"]["item"]
    assert item["idx"] == 1
    page = requests.get(item["article_url"], timeout=5)
    assert page.status_code == 200
    assert "今日动态" in page.text and "<p>第一条</p>" in page.text


def test_a_published_draft_leaves_the_draft_box(slow: SandboxServer, slow_api: SandboxApi) -> None:
    media_id = slow_api.draft()
    slow_api.post("freepublish/submit", {"media_id": media_id})
    assert slow_api.post("draft/count", method="GET") == {"total_count": 1}
    slow.advance(60)
    assert slow_api.post("draft/get", {"media_id": media_id})["errcode"] == 40007
    assert slow_api.post("freepublish/submit", {"media_id": media_id})["errcode"] == 40007


def test_publish_completes_in_real_time(sandbox_api: SandboxApi) -> None:
    publish_id = sandbox_api.post("freepublish/submit", {"media_id": sandbox_api.draft()})[
        "publish_id"
    ]
    deadline = time.monotonic() + 3
    while status(sandbox_api, publish_id)["publish_status"] == 1:
        assert time.monotonic() < deadline, "publish never completed"
        time.sleep(0.02)
    assert status(sandbox_api, publish_id)["publish_status"] == 0


def test_injected_publish_failure(slow: SandboxServer, slow_api: SandboxApi) -> None:
    slow.faults.fail_publish(publish_status=2, fail_idx=[2])
    media_id = slow_api.draft(slow_api.article(), slow_api.article(title="转载"))
    publish_id = slow_api.post("freepublish/submit", {"media_id": media_id})["publish_id"]
    slow.advance(60)
    assert status(slow_api, publish_id) == {
        "publish_id": publish_id,
        "publish_status": 2,
        "fail_idx": [2],
    }
    assert "news_item" in slow_api.post("draft/get", {"media_id": media_id})


def test_multi_article_publish_has_one_url_per_item(
    slow: SandboxServer, slow_api: SandboxApi
) -> None:
    media_id = slow_api.draft(slow_api.article(title="头条"), slow_api.article(title="次条"))
    publish_id = slow_api.post("freepublish/submit", {"media_id": media_id})["publish_id"]
    slow.advance(60)
    items = status(slow_api, publish_id)["article_detail"]["item"]
    assert [i["idx"] for i in items] == [1, 2]
    assert "次条" in requests.get(items[1]["article_url"], timeout=5).text


def test_batchget_and_getarticle(slow: SandboxServer, slow_api: SandboxApi) -> None:
    publish_id = slow_api.post("freepublish/submit", {"media_id": slow_api.draft()})["publish_id"]
    slow.advance(60)
    article_id = status(slow_api, publish_id)["article_id"]
    listed = slow_api.post("freepublish/batchget", {"offset": 0, "count": 10})
    assert listed["total_count"] == 1
    assert listed["item"][0]["article_id"] == article_id
    (item,) = slow_api.post("freepublish/getarticle", {"article_id": article_id})["news_item"]
    assert item["title"] == "标题" and item["is_deleted"] is False
    unknown = slow_api.post("freepublish/getarticle", {"article_id": "nope"})
    assert unknown["errcode"] == 53600


def test_unknown_ids(slow_api: SandboxApi) -> None:
    assert slow_api.post("freepublish/submit", {"media_id": "nope"})["errcode"] == 40007
    assert slow_api.post("freepublish/get", {"publish_id": "1"})["errcode"] == 40097


def test_delete_takes_the_article_down(slow: SandboxServer, slow_api: SandboxApi) -> None:
    publish_id = slow_api.post("freepublish/submit", {"media_id": slow_api.draft()})["publish_id"]
    slow.advance(60)
    done = status(slow_api, publish_id)
    answer = slow_api.post("freepublish/delete", {"article_id": done["article_id"], "index": 0})
    assert answer["errcode"] == 0
    assert status(slow_api, publish_id)["publish_status"] == 5
    page = requests.get(done["article_detail"]["item"][0]["article_url"], timeout=5)
    assert "该内容已被发布者删除" in page.text


@pytest.mark.parametrize(
    ("body", "errcode", "has_content"),
    [
        ({"offset": 0, "count": 0}, 40097, None),  # "count: 返回素材的数量，取值在1到20之间"
        ({"offset": 0, "count": 21}, 40097, None),
        ({"offset": -1, "count": 5}, 40097, None),
        ({"offset": 0, "count": 20}, 0, True),  # no_content defaults to 0: content returned
        ({"offset": 0, "count": 1, "no_content": 1}, 0, False),
        ({"offset": 1, "count": 20}, 0, None),  # past the one article: an empty page
    ],
)
def test_freepublish_batchget_pages_as_documented(
    slow: SandboxServer,
    slow_api: SandboxApi,
    body: dict[str, Any],
    errcode: int,
    has_content: bool | None,
) -> None:
    # https://developers.weixin.qq.com/doc/offiaccount/Publish/Get_publication_records.html
    slow_api.post("freepublish/submit", {"media_id": slow_api.draft()})
    slow.advance(60)
    listed = slow_api.post("freepublish/batchget", body)
    assert listed.get("errcode", 0) == errcode
    if errcode:
        return
    assert listed["total_count"] == 1
    items = [i for entry in listed["item"] for i in entry["content"]["news_item"]]
    assert len(items) == (0 if body["offset"] else 1)
    if has_content is not None:
        assert ("content" in items[0]) == has_content
