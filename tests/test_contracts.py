"""The architecture's contracts, read from the source's import statements (lazy ones inside functions too):
the dashboard imports the ETL, never the reverse; the stages that read a return and compute the indicators
reach no database library, however indirectly."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ETL = ROOT / "etl"
# Reading a return (etl/read) and computing indicators (etl/compute): pure functions over bytes and DataFrames.
# Storing (etl/store) is the half that may use SQLAlchemy.
PURE_PACKAGES = ("read", "compute")
PURE_MODULES = ("etl.config", "etl.periods", "etl.registry")      # the rules both halves share


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str | None = None) -> set[str]:
    """Every module a file imports, anywhere in it, with relative imports made absolute (`package`: the file's
    package, found from its place in the tree by default)."""
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            module = ".".join(p for p in (base if node.level else "", node.module or "") if p)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}   # `from . import queries`
    return found


def etl_graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in ETL.rglob("*.py") if "migrations" not in p.parts}


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """The modules `start` imports, directly or through other etl modules."""
    seen, todo = set(), [start]
    while todo:
        for name in graph.get(todo.pop(), ()):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_the_etl_never_imports_the_dashboard():
    offenders = {m: sorted(i for i in deps if i.split(".")[0] == "dashboard") for m, deps in etl_graph().items()}
    assert {m: d for m, d in offenders.items() if d} == {}


def test_reading_and_computing_reach_no_database_library():
    graph = etl_graph()
    pure = [m for m in graph if m.split(".")[1:2] and m.split(".")[1] in PURE_PACKAGES] + list(PURE_MODULES)
    assert len(pure) >= 12 and all(m in graph for m in pure)
    for name in pure:
        through = {i for i in reachable(graph, name) if i.split(".")[0] in ("sqlalchemy", "alembic", "psycopg")}
        assert not through, (name, sorted(through))


def test_the_contract_sees_a_lazy_import(tmp_path):
    """The walk finds an import inside a function, the kind that slipped through before (scorecard → queries)."""
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from .queries import x\n    import sqlalchemy\n", encoding="utf-8")
    found = imports_of(source, package="etl")
    assert {"etl.queries", "sqlalchemy"} <= found
    graph = {"etl.m": {"etl.queries"}, "etl.queries": {"sqlalchemy"}}
    assert "sqlalchemy" in reachable(graph, "etl.m")
