"""The menu client over real HTTP against the sandbox: push, read back, delete, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from wxbot.demo import push_demo_menu
from wxbot.runtime import Runtime
from wxbot.sandbox import SandboxServer
from wxbot.wechat import WeChatApi, WeChatError, explain
from wxbot.wechat.menus import (
    CurrentMenu,
    MenuItem,
    create_menu,
    current_menu,
    delete_menu,
    push_menu,
)

#: A menu at every documented limit: names of 16 and 60 bytes, a 128-byte key, a 1024-byte url.
AT_THE_LIMITS = [
    {"name": "五个汉字呀x", "type": "click", "key": "SEARCH:" + "k" * 121},
    {
        "name": "往期检索",
        "sub_buttons": [
            {"name": "二" * 20, "type": "click", "key": "HELP"},
            {"name": "站", "type": "view", "url": "https://e.com/" + "a" * 1010},
        ]
        + [{"name": f"关键词{i}", "type": "click", "key": f"SEARCH:词{i}"} for i in range(3)],
    },
    {"name": "官网", "type": "view"},
]


@pytest.fixture
def api_for(
    wechat_config: dict[str, Any], runtime_factory: Callable[[dict[str, Any]], Runtime]
) -> Callable[..., tuple[Runtime, WeChatApi]]:
    """Return a function making a runtime (with a [menu]) and its client of the sandbox."""

    def make(**menu: Any) -> tuple[Runtime, WeChatApi]:
        runtime = runtime_factory(wechat_config | ({"menu": menu} if menu else {}))
        return runtime, WeChatApi(runtime)

    return make


def push(runtime: Runtime, api: WeChatApi) -> None:
    push_menu(api, runtime.settings.menu, runtime.public_base_url())


def test_the_default_menu_round_trips(
    api_for: Callable[..., tuple[Runtime, WeChatApi]], sandbox: SandboxServer
) -> None:
    runtime, api = api_for()
    push(runtime, api)
    keys = [f"SEARCH:{w}" for w in ("数据要素", "低空经济", "人工智能", "算力")]
    assert current_menu(api) == CurrentMenu(
        is_open=True,
        buttons=(
            MenuItem("最新一期", "click", key="LATEST"),
            MenuItem(
                "往期检索",
                sub_buttons=tuple(MenuItem(k.removeprefix("SEARCH:"), "click", key=k) for k in keys)
                + (MenuItem("使用帮助", "click", key="HELP"),),
            ),
            # an empty view url opens the archive at [server] public_base_url
            MenuItem("官网", "view", url="http://wxbot.test/issues"),
        ),
    )
    (create,) = sandbox.log.entries("/cgi-bin/menu/create")
    assert create["content_type"].startswith("application/json")


def test_what_the_config_accepts_the_sandbox_accepts(
    api_for: Callable[..., tuple[Runtime, WeChatApi]],
) -> None:
    runtime, api = api_for(buttons=AT_THE_LIMITS)
    push(runtime, api)
    shown = current_menu(api)
    assert [b.name for b in shown.buttons] == ["五个汉字呀x", "往期检索", "官网"]
    assert len(shown.buttons[1].sub_buttons) == 5


def test_delete_leaves_no_menu(api_for: Callable[..., tuple[Runtime, WeChatApi]]) -> None:
    runtime, api = api_for()
    push(runtime, api)
    delete_menu(api)
    assert current_menu(api) == CurrentMenu(is_open=False)


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"button": []}, 40016),
        ({"button": [{"type": "click", "name": "六个汉字呀呀", "key": "A"}]}, 40018),
        ({"button": [{"name": "往", "sub_button": [{"type": "view", "name": "站"}]}]}, 40027),
    ],
)
def test_refusals_are_explained(
    api_for: Callable[..., tuple[Runtime, WeChatApi]], body: dict[str, Any], errcode: int
) -> None:
    _, api = api_for()
    with pytest.raises(WeChatError) as caught:
        create_menu(api, body)
    assert caught.value.errcode == errcode
    assert caught.value.explanation == explain(errcode) != explain(999999)


def test_a_busy_platform_is_retried(
    api_for: Callable[..., tuple[Runtime, WeChatApi]], sandbox: SandboxServer
) -> None:
    runtime, api = api_for()
    sandbox.faults.inject("menu/create", errcode=-1, times=2)
    push(runtime, api)  # replacing the menu is safe to repeat
    assert len(sandbox.log.entries("/cgi-bin/menu/create")) == 3
    assert current_menu(api).is_open


def test_the_demo_gives_the_sandbox_account_the_configured_menu(
    api_for: Callable[..., tuple[Runtime, WeChatApi]],
) -> None:
    runtime, api = api_for()
    push_demo_menu(runtime)
    assert [b.name for b in current_menu(api).buttons] == ["最新一期", "往期检索", "官网"]


#: menu/create's errcodes (global return codes): each is explained, naming what to fix.
MENU_ERRCODES = [40016, 40017, 40018, 40019, 40020, 40022, 40023, 40024, 40025, 40026, 40027,
                 40054, 40055]  # fmt: skip


@pytest.mark.parametrize("errcode", MENU_ERRCODES)
def test_every_menu_errcode_is_explained(errcode: int) -> None:
    assert explain(errcode) != explain(999999)
    assert "button" in explain(errcode) or "menu" in explain(errcode)
