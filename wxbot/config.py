"""Settings, declared once as typed sections with default and help, loaded and validated.

Order: defaults → TOML file (``--config`` / ``WXBOT_CONFIG``) → ``WXBOT_<SECTION>__<KEY>``
environment variables → overrides (tests, the demo). Nothing here runs at import time.

Declared as pydantic models. Three ways were tried on this configuration:

* frozen dataclasses type a key but check nothing: lists of strings (``preview_openids``),
  tables (``qr_codes``), ranges, colours and secrets each needed a hand-written checker —
  the code the untyped ``Setting(default)`` table had grown;
* pydantic checks all of these from the annotations, names the key in every error (its
  ``loc``), refuses unknown keys (``extra="forbid"``) and hides secrets (``SecretStr``);
* pydantic-settings (``env_prefix="WXBOT_"``, ``env_nested_delimiter="__"``, its TOML
  source) added ~65 ms of imports to every command's start (``bench/startup.py``) and still
  needed code here: its environment source skips a variable whose section it does not know
  (``WXBOT_WECHATT__APPID`` silently ignored) and its TOML source a missing file. So the
  two sources are read here (``_from_environ``, ``tomllib``) and pydantic validates.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import ConfigError

ENV_PREFIX = "WXBOT_"
ENV_DELIMITER = "__"
#: What a secret is shown as (``wxbot config``, errors, logs).
MASK = "********"
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


def _url(value: str, *, empty_ok: bool = True) -> str:
    if (empty_ok and not value) or value.startswith(("http://", "https://")):
        return value
    raise ValueError("must start with http:// or https://")


def _aes_key(value: SecretStr) -> SecretStr:
    length = len(value.get_secret_value())
    if length and length != AES_KEY_CHARS:
        raise ValueError(f"must be {AES_KEY_CHARS} characters, got {length}")
    return value


class Section(BaseModel):
    """A ``[section]`` of the configuration: frozen, and refusing keys it does not declare."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


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

    _aes_keys = field_validator("encoding_aes_key", "previous_encoding_aes_key")(_aes_key)

    @field_validator("api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return _url(value, empty_ok=False)

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
        description="Flask secret key for editor sessions; empty = a random key per start.",
    )

    @field_validator("port")
    @classmethod
    def _tcp_port(cls, port: int) -> int:
        if not 0 <= port <= 65535:
            raise ValueError(f"{port} is not a TCP port")
        return port

    _public_url = field_validator("public_base_url")(_url)

    @property
    def base_url(self) -> str:
        """Return the base URL followers reach this service at, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")


class PublishSection(Section):
    """``[publish]``: what every article carries and how publishing waits."""

    timezone: str = Field("Asia/Shanghai", description="Timezone for dates and schedules.")
    author: str = Field("新质生产力工委", description="Article author (at most 16 characters).")
    content_source_url: str = Field("", description="URL behind 阅读原文; empty = none.")
    preview_openids: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="Editors' openids that receive a preview before a send."
    )
    wait_timeout: float = Field(
        120.0,
        ge=0,
        description="Seconds `wxbot publish --mode publish` waits for WeChat's result before "
        "leaving it to PUBLISHJOBFINISH and `wxbot sync`.",
    )
    poll_interval: float = Field(
        2.0,
        ge=0,
        description="Seconds between looks at a submitted publish while waiting for its result.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r}") from None
        return name

    @field_validator("author")
    @classmethod
    def _short_author(cls, author: str) -> str:
        if len(author) > 16:
            raise ValueError("WeChat allows at most 16 characters")
        return author

    _source_url = field_validator("content_source_url")(_url)

    @property
    def tz(self) -> ZoneInfo:
        """Return the publishing timezone."""
        return ZoneInfo(self.timezone)


class QrCode(Section):
    """One QR code of the article footer: an image and the caption under it."""

    image: str = Field(min_length=1)
    caption: str


Colour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]


class BrandSection(Section):
    """``[brand]``: the newsletter's name, publishers, colours and footer."""

    series_name: str = Field("新质生产力每日动态", description="The newsletter's name.")
    organisation_lines: list[str] = Field(
        ["中国高技术产业发展促进会新质生产力工作委员会", "博雅云创 & 中科创新驱动"],
        description="Lines naming the publishers, printed under the series name.",
    )
    footer_text: str = Field(
        "本报告仅供行业研究参考，不构成投资建议",
        description="Text printed at the foot of every article when the issue has no disclaimer.",
    )
    qr_codes: list[QrCode] = Field(
        [
            QrCode(image="brand/qr-account.png", caption="新质生产力工作委员会官方公众号"),
            QrCode(image="brand/qr-website.png", caption="工业智能算网 gyznsw.cn"),
        ],
        description="QR-code images in the footer: list of {image, caption}; image paths are "
        "relative to the assets folder or absolute.",
    )
    primary_color: Colour = Field(
        "#1F4E9D", description="Main colour of headings and the cover, as #RRGGBB."
    )
    accent_color: Colour = Field(
        "#E8F0FB", description="Background of the summary box, as #RRGGBB."
    )


class RenderSection(Section):
    """``[render]``: how articles look."""

    theme: str = Field(
        "blue", min_length=1, description="Article theme: a CSS file name in templates/themes/."
    )


class CoverSection(Section):
    """``[cover]``: what the cover images are drawn with."""

    font_path: str = Field(
        "",
        description="Font file for cover images; empty = the Noto Sans CJK font installed "
        "with wxbot.",
    )
    keywords: list[str] = Field(
        [], description="Topics to print on covers instead of the issue's first section headings."
    )


class SandboxSettings(Section):
    """``[sandbox]``: what the WeChat API sandbox accepts, signs with and how fast it answers.

    The defaults of the last six keys are the platform's (``wxbot.sandbox.limits``).
    """

    host: str = Field("127.0.0.1", description="Address `wxbot sandbox` listens on.")
    port: int = Field(
        8090, ge=0, le=65535, description="Port `wxbot sandbox` listens on (0 = any free port)."
    )
    public_base_url: str = Field(
        "",
        description="URL clients reach the sandbox at, used in image and article URLs; "
        "empty = http://{host}:{port}.",
    )
    callback_url: str = Field(
        "",
        description="wxbot's follower-callback URL the sandbox POSTs completion events to; "
        "empty = no delivery.",
    )
    appid: str = Field(
        "",
        description="AppID the sandbox accepts; empty = [wechat] appid, or the built-in sandbox "
        "account when [wechat] has none.",
    )
    secret: SecretStr = Field(
        SecretStr(""), description="AppSecret the sandbox accepts; empty = as appid."
    )
    token: SecretStr = Field(
        SecretStr(""), description="Token the sandbox signs events with; empty = as appid."
    )
    encoding_aes_key: SecretStr = Field(
        SecretStr(""),
        description="EncodingAESKey the sandbox encrypts events with; empty = as appid.",
    )
    message_mode: MessageMode = Field(
        "", description="Event encryption: plaintext, compatible or safe; empty = as appid."
    )
    original_id: str = Field(
        "gh_0000sandbox", min_length=1, description="The account's original id (gh_...)."
    )
    account_name: str = Field(
        "wxbot 沙盒公众号", description="The account's name on its article pages."
    )
    token_ttl: float = Field(7200, ge=0, description="Seconds an access_token lives.")
    token_grace: float = Field(
        300,
        ge=0,
        description="Seconds the previous /cgi-bin/token token keeps working after a new one "
        "is fetched.",
    )
    publish_delay: float = Field(
        2.0, ge=0, description="Seconds until a freepublish job completes."
    )
    mass_send_delay: float = Field(2.0, ge=0, description="Seconds until a mass send completes.")
    mass_daily_quota: int = Field(
        1, ge=0, description="Successful mass sends allowed per day (1 for a subscription account)."
    )
    followers: int = Field(3, ge=0, description="Number of simulated followers.")
    clientmsgid_retry_interval: float = Field(
        60,
        ge=0,
        description="Seconds before a send under the same clientmsgid may be tried again.",
    )
    callback_timeout: float = Field(
        5.0, ge=0, description="Seconds the sandbox waits for wxbot to answer an event."
    )
    callback_tries: int = Field(3, ge=1, description="Deliveries of one event before giving up.")
    callback_retry_interval: float = Field(
        1.0, ge=0, description="Seconds between deliveries of one event."
    )

    _aes_keys = field_validator("encoding_aes_key")(_aes_key)
    _urls = field_validator("public_base_url", "callback_url")(_url)

    @property
    def aes_key(self) -> str:
        """Return the EncodingAESKey events are encrypted with (empty in plaintext mode)."""
        return self.encoding_aes_key.get_secret_value()

    @property
    def mode(self) -> str:
        """Return the effective event mode: plaintext, compatible or safe."""
        return self.message_mode or ("safe" if self.aes_key else "plaintext")


class ScheduleSection(Section):
    """``[schedule]``: how far ahead sends are scheduled and prepared, how late they may go."""

    min_lead: Seconds = Field(
        dt.timedelta(seconds=300),
        ge=dt.timedelta(0),
        description="Seconds a scheduled send must lie ahead when scheduled (the web console's "
        "定时群发 needs 5 minutes); 0 allows sends due at once, for testing.",
    )
    prepare_ahead: Seconds = Field(
        dt.timedelta(seconds=1800),
        ge=dt.timedelta(0),
        description="Seconds before the send to render, upload, make the draft and send "
        "previews (at once when the send is sooner).",
    )
    max_delay: Seconds = Field(
        dt.timedelta(seconds=1800),
        ge=dt.timedelta(0),
        description="Seconds a send may still go out after its time (when nothing was running); "
        "later it is marked missed, never sent. Under 23 hours (WeChat's clientmsgid window).",
    )
    daily_quota: int = Field(
        1,
        ge=0,
        description="Mass sends allowed per day in [publish] timezone (1 for a subscription "
        "account); 0 = no limit.",
    )
    poll_interval: float = Field(
        5.0,
        gt=0,
        description="Seconds the worker waits between looks at the job table (less when a send "
        "is due sooner).",
    )
    lease: Seconds = Field(
        dt.timedelta(seconds=300),
        gt=dt.timedelta(0),
        description="Seconds a worker holds a claimed job; after that another worker may take "
        "it over (longer than a sendall call with its retries).",
    )
    retry_interval: Seconds = Field(
        dt.timedelta(seconds=60),
        gt=dt.timedelta(0),
        description="Seconds before retrying a send WeChat answered with a passing error (-1, "
        "45011, 45066 asks for a minute) or that got no answer.",
    )
    status_interval: Seconds = Field(
        dt.timedelta(seconds=60),
        gt=dt.timedelta(0),
        description="Seconds between looks at a submitted send's outcome (MASSSENDJOBFINISH, "
        "else message/mass/get).",
    )
    in_process: bool = Field(
        True,
        description="Run the scheduler inside `wxbot serve` (the single-process default); false "
        "when a separate `wxbot worker` runs it.",
    )

    @field_validator("max_delay")
    @classmethod
    def _within_clientmsgid_window(cls, delay: dt.timedelta) -> dt.timedelta:
        # A retry after max_delay would fall outside WeChat's 24-hour clientmsgid dedupe.
        if delay >= CLIENTMSGID_WINDOW:
            raise ValueError("must be under 23 hours (clientmsgid window)")
        return delay


class CallbackSection(Section):
    """``[callback]``: how the follower callback answers and logs."""

    max_body_bytes: int = Field(
        65536,
        gt=0,
        description="Largest follower-callback body accepted, in bytes; a larger one is "
        "answered 413.",
    )
    timestamp_window: float = Field(
        300,
        ge=0,
        description="Seconds a callback's timestamp may differ from the server clock; "
        "0 = no check.",
    )
    welcome_text: str = Field(
        "欢迎关注新质生产力每日动态！每天一期，追踪新质生产力的政策、产业与资本动向。",
        description="First line of the reply to a new follower (the latest issue and the menu "
        "follow).",
    )
    log_flush_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds a worker may hold answered messages before writing them to the "
        "query log in one batch (WeChat retries after 5 s); 0 = write each one before replying.",
    )
    list_memory_hours: float = Field(
        24,
        gt=0,
        description="Hours a follower can still pick an item of the last list by its number.",
    )


class SearchSection(Section):
    """``[search]``: what finds what in the archive, and how answers are cached."""

    synonyms: list[list[Annotated[str, Field(min_length=1)]]] = Field(
        [["AI", "人工智能"], ["大模型", "LLM"]],
        description="Groups of words that find each other (a search for one finds any).",
    )
    popular_keywords: list[Annotated[str, Field(min_length=1)]] = Field(
        ["数据要素", "低空经济", "人工智能", "算力", "5G"],
        description="Keywords suggested in the menu and when a search finds nothing.",
    )
    recency_half_life_days: float = Field(
        30.0, gt=0, description="Days after which an issue's relevance counts half in the ranking."
    )
    cache_seconds: float = Field(
        1.0,
        ge=0,
        description="Seconds a worker reuses cached answers before checking the archive, "
        "keyword rules and article links for changes; 0 = check before every answer.",
    )
    cache_size: int = Field(2048, ge=0, description="Answers each worker keeps in its cache.")


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

    def updated(self, overrides: Mapping[str, Any]) -> Settings:
        """Return a validated copy with some keys changed (section tables or dotted keys)."""
        values = self.model_dump()
        for section, table in _nest(overrides).items():
            _check_names(table, section, "overrides")
            values[section] = {**values[section], **table}
        return _validated(values)


def _section_fields(section: str) -> dict[str, Any]:
    annotation = Settings.model_fields[section].annotation
    assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
    return dict(annotation.model_fields)


def sections() -> list[str]:
    """Return the section names in declaration order."""
    return list(Settings.model_fields)


def keys() -> list[tuple[str, str, Any, str]]:
    """Return every key as (section, key, default, help), in declaration order."""
    return [
        (section, key, field.get_default(call_default_factory=True), field.description or "")
        for section in sections()
        for key, field in _section_fields(section).items()
    ]


# --- loading ------------------------------------------------------------------------------


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
        _merge(values, _nest(overrides), origin="overrides")
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
        starts_like_section = any(rest.lower().startswith(f"{s}_") for s in names)
        if not delimiter and not starts_like_section:
            continue
        if not delimiter or section not in names:
            raise ConfigError(
                f"{variable}: no such setting (expected WXBOT_<SECTION>__<KEY>, "
                f"sections: {', '.join(names)})"
            )
        fields = _section_fields(section)
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


def _is_structured(annotation: Any) -> bool:
    return getattr(annotation, "__origin__", None) in (list, dict)


def _nest(flat_or_nested: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
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
    fields = _section_fields(section)
    for key in table:
        if key not in fields:
            raise ConfigError(f"{section}.{key}: unknown key in {origin}")


def _merge(values: dict[str, dict[str, Any]], new: Mapping[str, Any], origin: str) -> None:
    for section, table in new.items():
        _check_names(table, section, origin)
        values.setdefault(section, {}).update(table)


# --- showing ------------------------------------------------------------------------------


def public_view(settings: Settings) -> dict[str, dict[str, Any]]:
    """Return the settings as plain data with every secret masked, for display and logs.

    The database URL is shown with only its password masked: which database is in use
    is what an operator needs to see.
    """
    out: dict[str, dict[str, Any]] = {}
    for section in sections():
        table = getattr(settings, section)
        out[section] = {}
        for key in _section_fields(section):
            value = getattr(table, key)
            if section == "storage" and key == "database_url":
                value = mask_password(value.get_secret_value())
            elif isinstance(value, SecretStr):
                value = MASK if value.get_secret_value() else ""
            out[section][key] = _plain(value)
    return out


def mask_password(url: str) -> str:
    """Return a database URL with its password (only) replaced by the mask."""
    match = re.match(r"^([^:/]+(?:\+[^:/]+)?://[^:/@]*:)([^@]*)(@.*)$", url)
    return f"{match.group(1)}{MASK}{match.group(3)}" if match else url


def _plain(value: Any) -> Any:
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
        return int(seconds) if seconds.is_integer() else seconds
    if isinstance(value, BaseModel):
        return {k: _plain(v) for k, v in value.model_dump().items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
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
        lines.append(f"{key} = {_toml_value(_plain(default))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")
