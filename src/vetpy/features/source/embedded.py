"""Python programs inside strings: the second stage a dropper writes to disk or hands to ``python -c``.

The string detectors (literals.py, folding.py) note the texts of a literal, a built string or a decoded
constant that may be Python (:func:`~vetpy.features.scripts.python_programs`: a cheap test on the text);
at the end of the file's pass each is parsed (bounded in size by the gate, in nesting by the parser)
and walked by the same syntax-tree checks as a file, in a scratch builder. Only the strong signals of the
inner program count toward the file, at the literal's line: code generators, templates and test fixtures
hold harmless Python in strings, and their ``import os`` must not count as the package's. A program that
calls anything the call tables know as active gets the ``embedded:python`` token, and each signal it
passes on an ``embedded:<signal>`` token.
"""

from __future__ import annotations

import ast
import warnings

from vetpy.features import calls
from vetpy.features.source.facts import FactsBuilder, Hit
from vetpy.features.source.text import Lines
from vetpy.features.source.walker import Walker

#: The inner program's signals that count toward the file (strong hits only).
CARRIED = (
    "code.decode_exec",
    "code.download_exec",
    "code.reverse_shell",
    "code.credential_read",
    "code.startup_write",
)
#: Deserialisers that run code while loading: fed decoded data, they are decode-and-exec.
LOADERS = frozenset(
    {"pickle.loads", "_pickle.loads", "cPickle.loads", "marshal.loads", "dill.loads", "cloudpickle.loads"}
)
MAX_PROGRAMS = 20  # programs parsed per file
TOKEN = "embedded:python"


def parse_program(text: str) -> ast.Module | None:
    """``text`` as a module, or None when it is not Python (or too deep for the parser)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the scanned text are not our warnings
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def loads_of_decoded(walker: Walker, tree: ast.AST) -> int | None:
    """The line of the first ``pickle.loads``/``marshal.loads`` (LOADERS) of data decoded in place or
    held in a name assigned from a decoder anywhere in the program (None: none)."""
    tainted = {name for _, name in walker.tainted}
    for node in ast.walk(tree):
        if type(node) is not ast.Call or not node.args or walker.resolve(node.func) not in LOADERS:
            continue
        for q, sub in walker.subtree_calls(node.args[0]):
            if (q is not None and calls.is_decoder(q)) or (isinstance(sub, ast.Name) and sub.id in tainted):
                return node.lineno
    return None


def program_facts(text: str) -> tuple[FactsBuilder, int | None] | None:
    """The facts of one inner program (its own strings' programs are not read) and the line of a load
    of decoded data in it; None when ``text`` is not Python."""
    tree = parse_program(text)
    if tree is None:
        return None
    inner = FactsBuilder("<embedded>")
    walker = Walker(inner, text, False, Lines(text))
    try:
        walker.run(tree)
    except (RecursionError, MemoryError):  # pragma: no cover - the walk is iterative
        return None
    return inner, loads_of_decoded(walker, tree)


def carried_hits(inner: FactsBuilder, loads_line: int | None) -> list[tuple[str, str]]:
    """(feature, message) of each signal of the inner program that counts toward the file."""
    found = []
    for feature in CARRIED:
        if inner.strong[feature]:
            first = next(h for h in inner.examples[feature] if h.strong)
            found.append((feature, f"line {first.line}: {first.message}"))
    if loads_line is not None and not inner.strong["code.decode_exec"]:
        found.append(("code.decode_exec", f"line {loads_line}: loads of decoded data (runs code)"))
    return found


def scan_programs(scan: FactsBuilder, lines: Lines) -> None:
    """Parse and walk the programs the file's strings noted; pass their strong signals on."""
    pending, scan.programs = scan.programs, []
    done: set[str] = set()
    added: set[tuple[str, int]] = set()
    for text, line, module_level in pending:
        if text in done or len(done) >= MAX_PROGRAMS:
            continue
        done.add(text)
        result = program_facts(text)
        if result is None:
            continue
        inner, loads_line = result
        if loads_line is None and not any(inner.counts[f] for f in calls.ACTIVE_FEATURES):
            continue  # Python that does nothing the detectors know (a template, a fixture)
        scan.token(TOKEN)
        for feature, message in carried_hits(inner, loads_line):
            scan.token(f"embedded:{feature.removeprefix('code.')}")
            if (feature, line) not in added:
                added.add((feature, line))
                hit = Hit(feature, line, f"Python in a string, {message}"[:200], lines.get(line))
                scan.add(hit, module_level)
