"""Run the web service under gunicorn, as the Procfile does, from inside the ``wxbot`` command."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

logger = logging.getLogger(__name__)


class _Embedded(BaseApplication):
    def __init__(self, factory: Callable[[], Flask], options: dict[str, Any]) -> None:
        self.factory = factory
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.factory()


def run_server(
    factory: Callable[[], Flask],
    host: str,
    port: int,
    *,
    workers: int = 1,
    threads: int = 8,
    on_worker_start: Callable[[Flask], None] | None = None,
) -> None:
    """Serve the app made by ``factory`` until interrupted.

    Each worker process calls ``factory`` after the fork (no ``preload_app``), so its app,
    threads and database connections are its own; ``on_worker_start`` runs in each worker
    once its app exists (e.g. a scheduler loop). Nothing is built in the master.
    """

    def post_worker_init(worker: Any) -> None:
        if on_worker_start is not None:
            on_worker_start(worker.wsgi)

    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 60,
        "accesslog": "-",
        "preload_app": False,  # the app is built in each worker, never before the fork
        "post_worker_init": post_worker_init,
    }
    logger.info("serving on http://%s:%s with %d worker(s)", host, port, workers)
    _Embedded(factory, options).run()
