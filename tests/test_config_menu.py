"""``[menu]``: menu/create's documented limits, checked at load with one line naming the key.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wxbot import config
from wxbot.config.menu import ClickAction, click_action
from wxbot.errors import ConfigError

LATEST = {"name": "最新一期", "type": "click", "key": "LATEST"}


def sub(name: str = "帮助", **fields: Any) -> dict[str, Any]:
    return {"name": name, "type": "click", "key": "HELP"} | fields


def load(buttons: list[dict[str, Any]]) -> config.Settings:
    return config.load(environ={}, overrides={"menu": {"buttons": buttons}})


#: (buttons, None when accepted, else the error line) — each row keeps to or breaks one rule.
MENUS: list[tuple[list[dict[str, Any]], str | None]] = [
    ([LATEST], None),
    # "button 一级菜单数组，个数应为1~3个"
    ([], "menu.buttons: WeChat takes 1 to 3 buttons, got 0"),
    ([LATEST] * 4, "menu.buttons: WeChat takes 1 to 3 buttons, got 4"),
    # "sub_button 二级菜单数组，个数应为1~5个"
    ([{"name": "往期", "sub_buttons": [sub()] * 5}], None),
    (
        [{"name": "往期", "sub_buttons": [sub()] * 6}],
        "menu.buttons[0].sub_buttons: WeChat allows at most 5, got 6",
    ),
    # "菜单标题，不超过16个字节，子菜单不超过60个字节" — UTF-8 bytes
    ([{**LATEST, "name": "五个汉字呀"}], None),
    (
        [{**LATEST, "name": "六个汉字呀呀"}],
        "menu.buttons[0].name: '六个汉字呀呀' is 18 bytes; WeChat allows at most 16 "
        "(5 Chinese characters)",
    ),
    ([{**LATEST, "name": " "}], "menu.buttons[0].name: must not be empty"),
    ([{"name": "往期", "sub_buttons": [sub("二" * 20)]}], None),
    (
        [{"name": "往期", "sub_buttons": [sub("二" * 20 + "x")]}],
        "menu.buttons[0].sub_buttons[0].name: '" + "二" * 20 + "x' is 61 bytes; WeChat allows "
        "at most 60 (20 Chinese characters)",
    ),
    # "菜单KEY值…不超过128字节"
    ([{**LATEST, "key": "SEARCH:" + "k" * 121}], None),
    (
        [{**LATEST, "key": "SEARCH:" + "k" * 122}],
        "menu.buttons[0].key: is 129 bytes; WeChat allows at most 128",
    ),
    # every click key must be one the callback answers
    (
        [{**LATEST, "key": "V1001_GOOD"}],
        "menu.buttons[0].key: 'V1001_GOOD' is not a key the callback answers: use LATEST, HELP "
        "or SEARCH:<keywords>",
    ),
    (
        [{"name": "点", "type": "click"}],
        "menu.buttons[0]: key is missing: a click button needs one",
    ),
    # "网页链接…不超过1024字节"
    ([{"name": "官网", "type": "view", "url": "https://e.com/" + "a" * 1010}], None),
    (
        [{"name": "官网", "type": "view", "url": "https://e.com/" + "a" * 1011}],
        "menu.buttons[0].url: is 1025 bytes; WeChat allows at most 1024",
    ),
    (
        [{"name": "官网", "type": "view", "url": "e.com"}],
        "menu.buttons[0].url: must start with http:// or https://",
    ),
    ([{"name": "官网", "type": "view"}], None),  # the archive's page
    (
        [{"name": "官网", "type": "view", "key": "LATEST"}],
        "menu.buttons[0]: key is set on a view button (a click button has a key)",
    ),
    # "type … 与 sub_button 互斥"
    (
        [{"name": "往期", "type": "click", "key": "HELP", "sub_buttons": [sub()]}],
        "menu.buttons[0]: a button with sub_buttons has no type, key or url of its own",
    ),
    (
        [{"name": "往期"}],
        "menu.buttons[0]: type is missing: a button needs one (click or view) or sub_buttons",
    ),
    ([{"name": "跳", "type": "dance"}], "menu.buttons[0].type: must be '', 'click' or 'view'"),
    ([{**LATEST, "colour": "red"}], "menu.buttons[0].colour: unknown key"),
]


@pytest.mark.parametrize(("buttons", "error"), MENUS)
def test_menu_limits(buttons: list[dict[str, Any]], error: str | None) -> None:
    if error is None:
        assert load(buttons).menu.buttons
        return
    with pytest.raises(ConfigError) as raised:
        load(buttons)
    assert str(raised.value) == error


def test_the_default_menu() -> None:
    menu = config.Settings().menu
    assert [b.name for b in menu.buttons] == ["最新一期", "往期检索", "官网"]
    assert menu.click_keys() == [
        "LATEST",
        "SEARCH:数据要素",
        "SEARCH:低空经济",
        "SEARCH:人工智能",
        "SEARCH:算力",
        "HELP",
    ]
    site = menu.buttons[2]
    assert (site.type, site.url) == ("view", "")  # the archive's page, from [server]


def test_a_menu_from_a_toml_file_and_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "wxbot.toml"
    path.write_text(
        "[menu]\nbuttons = [\n"
        '    { name = "最新", type = "click", key = "LATEST" },\n'
        '    { name = "找", sub_buttons = [\n'
        '        { name = "算力", type = "click", key = "SEARCH:算力" }] },\n'
        "]\n",
        encoding="utf-8",
    )
    from_file = config.load(path, environ={}).menu
    assert from_file.click_keys() == ["LATEST", "SEARCH:算力"]
    environ = {"WXBOT_MENU__BUTTONS": json.dumps([{"name": "帮", "type": "click", "key": "HELP"}])}
    assert config.load(path, environ=environ).menu.click_keys() == ["HELP"]


@pytest.mark.parametrize(
    ("key", "action"),
    [
        ("LATEST", ClickAction("latest")),
        ("latest", ClickAction("latest")),
        ("HELP", ClickAction("help")),
        ("SEARCH:数据要素", ClickAction("search", "数据要素")),
        ("search: 低空经济 无人机", ClickAction("search", "低空经济 无人机")),
        ("SEARCH:", None),
        ("SEARCH", None),
        ("V1001_GOOD", None),
        ("", None),
    ],
)
def test_click_actions(key: str, action: ClickAction | None) -> None:
    assert click_action(key) == action
