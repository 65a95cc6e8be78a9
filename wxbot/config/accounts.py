"""The ``[accounts.<name>]`` tables: official accounts served beside ``[wechat]``.

``[wechat]`` stays the one account it always was, named :data:`DEFAULT_ACCOUNT` and answered at
``/wechat``. Each ``[accounts.<name>]`` adds another, answered at ``/wechat/<name>``, with its own
credentials and, optionally, its own brand, theme and menu; what it leaves out of the API keys
(``api_base_url``, ``timeout``, ``retries``, ``retry_backoff``) it takes from ``[wechat]``.
The archive and search are shared by every account.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from .account import WechatSection
from .menu import MenuSection

#: The name of the account ``[wechat]`` describes.
DEFAULT_ACCOUNT = "default"
#: An account's name: it is part of its callback URL (``/wechat/<name>``) and of the CLI.
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: The ``[wechat]`` keys an account inherits when it does not set them: how to reach the API.
INHERITED_KEYS = ("api_base_url", "timeout", "retries", "retry_backoff")


class AccountSection(WechatSection):
    """``[accounts.<name>]``: another official account, its credentials and its look."""

    display_name: str = Field(
        "", description="The account's name as editors see it (e.g. 工业智能算网); empty = its key."
    )
    brand: dict[str, Any] = Field(
        {}, description="Keys of [brand] this account sets otherwise (e.g. series_name, footer)."
    )
    theme: str = Field("", description="Article theme for this account; empty = [render] theme.")
    menu: MenuSection | None = Field(
        None, description="This account's custom menu ({buttons = [...]}); empty = [menu]."
    )

    @field_validator("appid")
    @classmethod
    def _appid_given(cls, appid: str) -> str:
        if not appid:
            raise ValueError("required: the account's AppID")
        return appid

    def wechat(self) -> WechatSection:
        """Return the account as a ``[wechat]`` section, what the API client and callback read."""
        return WechatSection(**{k: getattr(self, k) for k in WechatSection.model_fields})


def check_account_name(name: str) -> str:
    """Return ``name`` when it can name an account; raise ``ValueError`` saying why not."""
    if name == DEFAULT_ACCOUNT:
        raise ValueError(f"{DEFAULT_ACCOUNT!r} is the [wechat] account: give this one another name")
    if not ACCOUNT_NAME.match(name):
        raise ValueError(
            "an account name is 1-32 lowercase letters, digits, '-' or '_' (it is part of the "
            "callback URL /wechat/<name>)"
        )
    return name


def with_inherited(table: Any, wechat: Any) -> Any:
    """Return an account's raw table with the API keys it leaves out taken from ``[wechat]``."""
    if not isinstance(table, dict):
        return table
    if isinstance(wechat, WechatSection):
        wechat = wechat.model_dump()
    inherited = {k: wechat[k] for k in INHERITED_KEYS if isinstance(wechat, dict) and k in wechat}
    return {**inherited, **table}


def display_name(accounts: dict[str, AccountSection], name: str) -> str:
    """Return how editors know account ``name``: its ``display_name``, else the name itself."""
    section = accounts.get(name)
    return (section.display_name if section else "") or name
