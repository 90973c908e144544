"""Small helpers over ``ast`` nodes: bounded walks and the ``__main__`` guard."""

from __future__ import annotations

import ast
from collections.abc import Iterator

SUBTREE_BUDGET = 400


def is_main_guard(test: ast.expr) -> bool:
    """``__name__ == "__main__"`` (either order)."""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(x, ast.Name) and x.id == "__name__" for x in sides) and any(
        isinstance(x, ast.Constant) and x.value == "__main__" for x in sides
    )


def bounded_walk(node: ast.AST) -> Iterator[ast.AST]:
    """Depth-first nodes of a subtree, at most ``SUBTREE_BUDGET`` of them."""
    stack = [node]
    budget = SUBTREE_BUDGET
    while stack and budget > 0:
        cur = stack.pop()
        budget -= 1
        yield cur
        stack.extend(ast.iter_child_nodes(cur))


def as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, ast.AST) else []


def small(node: ast.AST) -> bool:
    return sum(1 for _ in zip(range(SUBTREE_BUDGET + 1), ast.walk(node), strict=False)) <= SUBTREE_BUDGET
