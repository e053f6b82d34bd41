"""The indicator table's filter expressions (`service_area_m2 >= 500`, `a & b`), compiled once and run on arrays.

Only names, numbers, strings, comparisons, `&`, `|`, `~` and parentheses are allowed, checked on the syntax tree
before anything runs, so a settings file cannot execute code; evaluation is plain numpy, far cheaper than
DataFrame.eval on wide frames.
"""
from __future__ import annotations

import ast
from functools import lru_cache

import numpy as np

_ALLOWED = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BinOp, ast.UnaryOp, ast.BitAnd,
            ast.BitOr, ast.Invert, ast.Not, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.BoolOp,
            ast.And, ast.Or)


class _BoolOpsToBitwise(ast.NodeTransformer):
    """`a and b` reads naturally in a settings file; on arrays it must be `a & b`."""

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        result = node.values[0]
        for value in node.values[1:]:
            result = ast.BinOp(left=result, op=op, right=value)
        return result

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        return ast.UnaryOp(op=ast.Invert(), operand=node.operand) if isinstance(node.op, ast.Not) else node


@lru_cache(maxsize=256)
def compile_expression(text: str) -> tuple[object, frozenset[str]]:
    """(code, names used); ValueError if the expression uses anything but the allowed syntax."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"expression {text!r}: {type(node).__name__} is not allowed")
    tree = ast.fix_missing_locations(_BoolOpsToBitwise().visit(tree))
    names = frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
    return compile(tree, f"<{text}>", "eval"), names


def names_in(text: str) -> frozenset[str]:
    return compile_expression(text)[1] if text else frozenset()


def evaluate(text: str, columns: dict[str, np.ndarray], length: int) -> np.ndarray:
    """The expression as a boolean array over the rows; an empty expression is true everywhere."""
    if not text:
        return np.ones(length, dtype=bool)
    code, names = compile_expression(text)
    missing = names - set(columns)
    if missing:
        raise ValueError(f"expression {text!r} names unknown columns: {', '.join(sorted(missing))}")
    with np.errstate(invalid="ignore"):
        result = eval(code, {"__builtins__": {}}, {n: columns[n] for n in names})  # noqa: S307 (checked above)
    return np.broadcast_to(np.asarray(result, dtype=bool), (length,)).copy()
