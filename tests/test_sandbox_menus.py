"""Custom menu: menu/create's documented limits and errcodes, the read-back shape, deletion.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
"""

from __future__ import annotations

from typing import Any

import pytest

from wxbot.sandbox import SandboxServer
from wxbot.sandbox.testing import SandboxApi

LATEST = {"type": "click", "name": "最新一期", "key": "LATEST"}
SITE = {"type": "view", "name": "官网", "url": "https://example.com/issues"}


def click(name: str = "帮助", key: str = "HELP") -> dict[str, Any]:
    return {"type": "click", "name": name, "key": key}


def parent(*subs: dict[str, Any], name: str = "往期检索") -> dict[str, Any]:
    return {"name": name, "sub_button": list(subs)}


#: (the menu's buttons, errcode) — each row keeps to or breaks exactly one documented rule.
CREATE = [
    # "button 一级菜单数组，个数应为1~3个"
    ([LATEST], None),
    ([LATEST, click(), SITE], None),
    ([], 40016),
    ([LATEST, click(), SITE, click("多余", "X")], 40016),
    # "sub_button 二级菜单数组，个数应为1~5个"
    ([parent(*[click(f"项{i}", f"K{i}") for i in range(5)])], None),
    ([parent(*[click(f"项{i}", f"K{i}") for i in range(6)])], 40023),
    # "菜单标题，不超过16个字节，子菜单不超过60个字节" — bytes, a CJK character is 3
    ([click("五个汉字啊", "A")], None),  # 15 bytes
    ([click("六个汉字啊啊", "A")], 40018),  # 18 bytes
    ([click("x" * 16, "A")], None),
    ([click("x" * 17, "A")], 40018),
    ([click("", "A")], 40018),
    ([parent(click("二" * 20, "A"))], None),  # 60 bytes
    ([parent(click("二" * 20 + "x", "A"))], 40025),
    ([parent(click("A"), name="六个汉字啊啊")], 40018),
    # "菜单KEY值，用于消息接口推送，不超过128字节。click等点击类型必须。"
    ([click("键", "k" * 128)], None),
    ([click("键", "k" * 129)], 40019),
    ([{"type": "click", "name": "键"}], 40019),
    ([parent(click("键", "k" * 129))], 40026),
    # "网页链接，用户点击菜单可打开链接，不超过1024字节。view、miniprogram类型必填。"
    ([{"type": "view", "name": "站", "url": "https://e.com/" + "a" * 1010}], None),  # 1024
    ([{"type": "view", "name": "站", "url": "https://e.com/" + "a" * 1011}], 40020),
    ([{"type": "view", "name": "站"}], 40020),
    ([parent({"type": "view", "name": "站", "url": "https://e.com/" + "a" * 1011})], 40027),
    ([{"type": "view", "name": "站", "url": "javascript:alert(1)"}], 40055),
    ([parent({"type": "view", "name": "站", "url": "e.com/page"})], 40054),
    # "菜单的响应动作类型（与 sub_button 互斥）"
    ([{"type": "dance", "name": "跳", "key": "A"}], 40017),
    ([{"type": "click", "name": "跳", "key": "A", "sub_button": [click()]}], 40017),
    ([parent({"type": "dance", "name": "跳", "key": "A"})], 40024),
    ([parent({"name": "三级", "sub_button": [click()]})], 40022),
]


@pytest.mark.parametrize(("buttons", "errcode"), CREATE)
def test_create_limits(
    sandbox_api: SandboxApi, buttons: list[dict[str, Any]], errcode: int | None
) -> None:
    answer = sandbox_api.post("menu/create", {"button": buttons})
    assert answer["errcode"] == (errcode or 0), answer
    info = sandbox_api.post("get_current_selfmenu_info", method="GET")
    # A refused menu leaves the account without one.
    assert info["is_menu_open"] == (0 if errcode else 1)


def test_selfmenu_info_has_the_documented_shape(sandbox_api: SandboxApi) -> None:
    menu = [LATEST, parent(click("数据要素", "SEARCH:数据要素"), click()), SITE]
    assert sandbox_api.post("menu/create", {"button": menu})["errcode"] == 0
    # getCurrentSelfmenuInfo: "is_menu_open 菜单是否开启…1代表开启", buttons under
    # selfmenu_info.button; "使用API设置的自定义菜单: click…保存值到key; view: 保存链接到url";
    # sub-buttons under sub_button.list.
    assert sandbox_api.post("get_current_selfmenu_info", method="GET") == {
        "is_menu_open": 1,
        "selfmenu_info": {
            "button": [
                {"type": "click", "name": "最新一期", "key": "LATEST"},
                {
                    "name": "往期检索",
                    "sub_button": {
                        "list": [
                            {"type": "click", "name": "数据要素", "key": "SEARCH:数据要素"},
                            {"type": "click", "name": "帮助", "key": "HELP"},
                        ]
                    },
                },
                {"type": "view", "name": "官网", "url": "https://example.com/issues"},
            ]
        },
    }


def test_create_replaces_and_delete_removes(
    sandbox: SandboxServer, sandbox_api: SandboxApi
) -> None:
    sandbox_api.post("menu/create", {"button": [LATEST]})
    sandbox_api.post("menu/create", {"button": [SITE]})
    info = sandbox_api.post("get_current_selfmenu_info", method="GET")
    assert info["selfmenu_info"]["button"] == [SITE]
    # deleteMenu: GET, "删除当前使用的自定义菜单"; answers {"errcode": 0, "errmsg": "ok"}.
    assert sandbox_api.post("menu/delete", method="GET") == {"errcode": 0, "errmsg": "ok"}
    info = sandbox_api.post("get_current_selfmenu_info", method="GET")
    assert info["is_menu_open"] == 0
    assert info["selfmenu_info"]["button"] == []
    assert sandbox.account.state.snapshot(0)["menu"] is None


@pytest.mark.parametrize(
    ("name", "method", "errcode"),
    [
        ("menu/create", "GET", 43002),  # "POST https://api.weixin.qq.com/cgi-bin/menu/create"
        ("get_current_selfmenu_info", "POST", 43001),  # "GET …/get_current_selfmenu_info"
        ("menu/delete", "POST", 43001),  # "GET …/menu/delete"
    ],
)
def test_methods(sandbox_api: SandboxApi, name: str, method: str, errcode: int) -> None:
    assert sandbox_api.post(name, {"button": [LATEST]}, method=method)["errcode"] == errcode


def test_calls_need_a_token(sandbox_api: SandboxApi) -> None:
    answer = sandbox_api.post("get_current_selfmenu_info", method="GET", token="")
    assert answer["errcode"] == 41001
