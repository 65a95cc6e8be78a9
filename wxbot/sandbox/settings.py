"""The simulated accounts' settings: the ``[sandbox]`` section, and where credentials come from.

The keys are declared once, with wxbot's other settings, as
:class:`wxbot.config.SandboxSettings`; this module adds the built-in account, the rule
that fills the credentials a configuration leaves empty, and one more account per
``[accounts.<name>]`` (:func:`sandbox_accounts`).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import SecretStr, ValidationError

from ..config import SandboxSettings, Settings, WechatSection, describe
from ..config.accounts import AccountSection
from ..errors import ConfigError

__all__ = [
    "SANDBOX_AES_KEY",
    "SANDBOX_APPID",
    "SANDBOX_ORIGINAL_ID",
    "SANDBOX_SECRET",
    "SANDBOX_TOKEN",
    "SandboxSettings",
    "account_settings",
    "named_account_settings",
    "original_id_of",
    "sandbox_accounts",
    "with_overrides",
]

#: Credentials of the built-in sandbox account (the demo configures wxbot with them).
SANDBOX_APPID = "wx0000000000sandbox"
SANDBOX_SECRET = "sandboxsecret0000000000000000000"
SANDBOX_TOKEN = "wxbotsandbox"
SANDBOX_AES_KEY = "wxbotSandboxAESKey0123456789abcdefghijklmno"
SANDBOX_ORIGINAL_ID = "gh_0000sandbox"

_BUILT_IN = {
    "appid": SANDBOX_APPID,
    "secret": SecretStr(SANDBOX_SECRET),
    "token": SecretStr(SANDBOX_TOKEN),
    "encoding_aes_key": SecretStr(SANDBOX_AES_KEY),
}
_CREDENTIALS = ("appid", "secret", "token", "encoding_aes_key", "message_mode")


def _text(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


def account_settings(
    settings: SandboxSettings | None = None, wechat: WechatSection | None = None
) -> SandboxSettings:
    """Return the settings with every empty credential filled, checked for a running account.

    A ``[wechat]`` section with an appid lends its credentials to the empty ones (an empty
    EncodingAESKey there means plaintext); otherwise the built-in sandbox account's are used.

    :raises ConfigError: naming the key when the account could not work.
    """
    settings = settings or SandboxSettings()
    filled: dict[str, Any] = {}
    lent = wechat is not None and bool(wechat.appid)
    for key in _CREDENTIALS:
        if not _text(getattr(settings, key)) and lent:
            filled[key] = getattr(wechat, key)
    for key, built_in in _BUILT_IN.items():
        value = filled.get(key, getattr(settings, key))
        if not _text(value) and not (key == "encoding_aes_key" and lent):
            filled[key] = built_in
    settings = settings.model_copy(update=filled)
    if settings.mode != "plaintext" and not settings.aes_key:
        raise ConfigError(f"sandbox.encoding_aes_key: required in {settings.mode} mode")
    return settings


def with_overrides(settings: SandboxSettings, **overrides: Any) -> SandboxSettings:
    """Return a validated copy with some keys changed.

    :raises ConfigError: naming an unknown key or a bad value.
    """
    try:
        return SandboxSettings.model_validate(dict(settings) | overrides)
    except ValidationError as exc:
        raise ConfigError(describe(exc, prefix="sandbox.")) from None


def sandbox_accounts(settings: Settings, callback_url: str | None = None) -> list[SandboxSettings]:
    """Return the accounts ``wxbot sandbox`` serves for a configuration, ``[sandbox]``'s first.

    The first is ``[sandbox]`` with ``[wechat]`` lending its credentials (:func:`account_settings`);
    then one per ``[accounts.<name>]`` (:func:`named_account_settings`). ``callback_url``
    replaces ``[sandbox] callback_url``.

    :raises ConfigError: naming the key when an account could not work.
    """
    first = settings.sandbox
    if callback_url is not None:
        first = with_overrides(first, callback_url=callback_url)
    return [
        account_settings(first, settings.wechat),
        *(named_account_settings(first, name, a) for name, a in settings.accounts.items()),
    ]


def named_account_settings(
    sandbox: SandboxSettings, name: str, account: AccountSection
) -> SandboxSettings:
    """Return the sandbox settings of account ``name``: its credentials, ``[sandbox]``'s rest.

    Its original id is ``gh_`` and 12 hex digits derived from the appid (stable across runs);
    its name on article pages is its display_name (or name); its events go to
    ``[sandbox] callback_url`` + ``/<name>``, where wxbot answers that account.
    """
    base = sandbox.callback_url.rstrip("/")
    named = {key: getattr(account, key) for key in _CREDENTIALS} | {
        # Its effective mode, so that no built-in EncodingAESKey turns plaintext into safe.
        "message_mode": account.mode,
        "original_id": original_id_of(account.appid),
        "account_name": account.display_name or name,
        "callback_url": f"{base}/{name}" if base else "",
    }
    try:
        settings = SandboxSettings.model_validate(dict(sandbox) | named)
    except ValidationError as exc:
        raise ConfigError(describe(exc, prefix=f"accounts.{name}.")) from None
    return settings


def original_id_of(appid: str) -> str:
    """Return the original id the sandbox gives a further account: ``gh_`` and 12 hex digits."""
    return "gh_" + hashlib.sha256(appid.encode("utf-8")).hexdigest()[:12]


def own_original_ids(accounts: list[SandboxSettings]) -> list[SandboxSettings]:
    """Give each account after the first that kept the default original id its own one."""
    return [
        each.model_copy(update={"original_id": original_id_of(each.appid)})
        if number and each.original_id == SANDBOX_ORIGINAL_ID
        else each
        for number, each in enumerate(accounts)
    ]
