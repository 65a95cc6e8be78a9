"""The ``[wechat]``, ``[storage]`` and ``[server]`` sections: the account and where wxbot runs."""

from __future__ import annotations

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ..errors import ConfigError
from .fields import MessageMode, Section, aes_key_check, url_check


class WechatSection(Section):
    """``[wechat]``: the official account wxbot calls and answers for."""

    appid: str = Field("", description="Official account AppID (开发 → 基本配置).")
    secret: SecretStr = Field(SecretStr(""), description="Official account AppSecret.")
    token: SecretStr = Field(
        SecretStr(""), description="Server-configuration Token used to sign callbacks."
    )
    encoding_aes_key: SecretStr = Field(
        SecretStr(""), description="43-character EncodingAESKey; empty = plaintext mode."
    )
    previous_encoding_aes_key: SecretStr = Field(
        SecretStr(""),
        description="The EncodingAESKey before the last rotation, still accepted for decryption.",
    )
    message_mode: MessageMode = Field(
        "",
        description="Callback mode: plaintext, compatible or safe; empty = plaintext without "
        "a key, safe with one.",
    )
    api_base_url: str = Field(
        "https://api.weixin.qq.com",
        description="Base URL of the WeChat API; every call goes to {api_base_url}/cgi-bin/... .",
    )
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for one WeChat API call.")
    retries: int = Field(
        3,
        ge=0,
        description="Retries of a call that is safe to repeat, after -1 (system busy) or a "
        "network error.",
    )
    retry_backoff: float = Field(
        0.5,
        ge=0,
        description="Seconds before the first retry; each further retry waits twice as long.",
    )

    _aes_keys = field_validator("encoding_aes_key", "previous_encoding_aes_key")(aes_key_check)

    @field_validator("api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return url_check(value, empty_ok=False)

    @model_validator(mode="after")
    def _key_for_mode(self) -> WechatSection:
        if self.message_mode in ("compatible", "safe") and not self.aes_key:
            raise ConfigError(f"wechat.encoding_aes_key: required in {self.message_mode} mode")
        return self

    @property
    def aes_key(self) -> str:
        """Return the EncodingAESKey (empty in plaintext mode)."""
        return self.encoding_aes_key.get_secret_value()

    @property
    def mode(self) -> str:
        """Return the effective callback mode: plaintext, compatible or safe."""
        return self.message_mode or ("safe" if self.aes_key else "plaintext")


class StorageSection(Section):
    """``[storage]``: where wxbot keeps its archive, jobs and logs."""

    database_url: SecretStr = Field(
        SecretStr(""),
        description="SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...); "
        "empty = wxbot.sqlite3 in the instance folder.",
    )


class ServerSection(Section):
    """``[server]``: where ``wxbot serve`` listens and how followers reach it."""

    host: str = Field("127.0.0.1", description="Address `wxbot serve` listens on.")
    port: int = Field(8000, description="Port `wxbot serve` listens on.")
    public_base_url: str = Field(
        "",
        description="Public URL of this service (for archive links in replies); "
        "empty = http://{host}:{port}.",
    )
    secret_key: SecretStr = Field(
        SecretStr(""),
        description="Flask secret key signing editor sessions (random, e.g. `python -c "
        "'import secrets; print(secrets.token_hex(32))'`); required to serve, the demo makes one.",
    )
    session_hours: float = Field(
        12.0,
        gt=0,
        description="Hours an editor stays signed in to the console before signing in again.",
    )
    proxy_hops: int = Field(
        0,
        ge=0,
        description="Reverse proxies in front that append to X-Forwarded-For (1 for one nginx): "
        "the console reads editors' addresses (sign-in limits, audit log) from it; 0 = none.",
    )

    @field_validator("port")
    @classmethod
    def _tcp_port(cls, port: int) -> int:
        if not 0 <= port <= 65535:
            raise ValueError(f"{port} is not a TCP port")
        return port

    _public_url = field_validator("public_base_url")(url_check)

    @property
    def base_url(self) -> str:
        """Return the base URL followers reach this service at, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")
