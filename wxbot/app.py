"""The web application: the follower callback and the archive pages over a runtime."""

from __future__ import annotations

import logging

from flask import Flask, Response

from . import console
from .callback import views as callback_views
from .errors import ConfigError, WxbotError
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


#: Why the web app does not start without a secret key: editors' sessions are signed with it.
MISSING_SECRET_KEY = (
    "server.secret_key: required to serve (it signs editors' console sessions); set it in the "
    "config file or WXBOT_SERVER__SECRET_KEY, e.g. to the output of "
    "`python -c 'import secrets; print(secrets.token_hex(32))'`"
)

#: Exit status of a gunicorn worker that cannot load its app: the master stops instead of
#: starting it again and again (gunicorn's ``Arbiter.WORKER_BOOT_ERROR``).
WORKER_BOOT_ERROR = 3


def create_app(runtime: Runtime | None = None) -> Flask:
    """Create the wxbot Flask application over ``runtime``.

    Without one (the Procfile's ``wxbot.app:create_app()``), load the settings
    (defaults → ``WXBOT_CONFIG`` file → ``WXBOT_*`` environment) and build it. Call this
    in the process that serves: the callback starts loading jieba in a thread.

    :raises ConfigError: when ``[server] secret_key`` is empty (the Procfile's worker stops
        with that one line instead).
    """
    if runtime is None:
        runtime = _procfile_runtime()
    secret_key = runtime.settings.server.secret_key.get_secret_value()
    if not secret_key:
        raise ConfigError(MISSING_SECRET_KEY)
    app = Flask(
        __name__,
        instance_path=str(runtime.instance_path),
        template_folder=str(templates_dir()),
    )
    app.config["SECRET_KEY"] = secret_key
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    app.extensions[EXTENSION] = runtime
    archive_pages.init_app(app)
    app.after_request(_secure_headers)
    console.init_app(app)
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


def _procfile_runtime() -> Runtime:
    """Return the runtime the settings describe, or stop the worker with one line saying why."""
    try:
        runtime = load_runtime()
    except WxbotError as exc:
        logger.critical("wxbot cannot start: %s", exc)
        raise SystemExit(WORKER_BOOT_ERROR) from None
    if not runtime.settings.server.secret_key.get_secret_value():
        runtime.close()
        logger.critical("wxbot cannot start: %s", MISSING_SECRET_KEY)
        raise SystemExit(WORKER_BOOT_ERROR)
    return runtime
