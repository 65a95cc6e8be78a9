"""The import graph of wxbot/: no package imports another that imports it back, however far round.

A unit is a sub-package (``wxbot.search``), a top-level module (``wxbot.runtime``) or the root
package's own ``__init__`` (``wxbot``). Every import counts: relative ones, ``from . import x``,
imports inside functions and under ``TYPE_CHECKING``, ``importlib.import_module`` of a literal
name, and — in a module that imports by computed names — every string naming one of its
package's modules (``WEB_MODULES = ["callback.views"]``), so wiring by name hides no cycle.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "wxbot"
ROOT = "wxbot"

#: An edge of the graph and where it comes from: ``{(importer, imported): "path:line"}``.
Edges = dict[tuple[str, str], str]


def module_names() -> dict[str, Path]:
    """Return every module of the package by its dotted name."""
    names = {}
    for path in sorted(SOURCE.rglob("*.py")):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(name: str, path: Path, modules: set[str]) -> Iterator[tuple[str, int]]:
    """Yield each wxbot module ``name`` imports and the line it does so on."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    yield from _modules_named_in_lists(tree, package, modules)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            submodules = [f"{source}.{a.name}" for a in node.names]
            yield from ((m, node.lineno) for m in submodules if m in modules)
            if not all(m in modules for m in submodules):  # a name from the module itself
                yield source, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value, node.lineno


def _modules_named_in_lists(
    tree: ast.Module, package: str, modules: set[str]
) -> Iterator[tuple[str, int]]:
    """Yield the modules named in module-level lists of a module that imports by computed name."""
    # e.g. WEB_MODULES = ["callback.views"] and import_module(f"{__name__}.{name}")
    if not any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "import_module"
        and not (node.args and isinstance(node.args[0], ast.Constant))
        for node in ast.walk(tree)
    ):
        return
    for statement in tree.body:
        value = statement.value if isinstance(statement, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.List | ast.Tuple | ast.Set):
            for element in value.elts:
                if isinstance(element, ast.Constant) and f"{package}.{element.value}" in modules:
                    yield f"{package}.{element.value}", element.lineno


def unit(module: str) -> str:
    """Return the unit a module belongs to: ``wxbot``, or ``wxbot.<first part>``."""
    return ".".join(module.split(".")[:2])


def import_graph() -> Edges:
    """Return the edges between units, each with the first import that makes it."""
    modules = module_names()
    edges: Edges = {}
    for name, path in modules.items():
        for imported, line in imports_of(name, path, set(modules)):
            if imported != ROOT and not imported.startswith(ROOT + "."):
                continue
            edge = (unit(name), unit(imported))
            if edge[0] != edge[1]:
                edges.setdefault(edge, f"{path.relative_to(SOURCE.parent)}:{line}")
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """Return one cycle (first unit repeated at the end) per strongly connected component."""
    graph: dict[str, list[str]] = {}
    for a, b in sorted(edges):
        graph.setdefault(a, []).append(b)
        graph.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph has a few dozen units
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_in(sorted(c), graph) for c in components]


def _cycle_in(component: list[str], graph: dict[str, list[str]]) -> list[str]:
    """Return the shortest cycle through the component's first unit, by breadth-first search."""
    start = component[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph[node]:
            if nxt == start:
                return [*paths[node], start]
            if nxt in component and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover


def describe(found: list[list[str]], edges: Edges) -> str:
    """Return the cycles as lines naming each import that closes them."""
    lines = []
    for cycle in found:
        lines.append(" → ".join(cycle))
        lines.extend(f"    {a} → {b}  ({edges[a, b]})" for a, b in itertools.pairwise(cycle))
    return "\n".join(lines)


def test_no_cycle_between_sub_packages_and_modules() -> None:
    edges = import_graph()
    without_root = {e: where for e, where in edges.items() if ROOT not in e}
    found = cycles(without_root)
    assert not found, "import cycles:\n" + describe(found, without_root)


def test_no_cycle_through_the_root_package() -> None:
    edges = import_graph()
    found = cycles(edges)
    assert not found, "import cycles:\n" + describe(found, edges)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({("a", "b"): "", ("b", "c"): ""}, []),
        ({("a", "b"): "", ("b", "a"): ""}, [["a", "b", "a"]]),
        ({("a", "b"): "", ("b", "c"): "", ("c", "a"): "", ("c", "d"): ""}, [["a", "b", "c", "a"]]),
        (
            {("a", "b"): "", ("b", "a"): "", ("c", "d"): "", ("d", "c"): ""},
            [["a", "b", "a"], ["c", "d", "c"]],
        ),
    ],
)
def test_cycles_are_found(edges: Edges, expected: list[list[str]]) -> None:
    assert cycles(edges) == expected
