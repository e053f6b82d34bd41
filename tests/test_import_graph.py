"""The ETL's modules import one another without a circle: drawn from the source with `ast`, lazy imports included
(an import inside a function is the usual way a circle hides, as `cli.py ↔ cli_*.py` once did)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ETL = Path(__file__).resolve().parent.parent / "etl"

# The one circle still to be broken (issue 13: a set-up module above both): init_db imports them lazily.
KNOWN = {("etl.db", "init_db", "etl.migrate"), ("etl.db", "init_db", "etl.recompute")}


def module_name(path: Path) -> str:
    parts = path.relative_to(ETL.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in ETL.rglob("*.py") if "migrations" not in p.parts}


def imports(source: str, package: str, known: set[str]) -> list[tuple[str | None, str]]:
    """(the function it is imported in or None, the etl module imported) for every import of a module's source;
    `package` is the package the module is in, from which its relative imports start."""
    found: list[tuple[str | None, str]] = []

    def visit(node: ast.AST, function: str | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, function or child.name)
                continue
            if isinstance(child, ast.Import):
                found.extend((function, a.name) for a in child.names if a.name in known)
            elif isinstance(child, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - child.level + 1] if child.level else []
                target = ".".join(base + ([child.module] if child.module else []))
                # `from . import audit` imports the module etl.audit; `from .db import init_db` the module etl.db
                subs = [f"{target}.{a.name}" for a in child.names if f"{target}.{a.name}" in known]
                found.extend((function, m) for m in subs or ([target] if target in known else []))
            visit(child, function)

    visit(ast.parse(source), None)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {m: set() for m in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for function, target in imports(path.read_text(encoding="utf-8"), package, set(known)):
            if target != name and (name, function, target) not in KNOWN:
                edges[name].add(target)
    return edges


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A circle of imports as [a, b, …, a], or None."""
    state: dict[str, int] = {}        # 1 on the current path, 2 done
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := walk(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := walk(node)):
            return cycle
    return None


def test_the_etl_modules_import_one_another_without_a_circle():
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " → ".join(cycle)


@pytest.mark.parametrize("edges, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": set(), "c": {"a", "b"}}, None),
    ({"a": {"a"}}, ["a", "a"]),
])
def test_find_cycle(edges, cycle):
    assert find_cycle(edges) == cycle


def test_an_import_inside_a_function_counts():
    """The form the old circle took: a command importing the group's helpers in its body."""
    source = "from .db import init_db\n\ndef command():\n    from .cli import render\n    from . import audit, json\n"
    found = imports(source, "etl", {"etl.db", "etl.cli", "etl.audit", "etl.cli_reports"})
    assert found == [(None, "etl.db"), ("command", "etl.cli"), ("command", "etl.audit")]


def test_relative_imports_of_a_subpackage_resolve_from_its_package():
    found = imports("from ..db import engine\nfrom .clean import squash\n", "etl.read", {"etl.db", "etl.read.clean"})
    assert found == [(None, "etl.db"), (None, "etl.read.clean")]
