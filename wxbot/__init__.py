"""wxbot: publish the daily newsletter to a WeChat official account, and answer its followers.

The package itself imports nothing: ``wxbot.runtime.build_runtime`` is the composition
root and ``wxbot.app.create_app`` the web application.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    """Keep ``wxbot:create_app()`` (older Procfiles) working without importing Flask eagerly."""
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'wxbot' has no attribute {name!r}")
