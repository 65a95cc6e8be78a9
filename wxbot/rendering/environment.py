"""wxbot's own Jinja environment: renders articles and pages without a Flask request."""

from __future__ import annotations

import functools

import jinja2

from ..resources import templates_dir


@functools.cache
def template_environment() -> jinja2.Environment:
    """Return the shared environment over ``templates/`` (autoescape on, strict undefined)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )


def render_template(name: str, **context: object) -> str:
    """Render the template ``name`` (a path under ``templates/``) with ``context``."""
    return template_environment().get_template(name).render(**context)
