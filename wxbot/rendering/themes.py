"""Article themes: CSS files in ``templates/themes/`` whose ``:root`` also colours the covers.

A theme is ``base.css``, the rules every theme shares, followed by the theme's own file: its
custom properties in ``:root`` (``--primary``, ``--cover-background``, …) and the rules it
draws its own way. Both use the properties with ``var()``; wxbot resolves them here, before
inlining, because WeChat does not support CSS variables. ``--brand-primary`` and
``--brand-accent`` come from ``[brand]``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..config import Settings
from ..errors import ConfigError
from ..resources import templates_dir

_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_ROOT_BLOCK = re.compile(r":root\s*\{(?P<body>[^}]*)\}")
_PROPERTY = re.compile(r"(--[\w-]+)\s*:\s*([^;]+);?")
_VAR = re.compile(r"var\(\s*(--[\w-]+)\s*(?:,\s*([^()]*))?\)")


@dataclass(frozen=True)
class Theme:
    """A resolved theme: CSS ready for the inliner, and its custom properties by name."""

    name: str
    css: str
    palette: Mapping[str, str]

    def colour(self, name: str) -> str:
        """Return the palette colour ``name`` (without the leading ``--``)."""
        try:
            return self.palette[name]
        except KeyError:
            raise ConfigError(f"render.theme: theme {self.name!r} defines no --{name}") from None


def themes_dir() -> Path:
    """Return the folder holding the theme CSS files."""
    return templates_dir() / "themes"


#: The stylesheet every theme starts from (not a theme itself).
BASE = "base"


def available_themes() -> list[str]:
    """Return the names of the shipped themes."""
    return sorted(p.stem for p in themes_dir().glob("*.css") if p.stem != BASE)


def load_theme(settings: Settings) -> Theme:
    """Return the theme chosen by ``[render] theme``, coloured by ``[brand]``.

    :raises ConfigError: when the theme does not exist (the colours are checked at load).
    """
    brand = settings.brand
    return _load(settings.render.theme, brand.primary_color, brand.accent_color)


@functools.cache
def _load(name: str, brand_primary: str, brand_accent: str) -> Theme:
    path = themes_dir() / f"{name}.css"
    if not re.fullmatch(r"[\w-]+", name) or name == BASE or not path.is_file():
        shown = ", ".join(available_themes())
        raise ConfigError(f"render.theme: no theme {name!r} (available: {shown})")
    stylesheets = (themes_dir() / f"{BASE}.css", path)
    source = "\n".join(_COMMENT.sub("", p.read_text(encoding="utf-8")) for p in stylesheets)
    declared = {"--brand-primary": brand_primary, "--brand-accent": brand_accent}
    for block in _ROOT_BLOCK.finditer(source):
        declared.update((k, v.strip()) for k, v in _PROPERTY.findall(block.group("body")))
    resolved = {key: _resolve(value, declared, name) for key, value in declared.items()}
    css = _resolve(_ROOT_BLOCK.sub("", source), resolved, name)
    palette = {key.removeprefix("--"): value for key, value in resolved.items()}
    return Theme(name=name, css=css.strip(), palette=palette)


def _resolve(text: str, variables: Mapping[str, str], theme: str, depth: int = 0) -> str:
    if depth > 10:
        raise ConfigError(f"render.theme: theme {theme!r} has circular CSS variables")

    def replace(match: re.Match[str]) -> str:
        value = variables.get(match.group(1), match.group(2))
        if value is None:
            raise ConfigError(f"render.theme: theme {theme!r} uses undefined {match.group(1)}")
        return _resolve(value.strip(), variables, theme, depth + 1)

    return _VAR.sub(replace, text)
