"""What every section is made of: the frozen base, durations, colours, URL and key checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
)

#: The characters of an EncodingAESKey (WeChat's 开发 → 基本配置 page).
AES_KEY_CHARS = 43
#: A mass send may be retried within 24 hours under the same clientmsgid; keep an hour spare.
CLIENTMSGID_WINDOW = dt.timedelta(hours=23)

MessageMode = Literal["", "plaintext", "compatible", "safe"]


def _seconds(value: Any) -> Any:
    """Read a number of seconds, also from the environment's text, as a duration."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.timedelta(seconds=value)
    return value


#: A duration given in seconds (TOML and environment alike).
Seconds = Annotated[dt.timedelta, BeforeValidator(_seconds)]


def url_check(value: str, *, empty_ok: bool = True) -> str:
    """Return an http(s) URL (or nothing, when allowed); refuse anything else."""
    if (empty_ok and not value) or value.startswith(("http://", "https://")):
        return value
    raise ValueError("must start with http:// or https://")


def aes_key_check(value: SecretStr) -> SecretStr:
    """Return an EncodingAESKey of WeChat's length (or none); refuse any other length."""
    length = len(value.get_secret_value())
    if length and length != AES_KEY_CHARS:
        raise ValueError(f"must be {AES_KEY_CHARS} characters, got {length}")
    return value


class Section(BaseModel):
    """A ``[section]`` of the configuration: frozen, and refusing keys it does not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


#: A colour as #RRGGBB.
Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
