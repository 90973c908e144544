"""A module-rooted call is a mark only in a file that imports its module (prepass_reach.py)."""

from __future__ import annotations

import pytest

from vetpy.features import calls
from vetpy.features.source.prepass import _modules, has_marks, mark_words
from vetpy.features.source.prepass_reach import imported_roots
from vetpy.features.source.scan import scan_source

MODULE_WORDS = {mark_words()[i] for i in _modules()}

MARKED = [
    "import subprocess\n",
    "import os, \\\n    requests\n",
    "from requests.adapters import HTTPAdapter\n",
    "try: import marshal\nexcept ImportError: pass\n",
    "n = 'win32api'\n",  # holds win32, a mark of its own
]
UNMARKED = [
    '"""Send the requests with a subprocess pool."""\n',  # module words in prose
    "# uses zlib and base64 under the hood\nx = 1\n",
    "if sys.platform == 'linux': pass\n",
    "m = proto.module(package='a.b', marshal='a.b.v1')\n",  # proto-plus's keyword
    "from .requests import Session\n",  # a relative import names no module of the tables
]


@pytest.mark.parametrize("source", MARKED)
def test_an_imported_module_is_a_mark(source: str) -> None:
    assert has_marks(source)


@pytest.mark.parametrize("source", UNMARKED)
def test_a_module_word_alone_is_not(source: str) -> None:
    assert not has_marks(source)
    full = scan_source("pkg/m.py", source)
    assert not full.counts  # no detector fires; only tokens of calls to something unknown (``*.module``)
    assert all(t.startswith("call:*.") for t in full.tokens), full.tokens


def test_module_words_are_the_roots_marked_for_nothing_else() -> None:
    assert {"subprocess", "requests", "platform", "marshal", "base64", "urllib"} <= MODULE_WORDS
    assert not {"socket", "popen", "environ", "win32", "ctypes", "winreg", "/dev/tcp"} & MODULE_WORDS


def _tabled_call(root: str) -> str:
    """A call of the tables under ``root`` (a prefix entry gets a leaf name added)."""
    for name in sorted(calls.EXACT):
        if name.split(".")[0] == root:
            return name
    prefix = next(p for p, _ in sorted(calls.PREFIX) if p.rstrip(".").split(".")[0] == root)
    return prefix + ("run" if prefix.endswith(".") else "x")


@pytest.mark.parametrize("root", sorted(MODULE_WORDS))
def test_a_module_call_resolves_only_where_its_module_is_imported(root: str) -> None:
    """Why a module word needs its import to be a mark: without the import the walker resolves the call
    to nothing of the tables (no feature, no call token); with it, the call is the table's."""
    call = _tabled_call(root)
    body = f"def f(a):\n    return {call}(a)\n"
    bare = scan_source("pkg/m.py", body)
    assert not bare.counts and f"call:{call}" not in bare.tokens
    other_marks = [w for w in mark_words() if w in root and w not in MODULE_WORDS]  # smtplib: smtp
    assert has_marks(f"x = 1  # {root}\n") == bool(other_marks)
    imported = f"import {root}\n" + body
    assert has_marks(imported)
    assert f"call:{call}" in scan_source("pkg/m.py", imported).tokens


def test_imported_roots_reads_every_form_of_import() -> None:
    text = (
        "import a.b as c, d\nfrom e.f import g\nif x: import h\nx = 1; import i\n"
        "import j, \\\n    k\nfrom .l import m\nfrom\tn import o\n"
    )
    assert imported_roots(text) >= {"a", "d", "e", "h", "i", "j", "k", "n"}
    assert "l" not in imported_roots(text) and "c" not in imported_roots(text)


def test_non_ascii_text_keeps_module_words_as_marks() -> None:
    """Python normalises non-ASCII identifiers (NFKC), which the import search would not see."""
    assert has_marks("\u00e9 = 1\nx = 'subprocess'\n")
    assert not has_marks("e = 1\nx = 'subprocess'\n")


def _with_word_boundary(text: str) -> frozenset[str]:
    """imported_roots as the patterns with a leading \\b and finditer give it (the definition)."""
    import re

    from vetpy.features.source import prepass_reach as reach

    roots: set[str] = set()
    for m in re.compile(r"\b" + reach._IMPORT_RE.pattern, re.ASCII).finditer(text):
        for part in re.sub(r"\\\r?\n", " ", m.group(1)).split(","):
            if part.split():
                roots.add(part.split()[0].split(".")[0])
    roots.update(m.group(1) for m in re.compile(r"\b" + reach._FROM_RE.pattern, re.ASCII).finditer(text))
    return frozenset(roots)


@pytest.mark.parametrize(
    "text",
    [
        "ximport a, import b\n",
        "reimport x\nimport y\n",
        "from_here import q\nfrom there import r\n",
        "éimport s\n_from t import u\n",
        "import a, b as c, \\\nd.e\nfrom f.g import h\n",
        "'''Read from the environment; import them from pip.'''\nimport subprocess\n",
        "importimport z\nfromfrom w\n",
    ],
)
def test_the_word_boundary_is_checked_as_the_regex_would(text: str) -> None:
    """The patterns start with a letter (the regex engine skips ahead to it); the boundary the old \\b
    asserted is checked per match, with the search going on from the next character."""
    assert imported_roots.__wrapped__(text) == _with_word_boundary(text)
