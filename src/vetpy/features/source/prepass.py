"""The fast pass: which Python files need the syntax-tree analysis.

Every Python file of a package goes through one multi-pattern search (Aho-Corasick over the lower-cased
text, plus a handful of shape regexes); only files with a *mark* (a name or string the syntax-tree
detectors could fire on), and files that run at install or import time (``setup.py``, ``__init__.py``,
``__main__.py``), get the full pass. A file without marks gets the text-level signals only (hex escapes,
obfuscator markers, long lines), which cost one regex scan.

The marks are derived from the detectors' own tables where they exist (the notable calls of each family,
the path and command hints of the string patterns, the script hints), so a new call in a family table
is a new mark without an edit here. A call ``a.b.leaf`` can only be resolved by the walker when the file
names ``leaf`` (``import a; a.b.leaf()``, ``from a.b import leaf``) or reaches it dynamically
(``getattr``, ``__import__``, ``importlib``, ``__builtins__``: marks themselves); families that match a
whole module (``subprocess.*``) mark the module name. String detectors see literal values after escape
processing, so any escape sequence is a mark too.

Why ahocorasick-rs: it matches a few hundred literals in one linear pass over the text in compiled code
(the Rust aho-corasick crate), with wheels for every CPython we support; a Python ``re`` alternation of
the same literals backtracks per position and measured several times slower, and hyperscan and yara-x
are larger native dependencies for a job that needs only literal sets.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ahocorasick_rs

from vetpy.features import calls
from vetpy.features import strings as st
from vetpy.features.lexicon import lexicon_words
from vetpy.features.paths import member_path
from vetpy.features.scripts import _REVERSED_HINTS, SCRIPT_PATTERNS, decoded_tokens
from vetpy.features.source.beacon import BEACON_MARKS
from vetpy.features.source.prepass_built import built_marks
from vetpy.features.source.prepass_reach import dynamic_call, module_marks, roots_count
from vetpy.features.source.prepass_shapes import shape_marked
from vetpy.features.urls import find_urls
from vetpy.wordsearch import automaton, find_words, lowered

#: Files that run when the package is installed or imported: always analysed in full.
ALWAYS_FULL_NAMES = frozenset({"setup.py", "__init__.py", "__main__.py"})

# Module roots too common to mark as a whole: their notable calls are marked by the called name instead.
_LEAF_ROOTS = frozenset(
    {"os", "nt", "posix", "builtins", "http", "httplib", "importlib", "socket", "uuid", "commands"}
)
# Called names that are common words or substrings of common words ("empty" holds "pty"): matched as
# whole words by prepass_shapes.py instead (bare exec/eval/compile only when not a method: `cursor.execute`,
# `model.eval()` and `re.compile` are not the builtins; `os.system` only as an attribute or an import).
_WORD_MARKS = frozenset({"exec", "eval", "compile", "execfile", "chr", "pty", "system"})

# Names the walker reacts to beyond the call tables (dynamic access, decoding helpers, ctypes, process
# tricks, the destinations and sends of network calls); ``environ`` is a shape (not inside "environment").
_WALKER_MARKS = (
    "__import__",
    "__builtins__",
    "builtins",
    "windll",
    "ctypes",
    "winreg",
    "win32",
    "dup2",
    "chmod",
    "startfile",
    ".urlopen",
    ".urlretrieve",
    ".connect((",
    "create_connection",
    "smtp",
)

# Script hints that are common English or code words: covered by their regexes in prepass_shapes.py.
_COMMON_HINTS = frozenset({"-e ", "hidden", "script", "ignore", "disregard", "do not tell", "do not mention"})
_COMMON_HINTS |= {"don't tell", "reg add", "nc", "iwr", "-enc", "/bin/", "tdata"}
# Two kinds of run after a quote, found in one pass over the quotes (each in a look-ahead, so a quote that
# opens both gives both; the caller keeps the matches two separate searches would give):
# - a long literal with many distinct characters may be a high-entropy string (strings.is_high_entropy):
#   ``'([^'\n]{64,})|"([^"\n]{64,})`` (groups 1, 2);
# - a literal that may decode to something (scripts.decoded_tokens) or be packed data:
#   ``["']\s*([A-Za-z0-9+/=_-]{24,})\s*["']`` (groups 3 and 5: what follows the quote; 4 and 6: the run).
_LONG = r"(?:(?<=')([^'\n]{64,})|(?<=\")([^\"\n]{64,}))"
_ENCODED_TAIL = r"(\s*([A-Za-z0-9+/=_-]{24,})\s*[\"'])"
_QUOTE_RUNS = re.compile(r"['\"](?:(?=" + _LONG + r")(?=" + _ENCODED_TAIL + r")?|(?=" + _ENCODED_TAIL + r"))")
_HIGH_ENTROPY = 5.0  # strings.is_high_entropy's 5.2, less a margin: the source text holds escapes
# Calls whose argument decides whether the walker fires: (name, argument index).


def _call_words() -> tuple[set[str], set[str]]:
    """The call tables' marks: called names (leaves) and module roots (``subprocess`` of ``subprocess.*``)."""
    leaves, roots = set[str](), set[str]()
    tables = [(q.split("."), True) for q in calls.EXACT] + [
        (q.rstrip(".").split("."), False) for q, _ in calls.PREFIX
    ]
    for parts, exact in tables:
        if parts[0] in _LEAF_ROOTS or (exact and len(parts) == 1):
            leaves.add(parts[-1])
        else:
            roots.add(parts[0])
    return leaves - _WORD_MARKS, roots - _WORD_MARKS


# Start-up locations persistence.PERSIST_RE names that no other mark covers (a write there: persistence.py).
_START_UP = ("authorized_keys", ".profile", ".zshenv", ".bash_login", "/etc/cron", "/var/spool/cron")


def _other_words() -> set[str]:
    words = set(_WALKER_MARKS) | set(_REVERSED_HINTS)
    for hints in st.PATTERN_HINTS.values():
        words.update(hints)
    for _, hints, _ in SCRIPT_PATTERNS:
        words.update(hints)
    words.update(("/dev/tcp", "socat"))
    words.update(_START_UP)
    words.update(lexicon_words())  # bare host names under an infrastructure domain (literals.host_tokens)
    words.update(BEACON_MARKS)  # DNS look-ups and clipboard reads (beacon.py, clipboard.py)
    return words


@lru_cache(maxsize=1)
def mark_words() -> tuple[str, ...]:
    """Every literal mark, lower-case and sorted (for tests and the docs)."""
    leaves, roots = _call_words()
    words = leaves | roots | _other_words()
    return tuple(sorted(w.lower() for w in words if w and w.lower() not in _COMMON_HINTS))


@lru_cache(maxsize=1)
def _modules() -> frozenset[int]:
    """Indexes in mark_words of the module roots that are marks only as roots (prepass_reach.py)."""
    leaves, roots = _call_words()
    others = {w.lower() for w in leaves | _other_words()}
    return module_marks(mark_words(), frozenset(r.lower() for r in roots) - others)


@lru_cache(maxsize=1)
def _automaton() -> ahocorasick_rs.AhoCorasick:
    return automaton(mark_words())


@lru_cache(maxsize=1)
def _overlap() -> int:
    return max(map(len, mark_words())) - 1


# Where the word search stops to ask whether it found one: most marked files name one near the top.
_WINDOW_ENDS = (4_096, 65_536)


def _has_word(low: str, text: str) -> bool:
    """Whether a mark word occurs in ``low`` (``text`` lower-cased; a module root only in a file that
    imports it: prepass_reach.py): searched window by window (each overlapping the one before by the
    longest word less one character, so every occurrence lies whole in one window), stopping at the first
    window with a mark instead of listing every match of a large file."""
    searcher, overlap = _automaton(), _overlap()
    if not low.isascii():  # one search of the whole text, every word a mark (lone surrogates included)
        return bool(find_words(searcher, low, overlapping=False))
    start = 0
    for end in _WINDOW_ENDS:
        if end >= len(low):
            break
        if _window_marked(low[start:end], text):
            return True
        start = end - overlap
    return _window_marked(low[start:] if start else low, text)


def _window_marked(window: str, text: str) -> bool:
    """Whether the mark words in one window of ``text`` (lower-cased) make a mark."""
    searcher, modules = _automaton(), _modules()
    found = {i for i, _, _ in find_words(searcher, window)}  # overlapping: a module word may hide another
    if not found or not found <= modules:
        return bool(found)
    return roots_count(text, found, mark_words(), modules)


def _entropy_reaches(run: str, bits: float) -> bool:
    """``strings.shannon_entropy(run) >= bits``; a run with fewer than 2**bits distinct characters in the
    sample the entropy reads cannot reach it (the entropy is at most log2 of that count): not computed."""
    sample = run[: st.ENTROPY_SAMPLE]
    return len(set(sample)) >= 2**bits and st.shannon_entropy(sample) >= bits


def quoted_runs(text: str) -> tuple[list[str], list[str]]:
    """The long runs and the encoded-looking runs after quotes, as two separate ``finditer`` searches
    would give them: a search goes on after its own last match (a long run ends before the closing quote,
    so that quote may open the next; an encoded run's match takes its closing quote)."""
    longs: list[str] = []
    encoded: list[str] = []
    long_end = encoded_end = 0
    for m in _QUOTE_RUNS.finditer(text):
        start = m.start()
        run = m.group(1) or m.group(2)
        if run and start >= long_end:
            longs.append(run)
            long_end = start + 1 + len(run)
        tail, run = (m.group(3), m.group(4)) if m.group(3) else (m.group(5), m.group(6))
        if tail and start >= encoded_end:
            encoded.append(run)
            encoded_end = start + 1 + len(tail)
    return longs, encoded


def _packed_literal(text: str) -> bool:
    """A literal the string detectors would call high-entropy, or that decodes to something telling."""
    longs, encoded = quoted_runs(text)
    if any(_entropy_reaches(run, _HIGH_ENTROPY) for run in longs):
        return True
    return any(st.is_high_entropy(run) or decoded_tokens(run) for run in encoded)


def _suspicious_url(text: str) -> bool:
    """A URL the detectors would count (insecure, raw IP, unknown host, webhook, paste), outside comments."""
    for offset, hit in find_urls(text):
        if hit.suspicious:
            line_start = text.rfind("\n", 0, offset) + 1
            if not text[line_start:offset].lstrip().startswith("#"):
                return True
    return False


def always_full(path: str, is_setup: bool) -> bool:
    """Files that run at install or import time."""
    return is_setup or member_path(path).name in ALWAYS_FULL_NAMES


def has_marks(text: str) -> bool:
    """Whether any syntax-tree detector could fire on this source text (a superset: false marks cost
    time, a missed mark would lose a signal; benchmarks/prepass_check.py measures it on the corpus), or
    a string the module builds from pieces could hold one (prepass_built.py)."""
    return _marked_text(text) or built_marks(text, _marked_text)


def _marked_text(text: str) -> bool:
    """The marks of one text (a file, or a view of it with built strings joined)."""
    low = lowered(text)
    if _has_word(low, text) or shape_marked(low):
        return True
    if "://" in text and _suspicious_url(text):
        return True
    return dynamic_call(text) or _packed_literal(text)


def needs_tree(path: str, text: str, is_setup: bool) -> bool:
    """The fast pass's verdict for one file: analyse it in full, or read only its text-level signals."""
    return always_full(path, is_setup) or has_marks(text)
