"""The web application: the follower callback and the archive pages over a runtime."""

from __future__ import annotations

import logging
import secrets

from flask import Flask

from .callback import views as callback_views
from .resources import templates_dir
from .runtime import EXTENSION, Runtime, load_runtime
from .web import archive_pages

logger = logging.getLogger(__name__)


def create_app(runtime: Runtime | None = None) -> Flask:
    """Create the wxbot Flask application over ``runtime``.

    Without one (the Procfile's ``wxbot.app:create_app()``), load the settings
    (defaults → ``WXBOT_CONFIG`` file → ``WXBOT_*`` environment) and build it. Call this
    in the process that serves: the callback starts loading jieba in a thread.
    """
    runtime = runtime or load_runtime()
    app = Flask(
        __name__,
        instance_path=str(runtime.instance_path),
        template_folder=str(templates_dir()),
    )
    secret_key = runtime.settings.server.secret_key.get_secret_value()
    app.config["SECRET_KEY"] = secret_key or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions[EXTENSION] = runtime
    archive_pages.init_app(app)
    callback_views.init_app(app)
    logger.debug("wxbot app created on %s", runtime.db.engine.url.render_as_string())
    return app
