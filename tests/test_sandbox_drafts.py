"""Draft box: article limits, links and images in content, crops, the draft lifecycle."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi, image_bytes

#: (fields replacing the defaults, errcode) — each row breaks exactly one rule.
LIMITS = [
    ({"title": "题" * 32}, None),
    ({"title": "题" * 33}, 45003),
    ({"author": "作" * 16}, None),
    ({"author": "作" * 17}, 45110),
    ({"digest": "摘" * 128}, None),
    ({"digest": "摘" * 129}, 45004),
    ({"content": "<p>" + "x" * 19992 + "</p>"}, None),  # 19,999 characters with the tags
    ({"content": "<p>" + "x" * 19993 + "</p>"}, 45002),  # 20,000: tags count too
    ({"content": ""}, 44003),
    ({"title": ""}, 40097),
    ({"content_source_url": "https://example.com/" + "a" * 1004}, None),
    ({"content_source_url": "https://example.com/" + "a" * 1005}, 45005),
    ({"thumb_media_id": "no-such-material"}, 40007),
    # draft/add: crops are fractions of the thumb_media_id image, "X1_Y1_X2_Y2，每个坐标值的精度
    # 为不超过小数点后六位数字"; the example given is 0.1945_0_1_0.5236.
    ({"pic_crop_235_1": "0.1945_0_1_0.5236"}, None),
    ({"pic_crop_1_1": "0.234043_0_0.765957_1"}, None),
    ({"pic_crop_1_1": "0.2340425_0_0.765957_1"}, 53402),  # seven decimals
    ({"pic_crop_1_1": "0.234043_0_0.765957_1_0"}, 53402),
    ({"pic_crop_1_1": "-0.1_0_0.9_1"}, 53402),
    ({"pic_crop_1_1": "0,2_0_0,8_1"}, 53402),
    ({"pic_crop_235_1": "0.1_0.2_0.3"}, 53402),
    ({"pic_crop_1_1": "0.6_0_0.2_1"}, 53402),
    ({"pic_crop_1_1": "0_0_1.5_1"}, 53402),
    ({"content": '<p><a href="https://example.com/">外链</a></p>'}, 45166),
    ({"content": '<p><a href="http://mp.weixin.qq.com/s/abc">往期</a></p>'}, None),
    ({"need_open_comment": 2}, 40097),
]


@pytest.mark.parametrize(("fields", "errcode"), LIMITS)
def test_article_limits(
    sandbox_api: SandboxApi, fields: dict[str, Any], errcode: int | None
) -> None:
    answer = sandbox_api.post("draft/add", {"articles": [sandbox_api.article(**fields)]})
    assert answer.get("errcode") == errcode, answer
    assert ("media_id" in answer) == (errcode is None)


def test_draft_round_trip_keeps_crops(sandbox_api: SandboxApi) -> None:
    article = sandbox_api.article(
        author="新质生产力工委",
        digest="今日要闻",
        content_source_url="https://example.com/issue/1",
        pic_crop_235_1="0.1945_0_1_0.5236",
        pic_crop_1_1="0.166454_0_0.833545_1",
    )
    media_id = sandbox_api.draft(article)
    (item,) = sandbox_api.post("draft/get", {"media_id": media_id})["news_item"]
    for key in ("title", "author", "digest", "content_source_url", "thumb_media_id"):
        assert item[key] == article[key]
    assert item["pic_crop_235_1"] == "0.1945_0_1_0.5236"
    assert item["pic_crop_1_1"] == "0.166454_0_0.833545_1"
    assert requests.get(item["thumb_url"], timeout=5).status_code == 200
    preview = requests.get(item["url"], timeout=5)
    assert "标题" in preview.text


def test_the_editor_strips_scripts_classes_and_external_images(
    sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    hosted = sandbox_api.upload("media/uploadimg", image_bytes())["url"]
    content = (
        '<section class="card" id="top" style="color:#1F4E9D">'
        f'<img src="{hosted}"><img src="https://example.com/chart.png">'
        '<a href="#refs">见参考文献</a><script>alert(1)</script><style>p{}</style>'
        "<p>正文 &amp; 结论</p></section>"
    )
    media_id = sandbox_api.draft(sandbox_api.article(content=content))
    kept = sandbox_api.post("draft/get", {"media_id": media_id})["news_item"][0]["content"]
    assert kept == (
        f'<section style="color:#1F4E9D"><img src="{hosted}"><a>见参考文献</a>'
        "<p>正文 &amp; 结论</p></section>"
    )
    assert sandbox.state.drafts[media_id].filtered_images == ["https://example.com/chart.png"]


def test_sandbox_article_links_count_as_wechat_links(sandbox_api: SandboxApi) -> None:
    link = f"{sandbox_api.base_url}/s/some-article"
    content = f'<p><a href="{link}">上一期</a></p>'
    assert sandbox_api.draft(sandbox_api.article(content=content))


def test_empty_digest_takes_the_first_54_characters(sandbox_api: SandboxApi) -> None:
    body = "<p>" + "字" * 60 + "</p>"
    media_id = sandbox_api.draft(sandbox_api.article(content=body))
    item = sandbox_api.post("draft/get", {"media_id": media_id})["news_item"][0]
    assert item["digest"] == "字" * 54


def test_multi_article_drafts_have_no_digest(sandbox_api: SandboxApi) -> None:
    articles = [sandbox_api.article(title=f"第{i}篇", digest="摘要") for i in range(1, 4)]
    media_id = sandbox_api.draft(*articles)
    items = sandbox_api.post("draft/get", {"media_id": media_id})["news_item"]
    assert [i["title"] for i in items] == ["第1篇", "第2篇", "第3篇"]
    assert {i["digest"] for i in items} == {""}


@pytest.mark.parametrize(("count", "errcode"), [(0, 44003), (8, None), (9, 45008)])
def test_a_draft_holds_one_to_eight_articles(
    sandbox_api: SandboxApi, count: int, errcode: int | None
) -> None:
    answer = sandbox_api.post("draft/add", {"articles": [sandbox_api.article()] * count})
    assert answer.get("errcode") == errcode


def test_unicode_escapes_are_not_decoded(sandbox_api: SandboxApi) -> None:
    """The draft docs warn against \\uXXXX: WeChat keeps them as written."""
    article = sandbox_api.article(title="新质生产力")
    escaped = json.dumps({"articles": [article]}).encode("ascii")
    url = f"{sandbox_api.base_url}/cgi-bin/draft/add"
    answer = requests.post(
        url, params={"access_token": sandbox_api.token}, data=escaped, timeout=5
    ).json()
    item = sandbox_api.post("draft/get", {"media_id": answer["media_id"]})["news_item"][0]
    assert item["title"] == "\\u65b0\\u8d28\\u751f\\u4ea7\\u529b"
    too_long = json.dumps({"articles": [sandbox_api.article(title="题" * 10)]}).encode("ascii")
    answer = requests.post(
        url, params={"access_token": sandbox_api.token}, data=too_long, timeout=5
    ).json()
    assert answer["errcode"] == 45003  # ten characters, sixty once escaped


def test_update_replaces_one_article(sandbox_api: SandboxApi) -> None:
    media_id = sandbox_api.draft(sandbox_api.article(title="一"), sandbox_api.article(title="二"))
    answer = sandbox_api.post(
        "draft/update",
        {"media_id": media_id, "index": 1, "articles": sandbox_api.article(title="贰")},
    )
    assert answer == {"errcode": 0, "errmsg": "ok"}
    items = sandbox_api.post("draft/get", {"media_id": media_id})["news_item"]
    assert [i["title"] for i in items] == ["一", "贰"]
    outside = sandbox_api.post(
        "draft/update", {"media_id": media_id, "index": 2, "articles": sandbox_api.article()}
    )
    assert outside["errcode"] == 40097
    too_long = sandbox_api.post(
        "draft/update",
        {"media_id": media_id, "index": 0, "articles": sandbox_api.article(title="题" * 33)},
    )
    assert too_long["errcode"] == 45003


def test_delete_removes_the_draft(sandbox_api: SandboxApi) -> None:
    media_id = sandbox_api.draft()
    assert sandbox_api.post("draft/delete", {"media_id": media_id})["errcode"] == 0
    assert sandbox_api.post("draft/get", {"media_id": media_id})["errcode"] == 40007
    assert sandbox_api.post("draft/delete", {"media_id": media_id})["errcode"] == 40007
    assert sandbox_api.post("draft/count", method="GET") == {"total_count": 0}


def test_batchget_pages_newest_first(sandbox: SandboxServer, sandbox_api: SandboxApi) -> None:
    ids = []
    for i in range(3):
        ids.append(sandbox_api.draft(sandbox_api.article(title=f"第{i}期")))
        sandbox.advance(1)
    page = sandbox_api.post("draft/batchget", {"offset": 1, "count": 5, "no_content": 1})
    assert page["total_count"] == 3
    assert page["item_count"] == 2
    assert [item["media_id"] for item in page["item"]] == [ids[1], ids[0]]
    assert "content" not in page["item"][0]["content"]["news_item"][0]
    assert sandbox_api.post("draft/count", method="GET") == {"total_count": 3}


@pytest.mark.parametrize("count", [0, 21])
def test_batchget_count_is_one_to_twenty(sandbox_api: SandboxApi, count: int) -> None:
    assert sandbox_api.post("draft/batchget", {"offset": 0, "count": count})["errcode"] == 40097


def test_draft_count_requires_get(sandbox_api: SandboxApi) -> None:
    assert sandbox_api.post("draft/count", {})["errcode"] == 43001


@pytest.mark.parametrize(("body", "errcode"), [(b"", 44002), (b"{not json", 47001)])
def test_malformed_bodies(sandbox_api: SandboxApi, body: bytes, errcode: int) -> None:
    response = requests.post(
        f"{sandbox_api.base_url}/cgi-bin/draft/add",
        params={"access_token": sandbox_api.token},
        data=body,
        timeout=5,
    )
    assert response.json()["errcode"] == errcode
