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

from .account import ServerSection, StorageSection, WechatSection
from .articles import BrandSection, CoverSection, PublishSection, QrCode, RenderSection
from .display import MASK, example_toml, mask_password, public_view
from .fields import AES_KEY_CHARS, Seconds, Section
from .sandbox import SandboxSettings
from .service import CallbackSection, ScheduleSection, SearchSection
from .settings import ENV_DELIMITER, ENV_PREFIX, Settings, describe, keys, load, sections
from .stats import StatsSection

__all__ = [
    "AES_KEY_CHARS",
    "ENV_DELIMITER",
    "ENV_PREFIX",
    "MASK",
    "BrandSection",
    "CallbackSection",
    "CoverSection",
    "PublishSection",
    "QrCode",
    "RenderSection",
    "SandboxSettings",
    "ScheduleSection",
    "SearchSection",
    "Section",
    "Seconds",
    "ServerSection",
    "Settings",
    "StatsSection",
    "StorageSection",
    "WechatSection",
    "describe",
    "example_toml",
    "keys",
    "load",
    "mask_password",
    "public_view",
    "sections",
]
