"""The web application: the follower callback and the archive pages over a runtime."""

from __future__ import annotations

import logging
import secrets

from flask import Flask, Response

from .callback import views as callback_views
from .resources import templates_dir
from .runtime import EXTENSION, Runtime, load_runtime
from .web import archive_pages

logger = logging.getLogger(__name__)

#: Where a page's parts may come from: its own images and styles (articles style inline),
#: WeChat's image host over https; no script, no framing by another site.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "img-src 'self' data: https:",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self' data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


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
    app.after_request(_secure_headers)
    callback_views.init_app(app)
    logger.debug("wxbot app created on %s", runtime.db.engine.url.render_as_string())
    return app


def _secure_headers(response: Response) -> Response:
    """Keep browsers from sniffing types, framing pages, or running what a page did not mean."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    return response
