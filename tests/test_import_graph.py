"""The ETL's modules import one another without a circle, lazy imports inside functions included (the usual way a
circle hides, as `cli.py ↔ cli_*.py` once did). The import graph is test_contracts' reading of the source."""
from __future__ import annotations

import pytest

from test_contracts import etl_graph

# Circles allowed for now: none (the last, db.init_db's lazy imports of migrate and recompute, went with
# etl/store/setup.py).
KNOWN: set[tuple[str, str]] = set()


def module_edges() -> dict[str, set[str]]:
    """etl module → the etl modules it imports, less the known circle's edges."""
    graph = etl_graph()
    return {m: {i for i in deps if i in graph and i != m and (m, i) not in KNOWN} for m, deps in graph.items()}


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
    cycle = find_cycle(module_edges())
    assert cycle is None, "import circle: " + " → ".join(cycle)


def test_the_commands_import_their_options_not_the_group():
    edges = module_edges()
    assert "etl.cli.options" in edges["etl.cli.reports"]
    assert not [m for m in edges if m.startswith("etl.cli.") and "etl.cli" in edges[m]]


@pytest.mark.parametrize("edges, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b"}, "b": set(), "c": {"a", "b"}}, None),
    ({"a": {"c"}, "b": {"a"}, "c": {"b"}}, ["a", "c", "b", "a"]),
])
def test_find_cycle(edges, cycle):
    assert find_cycle(edges) == cycle
