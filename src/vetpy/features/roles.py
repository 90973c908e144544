"""Where a file of a package can run: which Python files are test code, and which branches and commands
of setup.py a pip install can never take.

A user's machine runs three kinds of code from a package: setup.py (at install, sdists only), the
modules it installs (when imported or called), and nothing else. Test suites run only under a test
runner in the project's own checkout, and a setup.py branch guarded by ``sys.argv[-1] == "publish"`` runs
only when the maintainer types that command. Judging those as if they ran on install is what made
``requests`` look like malware (docs/evaluation/false-positives.md): its test suite holds raw IPs,
sockets, Windows registry reads and odd URLs in one file, and its setup.py has a ``publish`` shortcut
that calls ``os.system``.

A file named like a test is still package code when a file that is not a test imports it by name: a
payload cannot hide behind a ``test_`` prefix and be imported by ``__init__.py``.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from vetpy.features.paths import member_path

TEST_DIRS = frozenset({"tests", "test"})

# Every setup.py command a pip install or a PEP 517 build can issue, directly or as a sub-command.
PIP_COMMANDS = frozenset(
    {
        "install",
        "develop",
        "egg_info",
        "dist_info",
        "editable_wheel",
        "build",
        "build_py",
        "build_ext",
        "build_clib",
        "build_scripts",
        "bdist",
        "bdist_wheel",
        "bdist_egg",
        "sdist",
        "install_lib",
        "install_scripts",
        "install_data",
        "install_headers",
        "install_egg_info",
        "easy_install",
    }
)

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+([\w.]+)[ \t]+)?import[ \t]+([^\n#;]+)", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True)
class SourceFile:
    """One Python file of the package: archive path and decoded text."""

    path: str
    text: str


@lru_cache(maxsize=8192)
def looks_like_test(path: str) -> bool:
    """A path that names test code: inside a ``tests``/``test`` directory, or ``test_*.py``,
    ``*_test.py``, ``tests.py`` or ``conftest.py``."""
    parts = member_path(path).parts
    name = parts[-1].lower() if parts else ""
    if any(part.lower() in TEST_DIRS for part in parts[:-1]):
        return True
    stem = name[:-3] if name.endswith(".py") else name
    return name == "conftest.py" or stem == "tests" or stem.startswith("test_") or stem.endswith("_test")


def imported_names(text: str) -> set[str]:
    """Every identifier named in an import statement (modules and imported names, dotted parts split).

    The same names as every match of ``_IMPORT`` over the whole text: a match starts at a line start and
    ends before the line's end, and holds the word ``import``, so only the lines that hold it are tried
    (a multi-line regex tried at every position cost as much as all the rest of test-suite detection)."""
    names: set[str] = set()
    pos, tried = text.find("import"), -1
    while pos >= 0:
        start = text.rfind("\n", 0, pos) + 1
        if start != tried:
            tried = start
            m = _IMPORT.match(text, start)
            if m:
                names.update(_WORD.findall(m.group(1) or ""))
                names.update(w for w in _WORD.findall(m.group(2)) if w != "as")
        end = text.find("\n", pos)
        pos = -1 if end < 0 else text.find("import", end)
    return names


def _test_names(path: str) -> set[str]:
    """The names under which a test file could be imported: its stem and its test directories."""
    parts = member_path(path).parts
    stem = parts[-1][:-3] if parts[-1].endswith(".py") else parts[-1]
    return {stem, *(p for p in parts[:-1] if p.lower() in TEST_DIRS)}


def suite_only_files(files: Sequence[SourceFile]) -> frozenset[str]:
    """Paths of the files that are test code and that no other (non-test) file imports, CI scripts in
    hidden folders aside. When every Python file but setup.py looks like a test (a distribution named
    ``tests``, a payload in ``test_x.py``), none is left out."""
    candidates = [f for f in files if looks_like_test(f.path)]
    others = [f for f in files if not looks_like_test(f.path) and member_path(f.path).name != "setup.py"]
    if not candidates or not others:  # a package that is nothing but "tests" is judged on them
        return frozenset()
    imported: set[str] = set()
    for f in files:
        if not looks_like_test(f.path) and not in_hidden_folder(f.path):
            imported |= imported_names(f.text)
    return frozenset(f.path for f in candidates if not (_test_names(f.path) & imported))


def in_hidden_folder(path: str) -> bool:
    """A file in a folder whose name starts with a dot (``.github/``, ``.evergreen/scripts/``): CI and tool
    scripts, never a package (a dotted name is no identifier, so nothing imports from there) and never
    installed, so what they import does not make a test suite run on install or import."""
    return any(part.startswith(".") for part in member_path(path).parts[:-1])


# --- setup.py branches pip never takes ------------------------------------------------------------------


def _is_argv(node: ast.expr) -> bool:
    """``sys.argv``, ``argv`` or a subscript/slice of either."""
    while isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr == "argv" and isinstance(node.value, ast.Name) and node.value.id == "sys"
    return isinstance(node, ast.Name) and node.id == "argv"


def _strings(node: ast.expr) -> list[str] | None:
    """The string constants of a literal string, tuple, list or set (None when it is anything else)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        out = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return out if len(out) == len(node.elts) else None
    return None


def _never_on_install(test: ast.expr) -> bool:
    """True when the condition holds only for a command line pip never uses (``sys.argv[-1] == "publish"``,
    ``"upload" in sys.argv``, ``sys.argv[1] in ("release", "tag")``)."""
    if isinstance(test, ast.BoolOp):
        if isinstance(test.op, ast.And):
            return any(_never_on_install(v) for v in test.values)
        return all(_never_on_install(v) for v in test.values)
    if not isinstance(test, ast.Compare) or len(test.ops) != 1:
        return False
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if isinstance(op, ast.Eq) and (_is_argv(left) or _is_argv(right)):
        words = _strings(right) if _is_argv(left) else _strings(left)
        if isinstance(left, ast.Subscript) or isinstance(right, ast.Subscript):
            return words is not None and len(words) == 1 and words[0] not in PIP_COMMANDS
        return False
    if isinstance(op, ast.In) and _is_argv(right) and not isinstance(right, ast.Subscript):
        words = _strings(left)
        return words is not None and len(words) == 1 and words[0] not in PIP_COMMANDS
    if isinstance(op, ast.In) and isinstance(left, ast.Subscript) and _is_argv(left):
        words = _strings(right)
        return bool(words) and not (set(words or ()) & PIP_COMMANDS)
    return False


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _branch_spans(tree: ast.Module) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for node in tree.body:
        if isinstance(node, ast.If) and node.body and _never_on_install(node.test):
            if node.body[0].lineno == node.lineno:  # `if ...: call()` on one line: left as it is
                continue
            end = node.body[-1].end_lineno or node.body[-1].lineno
            spans.append((node.body[0].lineno, end))
    return spans


def dev_only_branches(text: str) -> list[tuple[int, int]]:
    """Line ranges (1-based, inclusive) of the bodies of top-level ``if`` statements in a setup.py that
    only a maintainer's own command line enters. Their ``else`` branches are kept."""
    if "argv" not in text:  # no command-line test at all: no parse
        return []
    tree = _parse(text)
    return _branch_spans(tree) if tree else []


def _cmdclass_dicts(tree: ast.Module) -> list[ast.Dict]:
    """Literal dicts given as ``cmdclass=`` or assigned to a name ``cmdclass``."""
    out: list[ast.Dict] = []
    for node in ast.walk(tree):
        named = (isinstance(node, ast.keyword) and node.arg == "cmdclass") or (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "cmdclass" for t in node.targets)
        )
        value = getattr(node, "value", None)
        if named and isinstance(value, ast.Dict):
            out.append(value)
    return out


def _dev_only_classes(tree: ast.Module) -> set[str]:
    """Names of classes used nowhere but as values of literal ``cmdclass`` entries whose keys are commands
    pip never issues (``{"upload": UploadCommand}``): their methods run only on the maintainer's command."""
    dev: Counter[str] = Counter()
    for table in _cmdclass_dicts(tree):
        for key, value in zip(table.keys, table.values, strict=True):
            if (
                isinstance(key, ast.Constant)
                and isinstance(key.value, str)
                and key.value not in PIP_COMMANDS
                and isinstance(value, ast.Name)
            ):
                dev[value.id] += 1
    if not dev:
        return set()
    uses = Counter(n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in dev)
    return {name for name, count in dev.items() if uses[name] == count}


def _command_spans(tree: ast.Module) -> list[tuple[int, int]]:
    """Method bodies of top-level classes only a maintainer-only command runs. The class body itself, the
    methods' decorators and default values run when setup.py defines the class, so they are kept."""
    dev = _dev_only_classes(tree)
    spans: list[tuple[int, int]] = []
    for node in tree.body:
        if not (isinstance(node, ast.ClassDef) and node.name in dev):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.body[0].lineno > item.lineno:
                spans.append((item.body[0].lineno, item.body[-1].end_lineno or item.body[-1].lineno))
    return spans


def dev_only_spans(text: str) -> list[tuple[int, int]]:
    """Every line range of a setup.py that a pip install never runs: maintainer-only ``if`` branches and
    the methods of maintainer-only commands."""
    if "argv" not in text and "cmdclass" not in text:
        return []
    tree = _parse(text)
    return sorted(_branch_spans(tree) + _command_spans(tree)) if tree else []


def blank_lines(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """``text`` with each span's lines replaced by ``pass`` (first line, same indentation) and blank lines,
    so every other line keeps its number."""
    lines = text.split("\n")
    for start, end in spans:
        first = lines[start - 1]
        indent = first[: len(first) - len(first.lstrip())]
        lines[start - 1] = f"{indent}pass"
        for i in range(start, min(end, len(lines))):
            lines[i] = ""
    return "\n".join(lines)


@lru_cache(maxsize=4)
def install_time_setup(text: str) -> str:
    """The setup.py source as a pip install runs it: maintainer-only branches and commands blanked (kept
    for the last few texts: the source pass and the suspicious-lines text both ask for it)."""
    spans = dev_only_spans(text)
    return blank_lines(text, spans) if spans else text
