"""Configuration keys, declared once as data, and their loading and validation.

Order: defaults → TOML file (``--config`` / ``WXBOT_CONFIG``) → ``WXBOT_<SECTION>__<KEY>``
environment variables → ``test_config``. Nothing here runs at import time.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError


@dataclass(frozen=True)
class Setting:
    """One configuration key: where it lives, its default and what it means."""

    section: str
    key: str
    default: Any
    help: str
    secret: bool = False

    @property
    def name(self) -> str:
        """Return the dotted name, e.g. ``wechat.appid``."""
        return f"{self.section}.{self.key}"

    @property
    def env(self) -> str:
        """Return the environment variable that overrides this key."""
        return f"WXBOT_{self.section.upper()}__{self.key.upper()}"


SETTINGS: tuple[Setting, ...] = (
    # [wechat]
    Setting("wechat", "appid", "", "Official account AppID (开发 → 基本配置)."),
    Setting("wechat", "secret", "", "Official account AppSecret.", secret=True),
    Setting(
        "wechat", "token", "", "Server-configuration Token used to sign callbacks.", secret=True
    ),
    Setting(
        "wechat",
        "encoding_aes_key",
        "",
        "43-character EncodingAESKey; empty = plaintext mode.",
        secret=True,
    ),
    Setting(
        "wechat",
        "previous_encoding_aes_key",
        "",
        "The EncodingAESKey before the last rotation, still accepted for decryption.",
        secret=True,
    ),
    Setting(
        "wechat",
        "message_mode",
        "",
        "Callback mode: plaintext, compatible or safe; empty = plaintext without a key, "
        "safe with one.",
    ),
    Setting(
        "wechat",
        "api_base_url",
        "https://api.weixin.qq.com",
        "Base URL of the WeChat API; every call goes to {api_base_url}/cgi-bin/... .",
    ),
    Setting("wechat", "timeout", 10.0, "Seconds to wait for one WeChat API call."),
    Setting(
        "wechat",
        "retries",
        3,
        "Retries of a call that is safe to repeat, after -1 (system busy) or a network error.",
    ),
    Setting(
        "wechat",
        "retry_backoff",
        0.5,
        "Seconds before the first retry; each further retry waits twice as long.",
    ),
    # [storage]
    Setting(
        "storage",
        "database_url",
        "",
        "SQLAlchemy URL (sqlite:///... or postgresql+psycopg://...); "
        "empty = wxbot.sqlite3 in the instance folder.",
        secret=True,
    ),
    # [server]
    Setting("server", "host", "127.0.0.1", "Address `wxbot serve` listens on."),
    Setting("server", "port", 8000, "Port `wxbot serve` listens on."),
    Setting(
        "server",
        "public_base_url",
        "",
        "Public URL of this service (for archive links in replies); empty = http://{host}:{port}.",
    ),
    Setting(
        "server",
        "secret_key",
        "",
        "Flask secret key for editor sessions; empty = a random key per start.",
        secret=True,
    ),
    # [publish]
    Setting("publish", "timezone", "Asia/Shanghai", "Timezone for dates and schedules."),
    Setting("publish", "author", "新质生产力工委", "Article author (at most 16 characters)."),
    Setting(
        "publish",
        "content_source_url",
        "",
        "URL behind 阅读原文; empty = none.",
    ),
    Setting(
        "publish",
        "preview_openids",
        [],
        "Editors' openids that receive a preview before a send.",
    ),
    Setting(
        "publish",
        "wait_timeout",
        120.0,
        "Seconds `wxbot publish --mode publish` waits for WeChat's result before leaving it "
        "to PUBLISHJOBFINISH and `wxbot sync`.",
    ),
    Setting(
        "publish",
        "poll_interval",
        2.0,
        "Seconds between looks at a submitted publish while waiting for its result.",
    ),
    # [brand]
    Setting("brand", "series_name", "新质生产力每日动态", "The newsletter's name."),
    Setting(
        "brand",
        "organisation_lines",
        ["中国高技术产业发展促进会新质生产力工作委员会", "博雅云创 & 中科创新驱动"],
        "Lines naming the publishers, printed under the series name.",
    ),
    Setting(
        "brand",
        "footer_text",
        "本报告仅供行业研究参考，不构成投资建议",
        "Text printed at the foot of every article when the issue has no disclaimer.",
    ),
    Setting(
        "brand",
        "qr_codes",
        [
            {"image": "brand/qr-account.png", "caption": "新质生产力工作委员会官方公众号"},
            {"image": "brand/qr-website.png", "caption": "工业智能算网 gyznsw.cn"},
        ],
        "QR-code images in the footer: list of {image, caption}; image paths are "
        "relative to the assets folder or absolute.",
    ),
    Setting("brand", "primary_color", "#1F4E9D", "Main colour of headings and the cover."),
    Setting("brand", "accent_color", "#E8F0FB", "Background of the summary box."),
    # [render]
    Setting("render", "theme", "blue", "Article theme: a CSS file name in templates/themes/."),
    # [cover]
    Setting(
        "cover",
        "font_path",
        "",
        "Font file for cover images; empty = the Noto Sans CJK font installed with wxbot.",
    ),
    Setting(
        "cover",
        "keywords",
        [],
        "Topics to print on covers instead of the issue's first section headings.",
    ),
    # [sandbox]
    Setting("sandbox", "host", "127.0.0.1", "Address `wxbot sandbox` listens on."),
    Setting("sandbox", "port", 8090, "Port `wxbot sandbox` listens on (0 = any free port)."),
    Setting(
        "sandbox",
        "public_base_url",
        "",
        "URL clients reach the sandbox at, used in image and article URLs; "
        "empty = http://{host}:{port}.",
    ),
    Setting(
        "sandbox",
        "callback_url",
        "",
        "wxbot's follower-callback URL the sandbox POSTs completion events to; "
        "empty = no delivery.",
    ),
    Setting(
        "sandbox",
        "appid",
        "",
        "AppID the sandbox accepts; empty = [wechat] appid, or the built-in sandbox account "
        "when [wechat] has none.",
    ),
    Setting(
        "sandbox", "secret", "", "AppSecret the sandbox accepts; empty = as appid.", secret=True
    ),
    Setting(
        "sandbox",
        "token",
        "",
        "Token the sandbox signs events with; empty = as appid.",
        secret=True,
    ),
    Setting(
        "sandbox",
        "encoding_aes_key",
        "",
        "EncodingAESKey the sandbox encrypts events with; empty = as appid.",
        secret=True,
    ),
    Setting(
        "sandbox",
        "message_mode",
        "",
        "Event encryption: plaintext, compatible or safe; empty = as appid.",
    ),
    Setting("sandbox", "token_ttl", 7200, "Seconds an access_token lives."),
    Setting(
        "sandbox",
        "token_grace",
        300,
        "Seconds the previous /cgi-bin/token token keeps working after a new one is fetched.",
    ),
    Setting("sandbox", "publish_delay", 2.0, "Seconds until a freepublish job completes."),
    Setting("sandbox", "mass_send_delay", 2.0, "Seconds until a mass send completes."),
    Setting(
        "sandbox",
        "mass_daily_quota",
        1,
        "Successful mass sends allowed per day (1 for a subscription account).",
    ),
    Setting("sandbox", "followers", 3, "Number of simulated followers."),
    # [schedule]
    Setting(
        "schedule",
        "min_lead",
        300.0,
        "Seconds a scheduled send must lie ahead when scheduled (the web console's 定时群发 "
        "needs 5 minutes); 0 allows sends due at once, for testing.",
    ),
    Setting(
        "schedule",
        "prepare_ahead",
        1800.0,
        "Seconds before the send to render, upload, make the draft and send previews "
        "(at once when the send is sooner).",
    ),
    Setting(
        "schedule",
        "max_delay",
        1800.0,
        "Seconds a send may still go out after its time (when nothing was running); "
        "later it is marked missed, never sent. Under 23 hours (WeChat's clientmsgid window).",
    ),
    Setting(
        "schedule",
        "daily_quota",
        1,
        "Mass sends allowed per day in [publish] timezone (1 for a subscription account); "
        "0 = no limit.",
    ),
    Setting(
        "schedule",
        "poll_interval",
        5.0,
        "Seconds the worker waits between looks at the job table (less when a send is due sooner).",
    ),
    Setting(
        "schedule",
        "lease",
        300.0,
        "Seconds a worker holds a claimed job; after that another worker may take it over "
        "(longer than a sendall call with its retries).",
    ),
    Setting(
        "schedule",
        "retry_interval",
        60.0,
        "Seconds before retrying a send WeChat answered with a passing error (-1, 45011, "
        "45066 asks for a minute) or that got no answer.",
    ),
    Setting(
        "schedule",
        "status_interval",
        60.0,
        "Seconds between looks at a submitted send's outcome (MASSSENDJOBFINISH, else "
        "message/mass/get).",
    ),
    Setting(
        "schedule",
        "in_process",
        True,
        "Run the scheduler inside `wxbot serve` (the single-process default); false when a "
        "separate `wxbot worker` runs it.",
    ),
    # [callback]
    Setting(
        "callback",
        "max_body_bytes",
        65536,
        "Largest follower-callback body accepted, in bytes; a larger one is answered 413.",
    ),
    Setting(
        "callback",
        "timestamp_window",
        300,
        "Seconds a callback's timestamp may differ from the server clock; 0 = no check.",
    ),
    Setting(
        "callback",
        "welcome_text",
        "欢迎关注新质生产力每日动态！每天一期，追踪新质生产力的政策、产业与资本动向。",
        "First line of the reply to a new follower (the latest issue and the menu follow).",
    ),
    Setting(
        "callback",
        "log_flush_seconds",
        1.0,
        "Seconds a worker may hold answered messages before writing them to the query log in "
        "one batch (WeChat retries after 5 s); 0 = write each one before replying.",
    ),
    Setting(
        "callback",
        "list_memory_hours",
        24,
        "Hours a follower can still pick an item of the last list by its number.",
    ),
    # [search]
    Setting(
        "search",
        "synonyms",
        [["AI", "人工智能"], ["大模型", "LLM"]],
        "Groups of words that find each other (a search for one finds any).",
    ),
    Setting(
        "search",
        "popular_keywords",
        ["数据要素", "低空经济", "人工智能", "算力", "5G"],
        "Keywords suggested in the menu and when a search finds nothing.",
    ),
    Setting(
        "search",
        "recency_half_life_days",
        30.0,
        "Days after which an issue's relevance counts half in the ranking.",
    ),
    Setting(
        "search",
        "cache_seconds",
        1.0,
        "Seconds a worker reuses cached answers before checking the archive, keyword rules "
        "and article links for changes; 0 = check before every answer.",
    ),
    Setting("search", "cache_size", 2048, "Answers each worker keeps in its cache."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def sections() -> list[str]:
    """Return the section names in declaration order."""
    return list(dict.fromkeys(s.section for s in SETTINGS))


def defaults() -> dict[str, dict[str, Any]]:
    """Return every key's default, nested by section."""
    out: dict[str, dict[str, Any]] = {}
    for s in SETTINGS:
        out.setdefault(s.section, {})[s.key] = _copy(s.default)
    return out


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def load(
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Return the validated configuration from defaults, a TOML file, the environment and overrides.

    :raises ConfigError: naming the key and what is wrong with it.
    """
    environ = os.environ if environ is None else environ
    config = defaults()
    path = path or environ.get("WXBOT_CONFIG") or None
    if path:
        _merge(config, _read_toml(Path(path)), origin=str(path))
    _merge(config, _from_environ(environ), origin="environment")
    if overrides:
        _merge(config, _nest(overrides), origin="overrides")
    _validate(config)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None


def _from_environ(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for s in SETTINGS:
        if s.env in environ:
            out.setdefault(s.section, {})[s.key] = _coerce_env(s, environ[s.env])
    return out


def _coerce_env(setting: Setting, raw: str) -> Any:
    if isinstance(setting.default, str):
        return raw
    try:
        return json.loads(raw)  # numbers, booleans, lists and tables are given as JSON
    except json.JSONDecodeError:
        raise ConfigError(
            f"{setting.name}: {setting.env} must be JSON for a {type(setting.default).__name__}"
        ) from None


def _nest(flat_or_nested: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, value in flat_or_nested.items():
        if isinstance(value, Mapping) and "." not in name:
            out.setdefault(name, {}).update(value)
        else:
            section, _, key = name.partition(".")
            out.setdefault(section, {})[key] = value
    return out


def _merge(config: dict[str, dict[str, Any]], new: Mapping[str, Any], origin: str) -> None:
    for section, table in new.items():
        if not isinstance(table, Mapping) or section not in config:
            raise ConfigError(f"{section}: unknown section in {origin}")
        for key, value in table.items():
            if f"{section}.{key}" not in _BY_NAME:
                raise ConfigError(f"{section}.{key}: unknown key in {origin}")
            config[section][key] = value


def _validate(config: dict[str, dict[str, Any]]) -> None:
    for s in SETTINGS:
        value = config[s.section][s.key]
        expected = type(s.default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = config[s.section][s.key] = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            shown = "(hidden)" if s.secret else repr(value)
            raise ConfigError(f"{s.name}: expected {expected.__name__}, got {shown}")
    for check in _CHECKS:
        check(config)


def _check_wechat(config: dict[str, dict[str, Any]]) -> None:
    wechat = config["wechat"]
    for key in ("encoding_aes_key", "previous_encoding_aes_key"):
        value = wechat[key]
        if value and len(value) != 43:
            raise ConfigError(f"wechat.{key}: must be 43 characters, got {len(value)}")
    if wechat["message_mode"] not in ("", "plaintext", "compatible", "safe"):
        raise ConfigError("wechat.message_mode: must be plaintext, compatible or safe")
    if wechat["message_mode"] in ("compatible", "safe") and not wechat["encoding_aes_key"]:
        raise ConfigError(f"wechat.encoding_aes_key: required in {wechat['message_mode']} mode")
    if not wechat["api_base_url"].startswith(("http://", "https://")):
        raise ConfigError("wechat.api_base_url: must start with http:// or https://")
    if wechat["timeout"] <= 0:
        raise ConfigError("wechat.timeout: must be positive")


def _check_server(config: dict[str, dict[str, Any]]) -> None:
    port = config["server"]["port"]
    if not 0 <= port <= 65535:
        raise ConfigError(f"server.port: {port} is not a TCP port")


def _check_publish(config: dict[str, dict[str, Any]]) -> None:
    tz = config["publish"]["timezone"]
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"publish.timezone: unknown timezone {tz!r}") from None
    if len(config["publish"]["author"]) > 16:
        raise ConfigError("publish.author: WeChat allows at most 16 characters")


def _check_brand(config: dict[str, dict[str, Any]]) -> None:
    for i, qr in enumerate(config["brand"]["qr_codes"]):
        if not isinstance(qr, Mapping) or not {"image", "caption"} <= set(qr):
            raise ConfigError(f"brand.qr_codes[{i}]: needs an image and a caption")


def _check_schedule(config: dict[str, dict[str, Any]]) -> None:
    schedule = config["schedule"]
    for key in ("min_lead", "prepare_ahead", "max_delay", "daily_quota"):
        if schedule[key] < 0:
            raise ConfigError(f"schedule.{key}: must not be negative")
    for key in ("poll_interval", "lease", "retry_interval", "status_interval"):
        if schedule[key] <= 0:
            raise ConfigError(f"schedule.{key}: must be positive")
    # A retry after max_delay would fall outside WeChat's 24-hour clientmsgid dedupe.
    if schedule["max_delay"] >= 23 * 3600:
        raise ConfigError("schedule.max_delay: must be under 23 hours (clientmsgid window)")


_CHECKS = [_check_wechat, _check_server, _check_publish, _check_brand, _check_schedule]


def public_view(config: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return the configuration with every secret masked, for display and logs."""
    out: dict[str, dict[str, Any]] = {}
    for section, table in config.items():
        out[section] = {}
        for key, value in table.items():
            setting = _BY_NAME.get(f"{section}.{key}")
            out[section][key] = "********" if setting and setting.secret and value else value
    return out


def example_toml() -> str:
    """Return a TOML file documenting every key with its default and help."""
    lines = [
        "# wxbot configuration. Every key is optional: the value shown is the default.",
        "# Any key can also be set as WXBOT_<SECTION>__<KEY> in the environment",
        "# (lists, numbers and tables as JSON).",
    ]
    current = None
    for s in SETTINGS:
        if s.section != current:
            current = s.section
            lines += ["", f"[{s.section}]"]
        lines.append(f"# {s.help}")
        lines.append(f"{s.key} = {_toml_value(s.default)}")
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
