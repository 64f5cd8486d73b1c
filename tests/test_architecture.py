"""The layout of the toolkit, held by its own import graph (read from the source, function-level
imports included): no module of `brcd` imports, directly or through others, a module that imports
it back; project modules are imported at the top of a module, except where a command loads its
area lazily so that `brcd --help` does not load polars, duckdb or datasette (docs/ARCHITECTURE.md);
and no sub-package is named like a build-output folder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scripts" / "brcd"
# Where an import of the project's own modules may sit inside a function: the commands, which
# import their area when they run (a heavy dependency must load lazily; see docs/ARCHITECTURE.md).
LAZY_ALLOWED = ("brcd.commands.",)
FORBIDDEN_PACKAGE_NAMES = {"build", "dist", "out", "target"}


def module_names() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an import names: `brcd.a.b.NAME` is module `brcd.a.b` when NAME is not a module."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported name, line, inside a function) for every absolute import of `brcd`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inner = {id(node) for fn in ast.walk(tree) if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
             for node in ast.walk(fn)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out += [(n, node.lineno, id(node) in inner) for n in names if n == "brcd" or n.startswith("brcd.")]
    return out


def graph() -> dict[str, set[str]]:
    modules = module_names()
    edges: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name, _, _ in imports(path):
            target = resolve(name, modules)
            if target and target != module:
                edges[module].add(target)
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path, monkeypatch):
    """The check above would be empty if the graph missed imports inside functions."""
    pkg = tmp_path / "brcd"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from brcd.b import thing\n")
    (pkg / "b.py").write_text("def thing():\n    from brcd.a import other\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    assert cycles(graph()) == [["brcd.a", "brcd.b"]]


def test_project_modules_are_imported_at_the_top_except_in_commands():
    lazy = [f"{module}:{line} imports {name}" for module, path in module_names().items()
            for name, line, inside in imports(path) if inside and not module.startswith(LAZY_ALLOWED)]
    assert lazy == []


def test_no_sub_package_is_named_like_build_output():
    named = [p.relative_to(PACKAGE.parent).as_posix() for p in PACKAGE.rglob("__init__.py")
             if p.parent.name in FORBIDDEN_PACKAGE_NAMES]
    assert named == []


@pytest.mark.parametrize("area", ["validate", "release", "query", "site", "edit"])
def test_each_area_is_a_sub_package_with_its_own_description(area):
    init = PACKAGE / area / "__init__.py"
    assert init.is_file() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
