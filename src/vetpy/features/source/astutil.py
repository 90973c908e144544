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


# Fields that only ever hold names, numbers or flags, never a node (``ctx`` holds a node: kept here).
_PRIMITIVE_FIELDS = frozenset(
    {"id", "attr", "name", "asname", "module", "level", "conversion", "kind", "simple", "type_comment"}
    | {"is_async", "arg", "tag", "n", "s"}
)
_IMPORT_LIKE = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)
_WALK_FIELDS: dict[type, tuple[str, ...]] = {}
CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
#: Nodes no check reads and under which no checked node can sit: the main walk never pushes them.
LEAVES: frozenset[type] = frozenset(
    {ast.Name, ast.alias, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal, ast.TypeIgnore}
    | {
        kind
        for group in (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
        for kind in group.__subclasses__()
    }
)


def _node_types(cls: type) -> set[type]:
    found = {cls}
    sub: type
    for sub in cls.__subclasses__():
        found |= _node_types(sub)
    return found


#: Every node type the main walk pushes (all of ``ast``'s, less the leaves): ``type(x) in NODE_KINDS`` is
#: ``isinstance(x, ast.AST) and type(x) not in LEAVES`` for anything ``ast.parse`` makes.
NODE_KINDS: frozenset[type] = frozenset(_node_types(ast.AST) - LEAVES)
#: :func:`child_fields` in reverse, per type: the main walk pushes children last to first.
REVERSED_FIELDS: dict[type, tuple[str, ...]] = {}


def walk_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes, in ``_fields`` order (those ``iter_child_nodes``
    looks at, less the ones that only ever hold names or numbers)."""
    fields = _WALK_FIELDS.get(kind)
    if fields is None:
        names = getattr(kind, "_fields", ())
        fields = () if kind is ast.Constant else tuple(f for f in names if f not in _PRIMITIVE_FIELDS)
        _WALK_FIELDS[kind] = fields
    return fields


def child_fields(kind: type) -> tuple[str, ...]:
    """As :func:`walk_fields`, less ``ctx`` and the names of imports (leaves): the main walk's table."""
    fields = CHILD_FIELDS.get(kind)
    if fields is None:
        fields = tuple(
            f
            for f in walk_fields(kind)
            if f != "ctx" and not (f == "names" and issubclass(kind, _IMPORT_LIKE))
        )
        CHILD_FIELDS[kind] = fields
    return fields


def reversed_child_fields(kind: type) -> tuple[str, ...]:
    fields = REVERSED_FIELDS.get(kind)
    if fields is None:
        fields = REVERSED_FIELDS[kind] = child_fields(kind)[::-1]
    return fields


def bounded_walk(node: ast.AST) -> Iterator[ast.AST]:
    """Depth-first nodes of a subtree, at most ``SUBTREE_BUDGET`` of them: exactly the nodes, in the
    order, of popping ``ast.iter_child_nodes`` off a stack, without its generator per node."""
    stack = [node]
    budget = SUBTREE_BUDGET
    base = ast.AST
    while stack and budget > 0:
        cur = stack.pop()
        budget -= 1
        yield cur
        fields = _WALK_FIELDS.get(type(cur))
        for name in walk_fields(type(cur)) if fields is None else fields:
            value = getattr(cur, name, None)
            if isinstance(value, base):
                stack.append(value)
            elif type(value) is list:
                stack.extend([item for item in value if isinstance(item, base)])


def small(node: ast.AST) -> bool:
    return sum(1 for _ in zip(range(SUBTREE_BUDGET + 1), ast.walk(node), strict=False)) <= SUBTREE_BUDGET


#: :func:`walk_fields` of every node type, for walks that inline :func:`bounded_walk`.
WALK_FIELDS: dict[type, tuple[str, ...]] = {kind: walk_fields(kind) for kind in _node_types(ast.AST)}
#: :func:`reversed_child_fields` of every type of NODE_KINDS, and of nothing else (a leaf has no row).
CHILD_TABLE: dict[type, tuple[str, ...]] = {kind: reversed_child_fields(kind) for kind in NODE_KINDS}
