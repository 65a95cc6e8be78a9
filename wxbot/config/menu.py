"""The ``[menu]`` section: the custom menu followers tap, and the click keys the callback answers.

In server mode the MP console's menu editor is switched off: the menu comes from here, pushed
with ``wxbot menu push``. Limits are menu/create's, checked here so a bad menu stops at load:
https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
"button 一级菜单数组，个数应为1~3个", "sub_button 二级菜单数组，个数应为1~5个",
"菜单标题，不超过16个字节，子菜单不超过60个字节", "菜单KEY值…不超过128字节",
"网页链接…不超过1024字节", "type … 与 sub_button 互斥".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .fields import Section, url_check

MENU_BUTTONS_MAX = 3
MENU_SUB_BUTTONS_MAX = 5
MENU_NAME_MAX_BYTES = 16
MENU_SUB_NAME_MAX_BYTES = 60
MENU_KEY_MAX_BYTES = 128
MENU_URL_MAX_BYTES = 1024

#: Click keys the follower callback answers: the newest issue, the help text, or a search.
LATEST_KEY = "LATEST"
HELP_KEY = "HELP"
SEARCH_PREFIX = "SEARCH:"


@dataclass(frozen=True)
class ClickAction:
    """What a menu click asks for: ``latest``, ``help``, or ``search`` with its ``query``."""

    command: Literal["latest", "help", "search"]
    query: str = ""


def click_action(key: str) -> ClickAction | None:
    """Return what a click key asks for, or None for a key the callback does not answer."""
    if key.upper() == LATEST_KEY:
        return ClickAction("latest")
    if key.upper() == HELP_KEY:
        return ClickAction("help")
    if key[: len(SEARCH_PREFIX)].upper() == SEARCH_PREFIX and key[len(SEARCH_PREFIX) :].strip():
        return ClickAction("search", key[len(SEARCH_PREFIX) :].strip())
    return None


def utf8_bytes(text: str) -> int:
    """Return the length WeChat limits: UTF-8 bytes (a CJK character is 3)."""
    return len(text.encode("utf-8"))


def _check_key(key: str) -> str:
    if utf8_bytes(key) > MENU_KEY_MAX_BYTES:
        raise ValueError(f"is {utf8_bytes(key)} bytes; WeChat allows at most {MENU_KEY_MAX_BYTES}")
    if key and click_action(key) is None:
        raise ValueError(
            f"{key!r} is not a key the callback answers: use {LATEST_KEY}, {HELP_KEY} "
            f"or {SEARCH_PREFIX}<keywords>"
        )
    return key


def _check_url(url: str) -> str:
    if utf8_bytes(url) > MENU_URL_MAX_BYTES:
        raise ValueError(f"is {utf8_bytes(url)} bytes; WeChat allows at most {MENU_URL_MAX_BYTES}")
    return url_check(url)


def _check_name(name: str, limit: int) -> str:
    if not name.strip():
        raise ValueError("must not be empty")
    if utf8_bytes(name) > limit:
        raise ValueError(
            f"{name!r} is {utf8_bytes(name)} bytes; WeChat allows at most {limit} "
            f"({limit // 3} Chinese characters)"
        )
    return name


def _check_action(kind: str, key: str, url: str) -> None:
    """Refuse a click without a key, or a key or url on the other kind of button."""
    if kind == "click" and not key:
        raise ValueError("key is missing: a click button needs one")
    if kind == "click" and url:
        raise ValueError("url is set on a click button (a view button opens a url)")
    if kind == "view" and key:
        raise ValueError("key is set on a view button (a click button has a key)")


class MenuAction(Section):
    """What a button without sub-buttons does: a click (``key``) or a web page (``url``)."""

    name: str
    type: Literal["click", "view"]
    key: str = ""
    url: str = ""

    _key = field_validator("key")(_check_key)
    _url = field_validator("url")(_check_url)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return _check_name(name, MENU_SUB_NAME_MAX_BYTES)

    @model_validator(mode="after")
    def _fields_of_type(self) -> MenuAction:
        _check_action(self.type, self.key, self.url)
        return self


class MenuButton(Section):
    """A top-level button: an action (``type`` with ``key``/``url``) or 1 to 5 ``sub_buttons``."""

    name: str
    type: Literal["", "click", "view"] = ""
    key: str = ""
    url: str = ""
    sub_buttons: list[MenuAction] = []

    _key = field_validator("key")(_check_key)
    _url = field_validator("url")(_check_url)

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        return _check_name(name, MENU_NAME_MAX_BYTES)

    @field_validator("sub_buttons")
    @classmethod
    def _few_subs(cls, subs: list[MenuAction]) -> list[MenuAction]:
        if len(subs) > MENU_SUB_BUTTONS_MAX:
            raise ValueError(f"WeChat allows at most {MENU_SUB_BUTTONS_MAX}, got {len(subs)}")
        return subs

    @model_validator(mode="after")
    def _action_or_subs(self) -> MenuButton:
        if self.sub_buttons:
            if self.type or self.key or self.url:
                raise ValueError("a button with sub_buttons has no type, key or url of its own")
            return self
        if not self.type:
            raise ValueError("type is missing: a button needs one (click or view) or sub_buttons")
        _check_action(self.type, self.key, self.url)
        return self

    @property
    def actions(self) -> list[MenuAction]:
        """Return the buttons a follower can tap: the sub-buttons, or this button itself."""
        if self.sub_buttons:
            return list(self.sub_buttons)
        assert self.type  # checked at load
        return [MenuAction(type=self.type, name=self.name, key=self.key, url=self.url)]


def _search(name: str) -> MenuAction:
    return MenuAction(type="click", name=name, key=f"{SEARCH_PREFIX}{name}")


DEFAULT_BUTTONS = [
    MenuButton(name="最新一期", type="click", key=LATEST_KEY),
    MenuButton(
        name="往期检索",
        sub_buttons=[
            _search("数据要素"),
            _search("低空经济"),
            _search("人工智能"),
            _search("算力"),
            MenuAction(type="click", name="使用帮助", key=HELP_KEY),
        ],
    ),
    MenuButton(name="官网", type="view"),
]


class MenuSection(Section):
    """``[menu]``: the custom menu ``wxbot menu push`` sends to WeChat."""

    buttons: list[MenuButton] = Field(
        DEFAULT_BUTTONS,
        description="1 to 3 buttons (names at most 16 bytes: 5 Chinese characters), each "
        "{name, type, key} (click), {name, type, url} (view) or {name, sub_buttons} with 1 to 5 "
        "of those (names at most 60 bytes). Click keys: LATEST (the newest issue), HELP "
        "(how to ask), SEARCH:<keywords> (the archive's answer to those keywords); key at most "
        "128 bytes. A view url (at most 1024 bytes) left empty opens the archive, "
        "{[server] public_base_url}/issues.",
    )

    @field_validator("buttons")
    @classmethod
    def _one_to_three(cls, buttons: list[MenuButton]) -> list[MenuButton]:
        if not 1 <= len(buttons) <= MENU_BUTTONS_MAX:
            raise ValueError(f"WeChat takes 1 to {MENU_BUTTONS_MAX} buttons, got {len(buttons)}")
        return buttons

    def click_keys(self) -> list[str]:
        """Return every click key of the menu, in menu order."""
        return [a.key for b in self.buttons for a in b.actions if a.type == "click"]
