"""The simulated account's settings: the ``[sandbox]`` section, and where its credentials come from.

The keys are declared once, with wxbot's other settings, as
:class:`wxbot.config.SandboxSettings`; this module adds the built-in account and the rule
that fills the credentials a configuration leaves empty.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError

from ..config import SandboxSettings, WechatSection, describe
from ..errors import ConfigError

__all__ = [
    "SANDBOX_AES_KEY",
    "SANDBOX_APPID",
    "SANDBOX_ORIGINAL_ID",
    "SANDBOX_SECRET",
    "SANDBOX_TOKEN",
    "SandboxSettings",
    "account_settings",
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
