"""How a file can reach a module, for the fast pass: by importing it, or dynamically.

A module-rooted call (``subprocess.run``, ``requests.post``) is a mark only in a file that imports its
module.

The walker resolves ``root.attr(...)`` to a call-table name only through an alias that an ``import root``
or ``from root... import`` statement made (``WalkState.resolve``; relative imports make none), or through a
dynamic import (``__import__``, ``importlib``, ``getattr``, ``builtins``), which are marks of their own. So a
file that names such a module only in prose, a docstring, a keyword (proto-plus's ``marshal="..."``) or an
attribute of something else (``sys.platform``) cannot call into it, and the word is not a mark there. The
module words are those of the call tables whose only reason to be a mark is that root (a word that is also
a walker, path, script or host mark stays a plain mark). Non-ASCII texts keep every word a mark: Python
normalises identifiers, which a search of the text would not.

A dynamic reach is a mark of its own: a ``getattr`` with a computed or dangerous attribute name, an
``import_module`` with a computed module name, or either taken as a value.
"""

from __future__ import annotations

import re
from functools import lru_cache

from vetpy.features import calls

_SPACE = r"(?:[ \t\f]|\\\r?\n)"  # what may separate the words of an import statement
# Without a leading \b (a pattern starting with an assertion is tried at every position, not skipped to
# its first letter): the word boundary before ``import``/``from`` is checked on each match instead.
_IMPORT_RE = re.compile(
    rf"import{_SPACE}+((?:[\w.]+(?:{_SPACE}+as{_SPACE}+\w+)?{_SPACE}*,{_SPACE}*)*[\w.]+)", re.ASCII
)
_FROM_RE = re.compile(rf"from{_SPACE}+(\w+)", re.ASCII)
_ASCII_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _statements(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """The matches ``\\b`` + ``pattern`` would give with ``finditer``: a match not at a word start is
    dropped and the search goes on from its next character, as the regex engine would."""
    found: list[re.Match[str]] = []
    pos = 0
    while (m := pattern.search(text, pos)) is not None:
        start = m.start()
        if start and text[start - 1] in _ASCII_WORD:
            pos = start + 1
            continue
        found.append(m)
        pos = m.end() if m.end() > start else start + 1
    return found


@lru_cache(maxsize=1)
def imported_roots(text: str) -> frozenset[str]:
    """The first part of every module an ``import`` or ``from`` statement could name in ``text`` (a
    superset: the words also count in strings and comments; relative imports name none). Remembered for
    the last text: the word search asks once per window of the same file."""
    roots: set[str] = set()
    for m in _statements(_IMPORT_RE, text):
        for part in re.sub(r"\\\r?\n", " ", m.group(1)).split(","):
            words = part.split()
            if words:
                roots.add(words[0].split(".")[0])
    roots.update(m.group(1) for m in _statements(_FROM_RE, text))
    return frozenset(roots)


def module_marks(words: tuple[str, ...], roots: frozenset[str]) -> frozenset[int]:
    """The indexes in ``words`` (the fast pass's mark words) of the module roots that are marks only as
    roots (``roots``: those words, lower-case)."""
    return frozenset(i for i, w in enumerate(words) if w in roots)


def roots_count(text: str, found: set[int], words: tuple[str, ...], modules: frozenset[int]) -> bool:
    """Whether the mark words found (``found``: their indexes) make a mark: any that is not a module root,
    or a module root the file imports."""
    if not found <= modules:
        return True
    return bool({words[i] for i in found} & imported_roots(text))


_DYNAMIC_CALLS = (("getattr", 1), ("import_module", 0))
_LITERAL_ARG = re.compile(r"\s*[rRuUbB]{0,2}([\"'])")


def _argument_start(text: str, open_paren: int, index: int) -> int | None:
    """Where argument ``index`` of the call whose ``(`` is at ``open_paren`` starts (None: not found)."""
    depth, pos, seen = 0, open_paren, 0
    while pos < len(text):
        ch = text[pos]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return None
        elif ch == "," and depth == 1:
            seen += 1
            if seen == index:
                return pos + 1
        elif ch in "\"'" and depth >= 1:
            end = text.find(ch, pos + 1)
            pos = end if end > 0 else len(text)
        pos += 1
        if index == 0 and depth == 1 and seen == 0:
            return open_paren + 1
    return None


def dynamic_call(text: str) -> bool:
    """A getattr with a computed or dangerous attribute name, an import_module with a computed module
    name, or either taken as a value (an alias the walker would follow)."""
    for name, index in _DYNAMIC_CALLS:
        start = text.find(name)
        while start >= 0:
            after = start + len(name)
            rest = text[after : after + 200].lstrip()
            if not rest.startswith("("):
                return True  # named without a call: an alias, or a call spread over lines
            arg = _argument_start(text, text.index("(", after), index)
            literal = _LITERAL_ARG.match(text, arg) if arg is not None else None
            if literal is None:
                return True
            quote = literal.group(1)
            end = text.find(quote, literal.end())
            value = text[literal.end() : end]
            follow = text[end + 1 : end + 40].lstrip()[:1]
            if end < 0 or follow not in (",", ")") or value in calls.DANGEROUS_ATTRS:
                return True
            start = text.find(name, after)
    return False
