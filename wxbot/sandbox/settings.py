"""The simulated account's credentials and behaviour, and how they come from wxbot's config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import ConfigError
from . import limits

#: Credentials of the built-in sandbox account (the demo configures wxbot with them).
SANDBOX_APPID = "wx0000000000sandbox"
SANDBOX_SECRET = "sandboxsecret0000000000000000000"
SANDBOX_TOKEN = "wxbotsandbox"
SANDBOX_AES_KEY = "wxbotSandboxAESKey0123456789abcdefghijklmno"
SANDBOX_ORIGINAL_ID = "gh_0000sandbox"


@dataclass(frozen=True)
class SandboxSettings:
    """Hold what the sandbox accepts, signs with and how fast it completes jobs."""

    appid: str = SANDBOX_APPID
    secret: str = SANDBOX_SECRET
    token: str = SANDBOX_TOKEN
    encoding_aes_key: str = SANDBOX_AES_KEY
    #: plaintext, compatible or safe; empty = safe with a key, plaintext without.
    message_mode: str = ""
    original_id: str = SANDBOX_ORIGINAL_ID
    account_name: str = "wxbot 沙盒公众号"
    #: wxbot's follower-callback URL for completion events; empty = no delivery.
    callback_url: str = ""
    #: URL clients reach the sandbox at; empty = the address it listens on.
    public_base_url: str = ""
    token_ttl: float = limits.TOKEN_TTL_SECONDS
    token_grace: float = limits.TOKEN_GRACE_SECONDS
    publish_delay: float = 2.0
    mass_send_delay: float = 2.0
    mass_daily_quota: int = limits.MASS_DAILY_QUOTA_SUBSCRIPTION
    clientmsgid_retry_interval: float = limits.CLIENTMSGID_RETRY_INTERVAL_SECONDS
    followers: int = 3
    callback_timeout: float = limits.CALLBACK_TIMEOUT_SECONDS
    callback_tries: int = limits.CALLBACK_TRIES
    callback_retry_interval: float = 1.0

    @property
    def mode(self) -> str:
        """Return the effective callback mode: plaintext, compatible or safe."""
        if self.message_mode:
            return self.message_mode
        return "safe" if self.encoding_aes_key else "plaintext"

    def validate(self) -> SandboxSettings:
        """Return these settings, or raise :class:`ConfigError` naming the bad key."""
        if self.message_mode not in ("", *limits.MESSAGE_MODES):
            raise ConfigError("sandbox.message_mode: must be plaintext, compatible or safe")
        key = self.encoding_aes_key
        if key and len(key) != limits.ENCODING_AES_KEY_CHARS:
            raise ConfigError(f"sandbox.encoding_aes_key: must be 43 characters, got {len(key)}")
        if self.mode != "plaintext" and not key:
            raise ConfigError(f"sandbox.encoding_aes_key: required in {self.mode} mode")
        if not self.appid or not self.secret:
            raise ConfigError("sandbox.appid/secret: the sandbox needs credentials")
        for name in ("token_ttl", "publish_delay", "mass_send_delay", "callback_timeout"):
            if getattr(self, name) < 0:
                raise ConfigError(f"sandbox.{name}: must not be negative")
        if self.mass_daily_quota < 0 or self.followers < 0 or self.callback_tries < 1:
            raise ConfigError("sandbox: quota and followers must not be negative")
        for name in ("callback_url", "public_base_url"):
            url = getattr(self, name)
            if url and not url.startswith(("http://", "https://")):
                raise ConfigError(f"sandbox.{name}: must start with http:// or https://")
        return self

    def with_overrides(self, **overrides: Any) -> SandboxSettings:
        """Return a copy with the given fields changed (unknown names raise TypeError)."""
        return replace(self, **overrides).validate()

    @classmethod
    def from_config(cls, config: Mapping[str, Mapping[str, Any]]) -> SandboxSettings:
        """Return settings from wxbot's loaded config: ``[sandbox]`` over ``[wechat]`` credentials.

        A ``[wechat]`` section with an appid lends all its credentials (an empty
        EncodingAESKey there means plaintext); without one the built-in sandbox account is used.
        """
        wechat = config.get("wechat", {})
        sandbox = config.get("sandbox", {})
        values: dict[str, Any] = {}
        if wechat.get("appid"):
            for key in ("appid", "secret", "token", "encoding_aes_key", "message_mode"):
                values[key] = wechat.get(key, "")
        names = {f.name for f in fields(cls)}
        for key, value in sandbox.items():
            if key in names and value != "":  # an empty [sandbox] key never overrides
                values[key] = value
        values = {k: v for k, v in values.items() if not (v == "" and k in _CREDENTIALS_NEEDED)}
        return cls(**values).validate()


#: Credentials that fall back to the built-in account when left empty everywhere.
_CREDENTIALS_NEEDED = frozenset({"appid", "secret", "token"})
