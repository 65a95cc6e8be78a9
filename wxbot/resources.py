"""Locate the shipped ``templates/`` and ``assets/`` folders in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder ``name`` (``templates`` or ``assets``), wherever wxbot is installed."""
    inside = _PACKAGE / name  # the wheel maps top-level folders under the package
    if inside.is_dir():
        return inside
    beside = _PACKAGE.parent / name  # a source checkout keeps them at the top level
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"wxbot's {name}/ folder is missing (looked in {inside} and {beside})")


def templates_dir() -> Path:
    """Return the shipped templates folder."""
    return resource_dir("templates")


def assets_dir() -> Path:
    """Return the shipped assets folder."""
    return resource_dir("assets")


def sample_issues() -> list[Path]:
    """Return the sample issue files shipped for the demo and the tests."""
    return sorted((assets_dir() / "samples").glob("*.txt"))
