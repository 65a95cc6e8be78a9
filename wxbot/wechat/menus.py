"""The custom menu: create it from ``[menu]``, read back what followers see, delete it.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
https://developers.weixin.qq.com/doc/service/api/custommenu/api_deletemenu
menu/create replaces the whole menu, so repeating it can do no harm: it is retried like a read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..config.menu import MenuAction, MenuButton, MenuSection
from .client import WeChatApi
from .errors import WeChatNetworkError


@dataclass(frozen=True)
class MenuItem:
    """One button as WeChat holds it: an action (``type`` with ``key``/``url``) or sub-buttons."""

    name: str
    type: str = ""
    key: str = ""
    url: str = ""
    sub_buttons: tuple[MenuItem, ...] = ()


@dataclass(frozen=True)
class CurrentMenu:
    """The menu followers see: whether one is on, and its buttons."""

    is_open: bool
    buttons: tuple[MenuItem, ...] = ()


def menu_body(section: MenuSection, archive_url: str) -> dict[str, Any]:
    """Return menu/create's body for the configured menu; an empty view url opens the archive.

    "button 一级菜单数组…sub_button 二级菜单数组"; a button with sub_button carries no type.
    """
    return {"button": [_button(b, archive_url) for b in section.buttons]}


def _button(button: MenuButton | MenuAction, archive_url: str) -> dict[str, Any]:
    if isinstance(button, MenuButton) and button.sub_buttons:
        return {
            "name": button.name,
            "sub_button": [_button(s, archive_url) for s in button.sub_buttons],
        }
    if button.type == "click":
        return {"type": "click", "name": button.name, "key": button.key}
    return {"type": "view", "name": button.name, "url": button.url or archive_url}


def push_menu(api: WeChatApi, section: MenuSection, public_base_url: str) -> None:
    """Replace the account's menu with ``[menu]``; empty view urls open ``/issues`` there."""
    create_menu(api, menu_body(section, f"{public_base_url.rstrip('/')}/issues"))


def create_menu(api: WeChatApi, body: Mapping[str, Any]) -> None:
    """Replace the account's menu with ``body`` (see :func:`menu_body`).

    :raises WeChatError: 40016–40027, 40054, 40055 name what WeChat refused.
    https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
    """
    api.post("menu/create", body, idempotent=True)


def current_menu(api: WeChatApi) -> CurrentMenu:
    """Return the menu followers see (made by API or in the web console).

    https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
    "is_menu_open 菜单是否开启，0代表未开启，1代表开启"; sub-buttons come under
    ``sub_button.list`` (menu/get's plain list is read as well).
    """
    name = "get_current_selfmenu_info"
    answer = api.call(name, lambda c: c.menu.get_menu_info(), idempotent=True)
    if not isinstance(answer, dict) or "is_menu_open" not in answer:
        raise WeChatNetworkError(name, "the answer carried no is_menu_open")
    info = answer.get("selfmenu_info") or {}
    buttons = info.get("button") if isinstance(info, dict) else None
    return CurrentMenu(
        is_open=bool(int(answer["is_menu_open"] or 0)),
        buttons=tuple(_item(b) for b in (buttons or []) if isinstance(b, dict)),
    )


def delete_menu(api: WeChatApi) -> None:
    """Remove the menu (and every personalised menu) from the account.

    https://developers.weixin.qq.com/doc/service/api/custommenu/api_deletemenu
    """
    api.call("menu/delete", lambda c: c.menu.delete(), idempotent=True)


def _item(raw: Mapping[str, Any]) -> MenuItem:
    subs: Any = raw.get("sub_button") or []
    if isinstance(subs, Mapping):
        subs = subs.get("list") or []
    children: Sequence[Any] = subs if isinstance(subs, list) else []
    return MenuItem(
        name=str(raw.get("name", "")),
        type=str(raw.get("type", "")) if not children else "",
        key=str(raw.get("key", "") or ""),
        url=str(raw.get("url", "") or ""),
        sub_buttons=tuple(_item(c) for c in children if isinstance(c, Mapping)),
    )
