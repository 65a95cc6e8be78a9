"""The lock files pin, with hashes, a version of everything pyproject.toml asks for."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ;.*)? \\$")


def pins(lock: str) -> dict[str, str]:
    """Return the lock's ``name: version`` pins, checking each is followed by a hash."""
    lines = (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines()
    found = {}
    for number, line in enumerate(lines):
        if match := PIN.match(line):
            assert lines[number + 1].strip().startswith("--hash=sha256:"), line
            found[canonicalize_name(match[1])] = match[2]
    return found


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [
        ("dev.lock", PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["dev"]),
        (
            "runtime.lock",
            PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["postgres"],
        ),
    ],
)
def test_the_lock_pins_every_requirement(lock: str, requirements: list[str]) -> None:
    pinned = pins(lock)
    unmet = []
    for text in requirements:
        requirement = Requirement(text)
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            unmet.append(f"{text} (locked: {version or 'missing'})")
    assert unmet == [], "run scripts/lock after changing pyproject.toml"


def test_the_runtime_lock_agrees_with_the_dev_lock() -> None:
    dev = pins("dev.lock")
    runtime = pins("runtime.lock")
    assert {name: dev.get(name) for name in runtime} == runtime
