"""Paths a module builds at run time, read as the text they name (never run): ``os.path.join(
os.getenv("APPDATA"), "Microsoft", ...)``, ``Path.home() / ".ssh" / "id_rsa"``, ``Path(p).joinpath(...)``,
``os.path.expanduser("~") + "/.bashrc"``. A part the scanner cannot know becomes a placeholder: an
environment variable ``<NAME>`` (``~`` for HOME and USERPROFILE), the home directory ``~``, the temporary
or working directory ``<TEMP>`` / ``<cwd>``, anything else ``<?>``; path parts are joined with ``/``.
The reading is bounded in depth, work and size, and knows only these pure operations."""

from __future__ import annotations

import ast
from collections.abc import Callable

UNKNOWN = "<?>"
MAX_DEPTH = 12
MAX_STEPS = 300
MAX_LEN = 20_000

JOINS = frozenset({"os.path.join", "posixpath.join", "ntpath.join"})
PATH_TYPES = frozenset(
    f"pathlib.{t}"
    for t in ("Path", "PurePath", "PosixPath", "WindowsPath", "PurePosixPath", "PureWindowsPath")
)
#: Calls whose result is their first argument's text, as far as a path's words go.
SAME = frozenset(
    {"os.path.expanduser", "os.path.expandvars", "os.path.abspath", "os.path.realpath", "os.path.normpath"}
    | {"os.fspath", "str", "textwrap.dedent"}
)
#: Methods (of a path or a text) whose result is the receiver's text, as far as a path's words go.
SAME_METHODS = frozenset({"expanduser", "resolve", "absolute", "strip", "lstrip", "rstrip", "format"})
PLACES = {
    "pathlib.Path.home": "~",
    "pathlib.Path.cwd": "<cwd>",
    "os.getcwd": "<cwd>",
    "tempfile.gettempdir": "<TEMP>",
    "tempfile.mkdtemp": "<TEMP>",
}
ENVIRON = ("os.environ", "os.environb")
ENV_CALLS = frozenset({"os.getenv", "os.environ.get", "os.getenvb", "os.environb.get"})
_HOME_VARS = ("HOME", "USERPROFILE")
#: Calls a path reading starts at (with ``/`` on a path and ``+`` on a place: :func:`path_root`).
ROOTS = JOINS | PATH_TYPES | {"os.path.expanduser", "os.path.expandvars", "*.joinpath"}
_ROOTED_ADD = ENV_CALLS | set(PLACES) | {"os.path.expanduser"}


def _last_parts(names: frozenset[str]) -> frozenset[str]:
    return frozenset(q.rsplit(".", 1)[-1] for q in names)


#: The attribute a call of each kind ends with: a call ``x.attr(...)`` is resolved (a walk of its chain)
#: only when ``attr`` is one of them.
ROOT_ATTRS = _last_parts(ROOTS)
_DIV_ATTRS = ROOT_ATTRS | _last_parts(frozenset(PLACES))
_ADD_ATTRS = _last_parts(_ROOTED_ADD)
_ENVIRON_ATTRS = frozenset({"environ", "environb"})


def call_named(node: ast.Call, attrs: frozenset[str], resolve: Callable[[ast.AST], str | None]) -> str:
    """The resolved name of a call (``""`` if none), resolved only when the called attribute (or any bare
    name: an import may rename it) could be one of ``attrs``."""
    func = node.func
    if type(func) is ast.Attribute and func.attr not in attrs:
        return ""
    return resolve(func) or ""


class _Budget(Exception):
    """The expression is too deep, too big or too much work to read."""


def env_part(name: str) -> str:
    """The placeholder of an environment variable: ``~`` for the home directory's, else ``<NAME>``."""
    return "~" if name.upper() in _HOME_VARS else f"<{name[:40]}>"


def join(parts: list[str]) -> str:
    """Path parts joined with ``/`` (a part's own trailing separators dropped)."""
    return "/".join([p.rstrip("/\\") or p for p in parts[:-1]] + parts[-1:])


class PathText:
    """Reads one expression into the path (or text) it builds; ``leaves`` are the texts it was built from
    as written (constants, and names the walk already read), ``rooted`` whether a part is a place."""

    def __init__(self, resolve: Callable[[ast.AST], str | None], names: Callable[[str], str | None]) -> None:
        self.resolve = resolve
        self.names = names
        self.steps = 0
        self.leaves: list[str] = []
        self.rooted = False
        self.places = 0  # placeholders read so far

    def read(self, node: ast.AST) -> str | None:
        """The text, or None when no part of it is known text (or it is too big to read)."""
        try:
            text = self.text(node, 0)
        except _Budget:
            return None
        return text if self.leaves else None

    def text(self, node: ast.AST, depth: int) -> str:
        self.steps += 1
        if self.steps > MAX_STEPS or depth > MAX_DEPTH:
            raise _Budget
        kind = type(node)
        out = UNKNOWN
        if kind is ast.Constant:
            value = node.value  # type: ignore[attr-defined]
            if isinstance(value, str):
                self.leaves.append(value)
                out = value
        elif kind is ast.Name:
            known = self.names(node.id)  # type: ignore[attr-defined]
            if known is not None:
                self.leaves.append(known)
                out = known
        elif kind is ast.JoinedStr:
            out = "".join(
                self.text(p.value if isinstance(p, ast.FormattedValue) else p, depth + 1)
                for p in node.values  # type: ignore[attr-defined]
            )
        elif kind is ast.BinOp:
            op = type(node.op)  # type: ignore[attr-defined]
            if op is ast.Add:
                out = self.concatenation(node, depth)  # type: ignore[arg-type]
            elif op is ast.Div:
                left = self.text(node.left, depth + 1)  # type: ignore[attr-defined]
                out = join([left, self.text(node.right, depth + 1)])  # type: ignore[attr-defined]
        elif kind is ast.Subscript:
            out = self.environ(node)  # type: ignore[arg-type]
        elif kind is ast.Call:
            out = self.call(node, depth)  # type: ignore[arg-type]
        if out is UNKNOWN:
            self.places += 1
        elif len(out) > MAX_LEN:
            raise _Budget
        return out

    def concatenation(self, node: ast.BinOp, depth: int) -> str:
        """``a + b + c``: each run of operands read without a placeholder is a leaf too (the string folder
        reads that run as one string: what it shows is counted there)."""
        operands: list[ast.expr] = []
        stack: list[ast.expr] = [node]
        while stack:
            cur = stack.pop()
            if type(cur) is ast.BinOp and type(cur.op) is ast.Add:
                stack += [cur.right, cur.left]
            else:
                operands.append(cur)
        parts: list[str] = []
        run: list[str] = []
        for operand in operands:
            places = self.places
            text = self.text(operand, depth + 1)
            parts.append(text)
            if self.places == places:
                run.append(text)
                continue
            if len(run) > 1:
                self.leaves.append("".join(run))
            run = []
        if len(run) > 1:
            self.leaves.append("".join(run))
        return "".join(parts)

    def environ(self, node: ast.Subscript) -> str:
        key = node.slice
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return UNKNOWN
        if self.resolve(node.value) not in ENVIRON:
            return UNKNOWN
        self.rooted = True
        self.places += 1
        return env_part(key.value)

    def call(self, node: ast.Call, depth: int) -> str:
        func, args = node.func, node.args
        q = self.resolve(func) or ""
        if q in JOINS or q in PATH_TYPES:
            return join([self.text(a, depth + 1) for a in args]) if args else "."
        if q in SAME and args:
            text = self.text(args[0], depth + 1)
            if q == "os.path.expanduser" and text.startswith("~"):
                self.rooted = True
                self.places += 1  # the home directory: not the constant's text any more
            return text
        if q in PLACES:
            self.rooted = True
            self.places += 1
            return PLACES[q]
        if q in ENV_CALLS and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            self.rooted = True
            self.places += 1
            return env_part(args[0].value)
        if isinstance(func, ast.Attribute) and q.startswith(("*.", "str.")):
            if func.attr == "joinpath":
                return join([self.text(a, depth + 1) for a in (func.value, *args)])
            if func.attr in SAME_METHODS:
                return self.text(func.value, depth + 1)
        return UNKNOWN


def _leftmost(node: ast.BinOp) -> ast.expr:
    cur: ast.expr = node
    while type(cur) is ast.BinOp and type(cur.op) is ast.Div:
        cur = cur.left
    return cur


def path_root(
    node: ast.expr, resolve: Callable[[ast.AST], str | None], is_path: Callable[[str], bool]
) -> bool:
    """Whether a path reading starts at ``node``: a join, a path type, ``expanduser``; ``/`` whose left
    end is one of those, ``Path.home()`` or a name holding a path; ``+`` with a place (an environment
    variable, the home directory, ``expanduser``) among its operands."""
    kind = type(node)
    if kind is ast.Call:
        return call_named(node, ROOT_ATTRS, resolve) in ROOTS  # type: ignore[arg-type]
    if kind is not ast.BinOp:
        return False
    op = type(node.op)  # type: ignore[attr-defined]
    if op is ast.Div:
        left = _leftmost(node)  # type: ignore[arg-type]
        if type(left) is ast.Name:
            return is_path(left.id)
        if type(left) is ast.Call:
            q = call_named(left, _DIV_ATTRS, resolve)
            return q in ROOTS or q in PLACES or q.endswith((".joinpath", ".expanduser"))
        return False
    if op is not ast.Add:
        return False
    stack: list[ast.expr] = [node]
    while stack:
        cur = stack.pop()
        if type(cur) is ast.BinOp and type(cur.op) is ast.Add:
            stack += [cur.left, cur.right]
        elif type(cur) is ast.Call:
            if call_named(cur, _ADD_ATTRS, resolve) in _ROOTED_ADD:
                return True
        elif type(cur) is ast.Subscript:
            value = cur.value
            if type(value) is ast.Attribute and value.attr in _ENVIRON_ATTRS and resolve(value) in ENVIRON:
                return True
    return False
