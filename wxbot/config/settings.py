"""The whole configuration and its loading: defaults → TOML → ``WXBOT_*`` → overrides."""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.fields import FieldInfo

from ..errors import ConfigError
from .account import ServerSection, StorageSection, WechatSection
from .accounts import DEFAULT_ACCOUNT, AccountSection, check_account_name, with_inherited
from .articles import BrandSection, CoverSection, PublishSection, RenderSection
from .menu import MenuSection
from .sandbox import SandboxSettings
from .service import CallbackSection, ScheduleSection, SearchSection
from .stats import StatsSection

ENV_PREFIX = "WXBOT_"
ENV_DELIMITER = "__"


class Settings(BaseModel):
    """The whole configuration: one typed section per ``[table]`` of the TOML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    wechat: WechatSection = WechatSection()
    storage: StorageSection = StorageSection()
    server: ServerSection = ServerSection()
    publish: PublishSection = PublishSection()
    brand: BrandSection = BrandSection()
    render: RenderSection = RenderSection()
    cover: CoverSection = CoverSection()
    sandbox: SandboxSettings = SandboxSettings()
    schedule: ScheduleSection = ScheduleSection()
    callback: CallbackSection = CallbackSection()
    search: SearchSection = SearchSection()
    menu: MenuSection = MenuSection()
    stats: StatsSection = StatsSection()
    #: More official accounts beside ``[wechat]``, by name (``[accounts.<name>]``).
    accounts: dict[str, AccountSection] = {}

    @model_validator(mode="before")
    @classmethod
    def _accounts_inherit(cls, values: Any) -> Any:
        if isinstance(values, dict) and isinstance(values.get("accounts"), dict):
            wechat = values.get("wechat") or {}
            accounts = {
                name: with_inherited(table, wechat) for name, table in values["accounts"].items()
            }
            values = {**values, "accounts": accounts}
        return values

    @model_validator(mode="after")
    def _accounts_valid(self) -> Settings:
        appids = {self.wechat.appid: DEFAULT_ACCOUNT} if self.wechat.appid else {}
        for name, account in self.accounts.items():
            try:
                check_account_name(name)
            except ValueError as exc:
                raise ConfigError(f"accounts.{name}: {exc}") from None
            if account.appid in appids:
                raise ConfigError(
                    f"accounts.{name}.appid: {account.appid} is already the "
                    f"{appids[account.appid]!r} account's"
                )
            appids[account.appid] = name
            try:
                BrandSection(**{**self.brand.model_dump(), **account.brand})
            except ValidationError as exc:
                raise ConfigError(describe(exc, prefix=f"accounts.{name}.brand.")) from None
        return self

    def account_names(self) -> list[str]:
        """Return every account's name: ``default`` (``[wechat]``) first, then the others."""
        return [DEFAULT_ACCOUNT, *self.accounts]

    def for_account(self, name: str) -> Settings:
        """Return these settings as account ``name`` sees them: its credentials, brand, theme, menu.

        :raises ConfigError: when no account has that name.
        """
        if name == DEFAULT_ACCOUNT:
            return self
        account = self.accounts.get(name)
        if account is None:
            known = ", ".join(self.account_names())
            raise ConfigError(f"no account named {name!r} (accounts: {known})")
        changes: dict[str, Any] = {
            "wechat": account.wechat(),
            "brand": BrandSection(**{**self.brand.model_dump(), **account.brand}),
            "menu": account.menu or self.menu,
        }
        if account.theme:
            changes["render"] = self.render.model_copy(update={"theme": account.theme})
        made = self.model_copy(update=changes)
        made.__dict__.pop("digest", None)  # a copy keeps what was cached: these values differ
        return made

    @cached_property
    def digest(self) -> str:
        """Return a digest of every value, to key what was rendered under these settings."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def updated(self, overrides: Mapping[str, Any]) -> Settings:
        """Return a validated copy with some keys changed (section tables or dotted keys)."""
        values = self.model_dump()
        for section, table in nest(overrides).items():
            _check_names(table, section, "overrides")
            values[section] = {**values[section], **table}
        return _validated(values)


def section_fields(section: str) -> dict[str, FieldInfo]:
    """Return the keys a section declares, in declaration order."""
    default: BaseModel = Settings.model_fields[section].default
    return dict(type(default).model_fields)


#: The table of named sections rather than keys: ``[accounts.<name>]``.
ACCOUNTS = "accounts"


def sections() -> list[str]:
    """Return the section names in declaration order (``accounts``, a table of tables, apart)."""
    return [name for name in Settings.model_fields if name != ACCOUNTS]


def keys() -> list[tuple[str, str, Any, str]]:
    """Return every key as (section, key, default, help), in declaration order."""
    return [
        (section, key, field.get_default(call_default_factory=True), field.description or "")
        for section in sections()
        for key, field in section_fields(section).items()
    ]


def load(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Return the validated settings from defaults, a TOML file, the environment and overrides.

    :raises ConfigError: naming the key (or variable) and what is wrong with it.
    """
    environ = os.environ if environ is None else environ
    path = path or environ.get("WXBOT_CONFIG") or None
    values: dict[str, dict[str, Any]] = {}
    if path:
        _merge(values, _read_toml(Path(path)), origin=f"config file {path}")
    _merge(values, _from_environ(environ), origin="the environment")
    if overrides:
        _merge(values, nest(overrides), origin="overrides")
    return _validated(values)


def _validated(values: Mapping[str, Any]) -> Settings:
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def describe(error: ValidationError, prefix: str = "") -> str:
    """Return the first problem of a validation error as ``section.key: what is wrong``."""
    first = error.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    where = re.sub(r"\.(\d+)", r"[\1]", f"{prefix}{where}")
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "string_pattern_mismatch" and "#" in first["ctx"].get("pattern", ""):
        message = "expected a colour like #1F4E9D"
    elif first["type"] in _TYPE_NAMES:
        message = f"expected {_TYPE_NAMES[first['type']]}"
    elif first["type"] == "missing":
        message = "missing"
    elif first["type"] == "literal_error":
        message = f"must be {first['ctx']['expected']}"
    elif first["type"] in ("greater_than", "greater_than_equal"):
        bound = next(iter(first["ctx"].values()))
        zero = bound in (0, "0 seconds")  # a duration's bound comes as text
        if first["type"] == "greater_than":
            message = "must be positive" if zero else f"must be more than {bound}"
        else:
            message = "must not be negative" if zero else f"must be at least {bound}"
    more = error.error_count() - 1
    return f"{where}: {message}" + (f" (and {more} more)" if more else "")


_TYPE_NAMES = {
    "int_type": "int",
    "int_parsing": "int",
    "int_from_float": "int",
    "float_type": "float",
    "float_parsing": "float",
    "bool_type": "bool",
    "bool_parsing": "bool",
    "string_type": "str",
    "list_type": "a list",
    "model_type": "a table",
    "time_delta_type": "a number of seconds",
    "time_delta_parsing": "a number of seconds",
}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, IsADirectoryError):
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Return the ``WXBOT_<SECTION>__<KEY>`` variables as sections, lists and tables from JSON.

    A variable shaped like a setting that names none is refused, not skipped: a typo
    must not leave the default silently in force. Other ``WXBOT_`` variables
    (``WXBOT_CONFIG``) are left alone unless they begin with a section's name.
    Scalars stay text for pydantic to read ("9100" as an int, "false" as a bool).
    """
    names = sections()
    out: dict[str, dict[str, Any]] = {}
    for variable, raw in environ.items():
        upper = variable.upper()
        if not upper.startswith(ENV_PREFIX):
            continue
        rest = upper.removeprefix(ENV_PREFIX)
        section, delimiter, key = (part.lower() for part in rest.partition(ENV_DELIMITER))
        if section == ACCOUNTS and delimiter:
            out.setdefault(ACCOUNTS, {})[key] = _json_table(variable, raw, f"{ACCOUNTS}.{key}")
            continue
        starts_like_section = any(rest.lower().startswith(f"{s}_") for s in names)
        if not delimiter and not starts_like_section:
            continue
        if not delimiter or section not in names:
            raise ConfigError(
                f"{variable}: no such setting (expected WXBOT_<SECTION>__<KEY>, "
                f"sections: {', '.join(names)})"
            )
        fields = section_fields(section)
        if key not in fields:
            raise ConfigError(f"{section}.{key}: unknown key in the environment ({variable})")
        value: Any = raw
        if _is_structured(fields[key].annotation):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise ConfigError(
                    f"{section}.{key}: {variable} must be JSON (a list or table)"
                ) from None
        out.setdefault(section, {})[key] = value
    return out


def _json_table(variable: str, raw: str, where: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise ConfigError(f"{where}: {variable} must be JSON (a table)") from None


def _is_structured(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) in (list, dict)


def nest(flat_or_nested: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, value in flat_or_nested.items():
        if isinstance(value, Mapping) and "." not in name:
            out.setdefault(name, {}).update(value)
        else:
            section, _, key = name.partition(".")
            out.setdefault(section, {})[key] = value
    return out


def _check_names(table: Any, section: str, origin: str) -> None:
    if section not in Settings.model_fields:
        raise ConfigError(f"{section}: unknown section in {origin}")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{section}: expected a table in {origin}")
    if section == ACCOUNTS:
        return  # each account's keys are checked when it is validated, named in the error
    fields = section_fields(section)
    for key in table:
        if key not in fields:
            raise ConfigError(f"{section}.{key}: unknown key in {origin}")


def _merge(values: dict[str, dict[str, Any]], new: Mapping[str, Any], origin: str) -> None:
    for section, table in new.items():
        _check_names(table, section, origin)
        if section == ACCOUNTS:
            accounts = values.setdefault(ACCOUNTS, {})
            for name, account in table.items():
                if not isinstance(account, Mapping):
                    raise ConfigError(f"{ACCOUNTS}.{name}: expected a table in {origin}")
                accounts[name] = {**accounts.get(name, {}), **account}
            continue
        values.setdefault(section, {}).update(table)
