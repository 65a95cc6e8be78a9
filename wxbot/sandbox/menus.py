"""The custom menu: ``menu/create``, ``get_current_selfmenu_info``, ``menu/delete``.

https://developers.weixin.qq.com/doc/service/api/custommenu/api_createcustommenu
https://developers.weixin.qq.com/doc/service/api/custommenu/api_getcurrentselfmenuinfo
https://developers.weixin.qq.com/doc/service/api/custommenu/api_deletemenu
The errcodes are the global return codes' menu block ("40016 invalid button size" …
"40027 invalid sub button url size", "40054 invalid sub button url domain", "40055 invalid
button url domain"): a top-level button's problem has the 4001x/40020 code, a sub-button's the
4002x one. Which check WeChat makes first is not documented: the sandbox checks the count,
then each button in order — name, type, key or url.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import limits
from .protocol import ApiError, Call, Reply, ok
from .state import MenuButton

if TYPE_CHECKING:
    from .account import Account

logger = logging.getLogger(__name__)

#: "菜单的响应动作类型": the types whose click pushes an event with the button's key.
KEY_TYPES = frozenset(
    {
        "click",
        "scancode_push",
        "scancode_waitmsg",
        "pic_sysphoto",
        "pic_photo_or_album",
        "pic_weixin",
        "location_select",
    }
)
#: "url … view、miniprogram类型必填".
URL_TYPES = frozenset({"view", "miniprogram"})
#: "media_id类型和view_limited类型必须" a permanent material's media_id.
MEDIA_TYPES = frozenset({"media_id", "view_limited"})
#: "article_id类型和article_view_limited类型必须" a published article_id.
ARTICLE_TYPES = frozenset({"article_id", "article_view_limited"})
BUTTON_TYPES = KEY_TYPES | URL_TYPES | MEDIA_TYPES | ARTICLE_TYPES


@dataclass(frozen=True)
class _Codes:
    """The errcodes of one menu level (top-level buttons or sub-buttons)."""

    name: int
    type: int
    key: int
    url: int
    domain: int
    name_max: int


TOP = _Codes(40018, 40017, 40019, 40020, 40055, limits.MENU_NAME_MAX_BYTES)
SUB = _Codes(40025, 40024, 40026, 40027, 40054, limits.MENU_SUB_NAME_MAX_BYTES)


def create_menu(account: Account, call: Call) -> Reply:
    """Replace the account's menu with 1 to 3 buttons of 1 to 5 sub-buttons each."""
    body = call.json()
    raw = body.get("button")
    if not isinstance(raw, list) or not 1 <= len(raw) <= limits.MENU_BUTTONS_MAX:
        raise ApiError(40016)
    menu = [_top_button(account, item) for item in raw]
    account.state.menu = menu
    account.state.menu_id = account.state.number()
    logger.info("menu created: %s", ", ".join(b.name for b in menu))
    return ok()


def get_current_selfmenu_info(account: Account, call: Call) -> Reply:
    """Answer the menu in the documented shape (sub-buttons under ``sub_button.list``).

    "is_menu_open 菜单是否开启，0代表未开启，1代表开启". After menu/delete (or before any
    menu/create) the sandbox answers 0 with an empty button list; the page does not say
    whether ``selfmenu_info`` is then left out, so readers should accept both.
    """
    menu = account.state.menu
    if menu is None:
        return Reply({"is_menu_open": 0, "selfmenu_info": {"button": []}})
    return Reply({"is_menu_open": 1, "selfmenu_info": {"button": [_info(b) for b in menu]}})


def delete_menu(account: Account, call: Call) -> Reply:
    """Remove the menu ("调用此接口会删除默认菜单及全部个性化菜单"); answer ok even with none."""
    account.state.menu = None
    return ok()


def _top_button(account: Account, raw: Any) -> MenuButton:
    if not isinstance(raw, dict):
        raise ApiError(40017, "a button must be an object")
    subs = raw.get("sub_button")
    if isinstance(subs, list) and subs:
        _check_name(raw.get("name"), TOP)
        # "type … 与 sub_button 互斥": a button that opens sub-buttons has no action itself.
        if raw.get("type"):
            raise ApiError(40017, "a button with sub_button has no type")
        if len(subs) > limits.MENU_SUB_BUTTONS_MAX:
            raise ApiError(40023)
        children = tuple(_leaf(account, sub, SUB) for sub in subs)
        return MenuButton(name=raw["name"], sub_buttons=children)
    if subs not in (None, []):
        raise ApiError(40023 if isinstance(subs, list) else 40017)
    return _leaf(account, raw, TOP)


def _leaf(account: Account, raw: Any, codes: _Codes) -> MenuButton:
    if not isinstance(raw, dict):
        raise ApiError(codes.type, "a button must be an object")
    if codes is SUB and raw.get("sub_button"):
        raise ApiError(40022)
    name = _check_name(raw.get("name"), codes)
    kind = raw.get("type")
    if kind not in BUTTON_TYPES:
        raise ApiError(codes.type, f"unknown type {kind!r}")
    if kind in KEY_TYPES:
        key = raw.get("key")
        if not isinstance(key, str) or not key or _bytes(key) > limits.MENU_KEY_MAX_BYTES:
            raise ApiError(codes.key)
        return MenuButton(name=name, type=kind, key=key)
    if kind in URL_TYPES:
        url = raw.get("url")
        if not isinstance(url, str) or not url or _bytes(url) > limits.MENU_URL_MAX_BYTES:
            raise ApiError(codes.url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ApiError(codes.domain)
        return MenuButton(
            name=name,
            type=kind,
            url=url,
            appid=str(raw.get("appid") or ""),
            pagepath=str(raw.get("pagepath") or ""),
        )
    if kind in MEDIA_TYPES:
        media_id = raw.get("media_id")
        if not isinstance(media_id, str) or media_id not in account.state.materials:
            raise ApiError(40007)
        return MenuButton(name=name, type=kind, media_id=media_id)
    article_id = raw.get("article_id")
    if not isinstance(article_id, str) or article_id not in account.state.articles:
        raise ApiError(53600)
    return MenuButton(name=name, type=kind, article_id=article_id)


def _check_name(name: Any, codes: _Codes) -> str:
    if not isinstance(name, str) or not name or _bytes(name) > codes.name_max:
        raise ApiError(codes.name)
    return name


def _bytes(text: str) -> int:
    """Return the length WeChat limits: UTF-8 bytes ("不超过16个字节"; a CJK character is 3)."""
    return len(text.encode("utf-8"))


def _info(button: MenuButton) -> dict[str, Any]:
    """Return one button as get_current_selfmenu_info shows an API-made menu.

    "使用API设置的自定义菜单: click、scancode_push…location_select: 保存值到key;
    view: 保存链接到url".
    """
    if button.sub_buttons:
        return {"name": button.name, "sub_button": {"list": [_info(b) for b in button.sub_buttons]}}
    out: dict[str, Any] = {"type": button.type, "name": button.name}
    for field in ("key", "url", "appid", "pagepath", "media_id", "article_id"):
        value = getattr(button, field)
        if value:
            out[field] = value
    return out
