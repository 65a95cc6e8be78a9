"""The settings shown to people: ``wxbot config`` with secrets masked, and the example file."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic import (
    BaseModel,
    SecretStr,
)

from .settings import ACCOUNTS, Settings, keys, section_fields, sections

#: What a secret is shown as (``wxbot config``, errors, logs).
MASK = "********"


def public_view(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the settings as plain data with every secret masked, for display and logs.

    The database URL is shown with only its password masked: which database is in use
    is what an operator needs to see.
    """
    out: dict[str, dict[str, Any]] = {}
    for section in sections():
        table = getattr(settings, section)
        out[section] = {}
        for key in section_fields(section):
            value = getattr(table, key)
            if section == "storage" and key == "database_url":
                value = mask_password(value.get_secret_value())
            elif isinstance(value, SecretStr):
                value = MASK if value.get_secret_value() else ""
            out[section][key] = plain_value(value)
    out[ACCOUNTS] = {name: _masked(account) for name, account in settings.accounts.items()}
    return out


def _masked(account: BaseModel) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key in type(account).model_fields:
        value = getattr(account, key)
        if isinstance(value, SecretStr):
            value = MASK if value.get_secret_value() else ""
        if value is not None:
            table[key] = plain_value(value)
    return table


def mask_password(url: str) -> str:
    """Return a database URL with its password (only) replaced by the mask."""
    match = re.match(r"^([^:/]+(?:\+[^:/]+)?://[^:/@]*:)([^@]*)(@.*)$", url)
    return f"{match.group(1)}{MASK}{match.group(3)}" if match else url


def plain_value(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, BaseModel):
        # Keys left at their default are left out (a menu button shows only what it uses).
        return {k: plain_value(v) for k, v in value.model_dump(exclude_defaults=True).items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


def example_toml() -> str:
    """Return a TOML file documenting every key with its default and help."""
    lines = [
        "# wxbot configuration. Every key is optional: the value shown is the default.",
        "# Any key can also be set as WXBOT_<SECTION>__<KEY> in the environment",
        "# (lists and tables as JSON). An unknown key, here or there, is refused.",
    ]
    current = None
    for section, key, default, help_text in keys():
        if section != current:
            current = section
            lines += ["", f"[{section}]"]
        lines.append(f"# {help_text}")
        lines.append(f"{key} = {_toml_value(plain_value(default), top=True)}")
    return "\n".join(lines + _ACCOUNTS_EXAMPLE) + "\n"


#: How to add accounts beside [wechat]: a commented example ([wechat]'s keys and four more).
_ACCOUNTS_EXAMPLE = [
    "",
    '# More official accounts beside [wechat] (the account named "default", at /wechat).',
    "# Each [accounts.<name>] is answered at /wechat/<name> and takes [wechat]'s keys;",
    "# api_base_url, timeout, retries and retry_backoff default to [wechat]'s. Its own look,",
    "# all optional: display_name (what editors see), brand (keys of [brand] to change),",
    "# theme, menu ({buttons = [...]}).",
    "# In the environment: WXBOT_ACCOUNTS__<NAME> as a JSON table.",
    "# [accounts.gongye]",
    '# appid = "wx..."',
    '# secret = "..."',
    '# token = "..."',
    '# encoding_aes_key = ""',
    '# display_name = "工业智能算网"',
    '# brand = { series_name = "新质生产力每日动态" }',
    '# theme = ""',
]


def _toml_value(value: Any, *, top: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if top and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        # One table a line: inline tables must stay on one line, arrays may span several.
        return "[\n" + "".join(f"    {_toml_value(v)},\n" for v in value) + "]"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")
