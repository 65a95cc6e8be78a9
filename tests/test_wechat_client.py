"""The WeChat client over real HTTP against the sandbox: retries, token refresh, errors, media."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wxbot.errors import ConfigError
from wxbot.runtime import Runtime
from wxbot.sandbox import SANDBOX_SECRET, SandboxServer
from wxbot.sandbox.testing import image_bytes
from wxbot.wechat import (
    MediaRejected,
    WeChatApi,
    WeChatError,
    WeChatNetworkError,
    drafts,
    explain,
    freepublish,
    mass_send,
    media,
)

PLATFORM_NOTES = Path("/work/shared/wechat-platform.md")

#: Every errcode the team's platform notes list as worth handling.
DOCUMENTED_CODES = [
    -1, 40001, 42001, 40014, 40007, 40164, 41001, 44003, 45002, 45003, 45004, 45009, 45028,
    45065, 45066, 45067, 45166, 48001, 53402, 53503, 53504, 53505, 89503, 89506, 89507,
]  # fmt: skip


def calls(sandbox: SandboxServer, path: str) -> list[dict[str, Any]]:
    return sandbox.log.entries(path)


def token_fetches(sandbox: SandboxServer) -> int:
    return sum(f.endpoint == "stable_token" for f in sandbox.state.token_fetches)


@pytest.mark.parametrize("errcode", DOCUMENTED_CODES)
def test_every_documented_errcode_is_explained(errcode: int) -> None:
    assert explain(errcode) != explain(999999)
    error = WeChatError("draft/add", errcode, "raw errmsg")
    assert str(error).startswith(f"WeChat draft/add: {explain(errcode)}")
    assert f"errcode {errcode}" in str(error)


# (errcode, WeChat's errmsg, what the explanation must say to whoever runs wxbot)
WHAT_TO_DO = [
    (40164, "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6a1b",
     ["203.0.113.7", "IP白名单", "administrator must add it"]),
    (40164, "invalid ip 2001:db8::1, not in whitelist", ["2001:db8::1", "IP白名单"]),
    (40164, "not in whitelist", ["outgoing IP address is not", "IP白名单"]),
    (89503, "此次调用需要管理员确认，请耐心等候", ["administrator", "confirm", "re-run"]),
    (89506, "该IP调用求请求已被公众号管理员拒绝，请24小时后再试", ["24 hours", "administrator"]),
    (89507, "该IP调用求请求已被公众号管理员拒绝，请1小时后再试", ["an hour", "administrator"]),
    (48001, "api unauthorized", ["not authorised", "接口权限", "verify the account"]),
    (45009, "reach max api daily quota limit", ["midnight Beijing time", "reset it"]),
    (53503, "", ["publish check", "草稿箱", "re-run"]),
    (53504, "", ["web console", "publish it there"]),
    (53505, "", ["saved by hand", "草稿箱"]),
]  # fmt: skip


@pytest.mark.parametrize(("errcode", "errmsg", "phrases"), WHAT_TO_DO)
def test_errors_say_what_to_do(errcode: int, errmsg: str, phrases: list[str]) -> None:
    message = str(WeChatError("stable_token", errcode, errmsg))
    for phrase in phrases:
        assert phrase in message


def test_the_table_covers_the_platform_notes() -> None:
    if not PLATFORM_NOTES.exists():
        pytest.skip("the team's platform notes are not on this machine")
    notes = PLATFORM_NOTES.read_text(encoding="utf-8")
    table = notes.split("## Error codes worth handling")[1].split("\n## ")[0]
    listed = {int(code) for code in re.findall(r"-?\d{1,5}", table)}
    assert listed <= set(DOCUMENTED_CODES)


def _upload(api: WeChatApi) -> object:
    return media.add_thumb(api, image_bytes(), "cover.jpg")


def _draft(api: WeChatApi) -> object:
    thumb = media.add_thumb(api, image_bytes(), "cover.jpg").media_id
    article = drafts.DraftArticle("标题", "作者", "", "<p>正文</p>", thumb)
    return drafts.add_draft(api, article)


def _list(api: WeChatApi) -> object:
    return freepublish.list_published(api)


# (what, call, faulted path, fault, calls to that path, errcode raised or None)
RETRIES = [
    ("-1 twice, then ok", _upload, "material/add_material", {"errcode": -1, "times": 2}, 3, None),
    ("-1 past the retries", _upload, "material/add_material", {"errcode": -1, "times": 9}, 4, -1),
    ("dropped, then answered", _upload, "material/add_material", {"drop": True}, 2, None),
    ("45009 is never retried", _list, "freepublish/batchget", {"errcode": 45009}, 1, 45009),
    ("45009 on draft/add", _draft, "draft/add", {"errcode": 45009}, 1, 45009),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "path", "fault", "expected_calls", "errcode"),
    [r[1:] for r in RETRIES],
    ids=[r[0] for r in RETRIES],
)
def test_retries(
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    call: Callable[[WeChatApi], object],
    path: str,
    fault: dict[str, Any],
    expected_calls: int,
    errcode: int | None,
) -> None:
    api = WeChatApi(wechat_runtime)
    sandbox.faults.inject(path, **fault)
    if errcode is None:
        call(api)
    else:
        with pytest.raises(WeChatError) as caught:
            call(api)
        assert caught.value.errcode == errcode
        assert caught.value.explanation == explain(errcode)
    assert len(calls(sandbox, path)) == expected_calls


@pytest.mark.parametrize(
    ("fault", "adds", "looks"),
    [
        ({"errcode": -1, "when": "after"}, 1, 1),  # made: found in the draft box, adopted
        ({"drop": True, "when": "after"}, 1, 1),
        ({"errcode": -1, "when": "before"}, 2, 1),  # not made: the box has none, add again
        ({"drop": True, "when": "before", "times": 2}, 3, 2),
    ],
)
def test_a_draft_add_without_an_answer_makes_exactly_one_draft(
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    fault: dict[str, Any],
    adds: int,
    looks: int,
) -> None:
    api = WeChatApi(wechat_runtime)
    sandbox.faults.inject("draft/add", **fault)
    media_id = _draft(api)
    assert list(sandbox.state.drafts) == [media_id]
    assert len(calls(sandbox, "draft/add")) == adds
    assert len(calls(sandbox, "draft/batchget")) == looks


def test_a_draft_add_never_answered_is_reported(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    api = WeChatApi(wechat_runtime)
    sandbox.faults.inject("draft/add", drop=True, times=9)
    with pytest.raises(WeChatNetworkError, match="may or may not have taken effect"):
        _draft(api)
    assert len(calls(sandbox, "draft/add")) == 1 + api.retries
    assert not sandbox.state.drafts


def test_a_draft_is_adopted_only_with_the_same_title_cover_and_content(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    api = WeChatApi(wechat_runtime)
    thumb = media.add_thumb(api, image_bytes(), "cover.jpg").media_id
    article = drafts.DraftArticle("标题", "作者", "", "<p>正文</p>", thumb)
    other = drafts.add_draft(api, drafts.DraftArticle("标题", "作者", "", "<p>别的</p>", thumb))
    assert drafts.find_draft(api, article) is None
    mine = drafts.add_draft(api, article)
    assert drafts.find_draft(api, article) == mine != other


def test_the_token_is_fetched_once_and_shared_through_the_database(
    wechat_runtime: Runtime,
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    _list(WeChatApi(wechat_runtime))
    _list(WeChatApi(wechat_runtime))
    other_process = runtime_factory(wechat_config)  # same database, new engine
    _list(WeChatApi(other_process))
    assert token_fetches(sandbox) == 1
    assert len(calls(sandbox, "token")) == 0  # never /cgi-bin/token: it knocks others out


@pytest.mark.parametrize(
    ("spoil", "fetches"),
    [
        ("expire", 2),  # 42001: a normal stable_token call gives the next token
        ("invalidate", 3),  # 40001 while WeChat still hands out that token: force_refresh
    ],
)
def test_a_refused_token_is_refreshed_once_and_the_call_retried_once(
    wechat_runtime: Runtime, sandbox: SandboxServer, spoil: str, fetches: int
) -> None:
    api = WeChatApi(wechat_runtime)
    _list(api)
    if spoil == "expire":
        sandbox.advance(7300)  # WeChat's time only: our cache still thinks the token is good
    else:
        sandbox.faults.inject("freepublish/batchget", errcode=40001)
    _list(api)
    assert token_fetches(sandbox) == fetches
    assert [e["errcode"] for e in calls(sandbox, "freepublish/batchget")][-2:] == [
        42001 if spoil == "expire" else 40001,
        0,
    ]


def test_a_token_refused_twice_is_an_error(wechat_runtime: Runtime, sandbox: SandboxServer) -> None:
    api = WeChatApi(wechat_runtime)
    sandbox.faults.inject("freepublish/batchget", errcode=42001, times=2)
    with pytest.raises(WeChatError) as caught:
        _list(api)
    assert caught.value.errcode == 42001
    assert len(calls(sandbox, "freepublish/batchget")) == 2


def test_wrong_credentials_are_explained_without_the_secret(
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: Callable[[dict[str, Any]], Runtime],
) -> None:
    wrong = "not-the-secret-0123456789abcdef"
    config = wechat_config | {"wechat": wechat_config["wechat"] | {"secret": wrong}}
    runtime = runtime_factory(config)
    with pytest.raises(WeChatError) as caught:
        _list(WeChatApi(runtime))
    assert caught.value.errcode == 40125
    assert "[wechat] secret" in str(caught.value)
    assert wrong not in str(caught.value) and SANDBOX_SECRET not in str(caught.value)


def test_tokens_and_secrets_never_reach_logs_or_errors(
    wechat_runtime: Runtime, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    api = WeChatApi(wechat_runtime)
    sandbox.faults.inject("draft/add", drop=True, times=9)
    with pytest.raises(WeChatNetworkError) as caught:
        _draft(api)
    token = api.tokens.get()
    shown = caplog.text + str(caught.value)
    assert "access_token=" in caplog.text  # urllib3 logged the request lines…
    assert token not in shown and SANDBOX_SECRET not in shown  # …with the token masked


def test_calling_without_credentials_names_the_keys(runtime: Runtime) -> None:
    with pytest.raises(ConfigError, match=r"wechat\.appid/secret"):
        WeChatApi(runtime)


@pytest.mark.parametrize(
    ("upload", "data", "message"),
    [
        (media.add_thumb, image_bytes(size=(600, 600), noise=True), "at most 64,000"),
        (media.add_thumb, image_bytes("PNG"), "takes jpeg, not png"),
        (media.upload_article_image, image_bytes("GIF"), "takes jpeg/png, not gif"),
        (media.upload_article_image, b"not an image", "not this file"),
    ],
    ids=["cover over 64 KB", "thumb not a JPG", "uploadimg gif", "not an image"],
)
def test_files_wechat_would_refuse_are_caught_before_the_call(
    wechat_runtime: Runtime,
    sandbox: SandboxServer,
    upload: Callable[[WeChatApi, bytes], object],
    data: bytes,
    message: str,
) -> None:
    with pytest.raises(MediaRejected, match=message):
        upload(WeChatApi(wechat_runtime), data)
    assert sandbox.log.entries() == []  # not even a token fetch


def test_uploads_return_wechat_hosted_media(
    wechat_runtime: Runtime, sandbox: SandboxServer
) -> None:
    api = WeChatApi(wechat_runtime)
    thumb = media.add_thumb(api, image_bytes(), "cover.jpg")
    image = media.add_image(api, image_bytes("PNG"), "square.png")
    url = media.upload_article_image(api, image_bytes("PNG"), "qr.png")
    kinds = {m.media_id: m.kind for m in sandbox.state.uploads()}
    assert kinds[thumb.media_id] == "thumb" and kinds[image.media_id] == "image"
    assert url.startswith(sandbox.base_url) and url in [m.url for m in sandbox.state.uploads()]


def test_draft_add_keeps_the_cover_crops(wechat_runtime: Runtime, sandbox: SandboxServer) -> None:
    api = WeChatApi(wechat_runtime)
    thumb = media.add_thumb(api, image_bytes(), "cover.jpg").media_id
    article = drafts.DraftArticle(
        "标题", "作者", "摘要", "<p>正文</p>", thumb,
        pic_crop_235_1=drafts.crop(0, 0, 1, 1), pic_crop_1_1=drafts.crop(0.2872, 0, 0.7128, 1),
    )  # fmt: skip
    media_id = drafts.add_draft(api, article)
    stored = sandbox.state.drafts[media_id].articles[0]
    assert stored["pic_crop_235_1"] == "0_0_1_1"
    assert stored["pic_crop_1_1"] == "0.2872_0_0.7128_1"
    edited = drafts.DraftArticle("新标题", "作者", "", "<p>改</p>", thumb)
    drafts.update_draft(api, media_id, edited)
    assert sandbox.state.drafts[media_id].articles[0]["title"] == "新标题"


@pytest.mark.parametrize(("setting", "outcome"), [(0, "err(30003)"), (1, "send success")])
def test_send_ignore_reprint_comes_from_the_publish_settings(
    wechat_config: dict[str, Any],
    sandbox: SandboxServer,
    runtime_factory: Callable[[dict[str, Any]], Runtime],
    setting: int,
    outcome: str,
) -> None:
    publish = wechat_config["publish"] | {"send_ignore_reprint": setting}
    config = wechat_config | {"publish": publish}
    api = WeChatApi(runtime_factory(config))
    sandbox.add_original("标题", "https://mp.weixin.qq.com/s/original")
    mass_send.send_to_followers(api, str(_draft(api)), clientmsgid=f"reprint-{setting}")
    (send,) = sandbox.state.mass_sends
    assert (send.send_ignore_reprint, send.outcome) == (setting, outcome)


def test_every_json_call_says_it_is_json(wechat_runtime: Runtime, sandbox: SandboxServer) -> None:
    # "POST JSON" (api_getstableaccesstoken): wechatpy alone sends its bodies untyped.
    api = WeChatApi(wechat_runtime)
    _draft(api)
    _list(api)
    json_calls = [e for e in sandbox.log.entries() if e["path"] != "/cgi-bin/material/add_material"]
    assert {e["path"] for e in json_calls} >= {
        "/cgi-bin/stable_token", "/cgi-bin/draft/add", "/cgi-bin/freepublish/batchget",
    }  # fmt: skip
    assert {e["content_type"] for e in json_calls} == {"application/json"}
