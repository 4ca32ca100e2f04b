"""The layers, checked mechanically: core is pure, services never reach up into web or demo data."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "inspector"


def _name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in PKG.rglob("*.py")}


def _imports(module: str, *, top_level_only: bool) -> set[str]:
    """The modules (inspector's and outside) that a module imports, at its top level or anywhere."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = (package[:len(package) - node.level + 1] if node.level else [])
            target = ".".join(base + ([node.module] if node.module else []))
            for a in node.names:
                full = f"{target}.{a.name}" if target else a.name
                out.add(full if full in MODULES else target)
    return out


def _under(prefix: str) -> list[str]:
    return sorted(m for m in MODULES if m == prefix or m.startswith(prefix + "."))


@pytest.mark.parametrize("module", _under("inspector.core"))
def test_core_is_pure(module):
    """No web framework, no database, nothing of the app outside core."""
    bad = {m for m in _imports(module, top_level_only=False)
           if m.split(".")[0] in ("flask", "flask_login", "sqlalchemy", "sqlmodel")
           or (m.startswith("inspector") and not m.startswith("inspector.core"))}
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", _under("inspector.services") + _under("inspector.core"))
def test_services_never_import_web_or_demo_data(module):
    bad = {m for m in _imports(module, top_level_only=False)
           if m.startswith(("inspector.web", "inspector.demo"))}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_no_import_circle_at_module_level():
    graph = {m: {d for d in _imports(m, top_level_only=True) if d in MODULES and d != m} for m in MODULES}
    seen: dict[str, int] = {}   # 1 on the current path, 2 done

    def visit(m: str, path: list[str]) -> list[str] | None:
        seen[m] = 1
        for d in sorted(graph[m]):
            if seen.get(d) == 1:
                return path[path.index(d):] + [d] if d in path else [m, d]
            if d not in seen and (found := visit(d, path + [d])):
                return found
        seen[m] = 2
        return None

    for m in sorted(graph):
        if m not in seen:
            circle = visit(m, [m])
            assert circle is None, " → ".join(circle)


def test_no_import_circle_even_inside_functions():
    """Counting imports inside functions too: an import moved into a function to dodge a circle is
    still a circle (issue 18). The request helpers live in inspector.runtime, not in the package
    whose create_app imports every blueprint."""
    graph = {m: {d for d in _imports(m, top_level_only=False) if d in MODULES and d != m} for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for m in sorted(graph):
        if m not in index:
            strong(m)
    assert circles == []
