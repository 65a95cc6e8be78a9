"""What every command shares: the Flask app built lazily from ``--config``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import click
from flask import Flask

from ..errors import ConfigError


@dataclass
class CliEnv:
    """Hold the command line's options and the app built from them."""

    config_path: str | None = None
    test_config: dict[str, Any] | None = None
    _app: Flask | None = field(default=None, repr=False)

    @property
    def app(self) -> Flask:
        """Return the application, creating it (and its database) on first use."""
        if self._app is None:
            from .. import create_app

            try:
                self._app = create_app(self.test_config, config_path=self.config_path)
            except ConfigError as exc:
                raise click.ClickException(f"invalid configuration: {exc}") from None
        return self._app

    def close(self) -> None:
        """Close the database connections of the app, if one was made."""
        if self._app is not None:
            from .. import get_runtime

            get_runtime(self._app).db.dispose()


pass_env = click.make_pass_decorator(CliEnv)
