"""The layers of the code, kept: every import (lazy and type-only ones too) points down or sideways within a
package, never up, and no modules import each other in a circle.

`LAYERS` is the picture in docs/architecture.md, lowest first. A new package or top-level module must be placed in
it, which is the point: where it sits is a decision, not an accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core.types", "core.attention_types", "core.config", "core.devices", "core.text", "core.timing",
     "core.threadsafe", "core.index", "core.evaluate"),
    ("core.data",),
    ("core.caches",),
    ("core.contestants",),
    ("core.models",),
    ("core.rankers",),
    ("core.training",),
    ("core.comparison",),
    ("core.judging",),
    ("core.scale",),
    ("core.analysis",),
    ("core.present",),
    ("core.cli", "core.__main__", "core"),
    ("app_pages.views",),
    ("app_pages._shared", "app_pages._present"),
    ("app_pages._runs",),
    ("app_pages",),
    ("app",),
)
"""Lowest first. A module's layer is that of the longest prefix naming it (`core.data.loading` is in `core.data`)."""


def modules() -> dict[str, Path]:
    """Every module of the app and of `core`, by dotted name."""
    found = {"app": ROOT / "app.py"}
    for path in [*ROOT.glob("core/**/*.py"), *ROOT.glob("app_pages/**/*.py")]:
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def layer(module: str) -> int:
    """The index in `LAYERS` of the longest prefix of `module`."""
    best, best_length = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS (and to docs/architecture.md)")
    return best


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `module` imports anywhere in its source (top level, in functions, under TYPE_CHECKING)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1], *filter(None, [base])])
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known and name != module}


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = modules()
    return {module: imports(module, path, set(known)) for module, path in known.items()}


def test_every_import_points_down_or_within_its_layer(graph):
    upward = [f"{module} ({LAYERS[layer(module)][0]}) imports {target} ({LAYERS[layer(target)][0]})"
              for module, targets in sorted(graph.items()) for target in sorted(targets)
              if layer(target) > layer(module) and not module.startswith(target + ".")]
    assert not upward, "imports pointing up a layer:\n" + "\n".join(upward)


def test_no_modules_import_each_other_in_a_circle(graph):
    circles, index, low, stack, on_stack = [], {}, {}, [], set()

    def visit(module: str) -> None:  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert not circles, f"modules importing each other in a circle: {circles}"


def test_the_core_never_imports_streamlit_or_the_pages(graph):
    for module, path in modules().items():
        if module == "core" or module.startswith("core."):
            source = path.read_text(encoding="utf-8")
            assert "import streamlit" not in source and "from streamlit" not in source, module
            assert not any(target.startswith(("app_pages", "app")) for target in graph[module]), module
