"""wxbot: publish the daily newsletter to a WeChat official account, and answer its followers."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .resources import templates_dir
from .runtime import Runtime, database_url
from .storage import Database

__all__ = ["create_app", "get_runtime"]

#: Web modules; each exposes ``init_app(app)`` and registers its routes.
WEB_MODULES: list[str] = ["web.archive_pages", "callback.views"]


def create_app(
    test_config: dict[str, Any] | None = None, config_path: str | os.PathLike[str] | None = None
) -> Flask:
    """Create the wxbot Flask application.

    Configuration order: defaults → TOML file (``config_path`` or ``WXBOT_CONFIG``) →
    ``WXBOT_<SECTION>__<KEY>`` environment → ``test_config`` (section tables or dotted keys;
    the special key ``instance_path`` moves the instance folder).
    """
    overrides = config_overrides(test_config)
    instance_path = (test_config or {}).get("instance_path")
    clock = (test_config or {}).get("clock")
    app = Flask(
        __name__,
        instance_path=str(instance_path) if instance_path else None,
        instance_relative_config=True,
        template_folder=str(templates_dir()),
    )
    cfg = config_module.load(config_path, overrides=overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = cfg["server"]["secret_key"] or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024

    db = Database(database_url(cfg, Path(app.instance_path)))
    db.migrate()
    runtime = Runtime(config=cfg, db=db, instance_path=Path(app.instance_path))
    if clock is not None:
        runtime.clock = clock
    app.extensions["wxbot"] = runtime

    for name in WEB_MODULES:
        importlib.import_module(f"{__name__}.{name}").init_app(app)

    logging.getLogger(__name__).debug("wxbot app created on %s", db.engine.url.render_as_string())
    return app


def config_overrides(test_config: dict[str, Any] | None) -> dict[str, Any]:
    """Return the configuration keys of a ``test_config`` (without instance_path or clock)."""
    return {k: v for k, v in (test_config or {}).items() if k not in ("instance_path", "clock")}


def get_runtime(app: Flask) -> Runtime:
    """Return the runtime (config, database, clock) of an app made by :func:`create_app`."""
    runtime: Runtime = app.extensions["wxbot"]
    return runtime
