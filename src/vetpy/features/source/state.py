"""The walk state shared by the syntax-tree checks: import aliases, taint, where a hit sits, and the
resolution of a call or attribute to a qualified name."""

from __future__ import annotations

import ast
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import ahocorasick_rs

from vetpy.features import calls
from vetpy.features import strings as st
from vetpy.features.source.astutil import bounded_walk
from vetpy.features.source.facts import FactsBuilder, Hit
from vetpy.features.source.text import Lines
from vetpy.features.urls import UrlHit
from vetpy.wordsearch import automaton, find_words, lowered

WHOLE_ENV = "os.environ (all of it)"
#: What remote.py's checks can read in a source text: a ``.recv*`` attribute, or a web request's data
#: (``request.args`` ...; spaces, a line continuation or a closing parenthesis may sit around the dot).
REMOTE_MARKS = re.compile(
    r"\.[\s\\]*recv|\brequest[\s\\)]*\.[\s\\]*"
    r"(?:args|form|values|json|data|get_json|GET|POST|body|query_params|query)\b"
)
# REMOTE_MARKS split so each part starts with a literal the regex engine can skip to (the joined
# pattern starts with ``\.``/``\b`` and is tried at every position: 4% of a popular package's scan).
_RECV_MARK = re.compile(r"\.[\s\\]*recv")
_REQUEST_MARK = re.compile(
    r"request[\s\\)]*\.[\s\\]*(?:args|form|values|json|data|get_json|GET|POST|body|query_params|query)\b"
)
_WORD_CHARS = frozenset(string.ascii_letters + string.digits + "_")


def names_remote_input(text: str) -> bool:
    """Whether REMOTE_MARKS matches in ``text`` (and always for a text that is not ASCII, where Python's
    identifier normalisation may spell the names otherwise): the same answer, found faster."""
    if not text.isascii():
        return True
    if "recv" in text and _RECV_MARK.search(text) is not None:
        return True
    if "request" not in text:
        return False
    # a match of _REQUEST_MARK cannot hold another "request", so a match failing the word boundary
    # before it hides no other match
    return any(m.start() == 0 or text[m.start() - 1] not in _WORD_CHARS for m in _REQUEST_MARK.finditer(text))


#: Words every upload upload.py reads spells (a shell upload's program: scripts.py's ``upload`` hints, or
#: an HTTP file post's keywords), and the credential stores' hints (strings.CREDENTIAL_RE).
UPLOAD_HINTS = ("curl", "wget", "uploadfile", "-infile", "files=", "files =", "data=", "data =")
CREDENTIAL_HINTS = st.PATTERN_HINTS["credential"]


def upload_gate(low: str) -> bool:
    """Whether a lower-cased source text names an upload and a credential store at all (upload.py): the
    credential hints in one word search (any match answers "any of them occurs")."""
    return any(h in low for h in UPLOAD_HINTS) and bool(
        find_words(credential_automaton(), low, overlapping=False)
    )


@lru_cache(maxsize=1)
def credential_automaton() -> ahocorasick_rs.AhoCorasick:
    """The credential hints (strings.PATTERN_HINTS) in one automaton."""
    return automaton(CREDENTIAL_HINTS)


EP_RE = re.compile(r"^\s*[\w.\- ]+?\s*=\s*([A-Za-z_][\w.]*)\s*(?::\s*[\w.]+)?\s*(?:\[.*\])?\s*$")


def _flow_words() -> tuple[frozenset[str], frozenset[str]]:
    """Words every call of a sink (network, process) or of exec/eval puts in the source: the last part of
    its resolved name (an attribute, a name, or the name an import brings in), the module of a prefix
    entry (``requests.``), or a computed import (whose string may spell the module with escapes); and
    starts of such identifiers (``os.spawn`` -> ``spawnl``)."""
    words = {"__import__", "import_module"}
    starts: set[str] = set()
    sinks = {q for q, feats in calls.EXACT.items() if calls.SINK_FEATURES.intersection(feats)}
    for q in sinks | calls.SEND_NAMES | calls.EXEC_NAMES:
        words.add(q.rsplit(".", 1)[-1])
    for prefix, feats in calls.PREFIX:
        if calls.SINK_FEATURES.intersection(feats):
            if prefix.endswith("."):
                words.add(prefix[:-1].split(".")[0])
            else:
                starts.add(prefix.rsplit(".", 1)[-1])
    return frozenset(words), frozenset(starts)


def _flow_marks() -> re.Pattern[str]:
    """The marks as one pattern: a word as a whole word, a start at the start of a word."""
    words, starts = _flow_words()
    pattern = rf"\b(?:{'|'.join(sorted(map(re.escape, words)))})\b"
    if starts:
        pattern += rf"|\b(?:{'|'.join(sorted(map(re.escape, starts)))})\w*"
    return re.compile(pattern, re.ASCII)


FLOW_MARKS = _flow_marks()
_ASCII_WORD = frozenset(string.ascii_letters + string.digits + "_")  # ``\w`` of an ASCII pattern
_WINDOW_ENDS = (4_096, 65_536)  # most files name a mark near the top: look there first


@lru_cache(maxsize=1)
def _flow_automaton() -> tuple[ahocorasick_rs.AhoCorasick, int, int]:
    """The words then the starts of the marks, how many words, and the longest mark less one."""
    words, starts = _flow_words()
    marks = [*sorted(words), *sorted(starts)]
    return automaton(marks), len(words), max(map(len, marks)) - 1


def _mark_between(text: str, lo: int, hi: int) -> bool:
    """Whether a mark lies whole in ``text[lo:hi]`` where FLOW_MARKS matches in ``text``: every occurrence
    of a word or start (overlapping ones too), kept when no word character of ``text`` comes before it
    and, for a word, none after it (every mark begins and ends with a word character)."""
    searcher, n_words, _ = _flow_automaton()
    n = len(text)
    for kind, s, e in find_words(searcher, text[lo:hi] if lo or hi < n else text):
        s, e = s + lo, e + lo
        if s and text[s - 1] in _ASCII_WORD:
            continue
        if kind >= n_words or e == n or text[e] not in _ASCII_WORD:
            return True
    return False


def may_reach_sink(text: str) -> bool:
    """False only when no call in ``text`` can resolve to a sink or to exec/eval, so what flows into
    names (host data, decoded values) can never be read. Python normalises non-ASCII identifiers (NFKC),
    so such files always count. An ASCII text: whether FLOW_MARKS matches in it, found with one word
    search per window (each overlapping the one before by the longest mark less one character, so every
    occurrence lies whole in one), stopping at the first window that holds a match."""
    if not text.isascii():
        return True
    overlap, n, start = _flow_automaton()[2], len(text), 0
    for end in _WINDOW_ENDS:
        if end >= n:
            break
        if _mark_between(text, start, end):
            return True
        start = end - overlap
    return _mark_between(text, start, n)


@dataclass
class UploadState:
    """What the collect-and-upload check (upload.py) notes per function (None: module level)."""

    gate: bool = False  # the text names an upload and a credential store at all
    creds: dict[str | None, tuple[int, str]] = field(default_factory=dict)  # first credential path
    commands: dict[str | None, tuple[int, str, bool]] = field(default_factory=dict)  # shell upload, host?
    urls: dict[str | None, int] = field(default_factory=dict)  # a literal URL to a host not well known
    processes: dict[str | None, int] = field(default_factory=dict)  # a process started
    posts: dict[str | None, tuple[int, str]] = field(default_factory=dict)  # a file posted to a fixed URL


@dataclass
class CustodyState:
    """What the custody checks (custody.py) keep during one walk."""

    words: int | None = None  # custody.custody_level of the text (None: not asked yet)
    held: dict[tuple[str | None, str], str] = field(default_factory=dict)  # (function, name) -> secret
    assigns: list[tuple[str | None, ast.expr, ast.expr]] = field(default_factory=list)  # not read yet
    sockets: dict[str | None, str] = field(default_factory=dict)  # function -> outside host connected to


@dataclass
class WatchState:
    """What the DNS-beacon and clipboard checks (beacon.py, clipboard.py) note during one walk."""

    #: DNS look-ups: (outermost function, the call, what it is, the name or command it resolves)
    dns: list[tuple[str | None, ast.Call, str, ast.expr]] = field(default_factory=list)
    #: host data sent to a destination held in a name: (function, the call, its name, what, destination)
    sends: list[tuple[str | None, ast.Call, str, str, ast.expr]] = field(default_factory=list)
    clip_reads: list[tuple[int, str]] = field(default_factory=list)  # line, what reads the clipboard
    clip_writes: list[tuple[int, str]] = field(default_factory=list)  # line, what writes it


@dataclass
class PathState:
    """What the path checks (persistence.py, pathtext.py) keep during one walk."""

    texts: dict[tuple[str | None, str], str] = field(default_factory=dict)  # (function, name) -> path/text
    opened: dict[tuple[str | None, str], tuple[str, int]] = field(default_factory=dict)  # file written
    done: set[int] = field(default_factory=set)  # nodes inside a path already read
    values: dict[tuple[str | None, str], ast.expr] = field(default_factory=dict)  # name -> call/attribute
    run_keys: dict[str | None, str] = field(default_factory=dict)  # function -> a Run key it opened


@dataclass
class ParamFlowState:
    """What the flows through local functions (params.py) note during one walk."""

    #: function name -> (its outermost function, its positional parameter names)
    defs: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    #: (outermost function, parameter) -> (what it reaches, the sink's resolved name, the sink's line)
    sinks: dict[tuple[str | None, str], tuple[str, str, int]] = field(default_factory=dict)
    #: local calls: (outermost function of the call, under a ``__main__`` guard, the call, callee, method)
    calls: list[tuple[str | None, bool, ast.Call, str, bool]] = field(default_factory=list)


class WalkState:
    """Mutable state of one walk over one module, with name resolution and hit recording."""

    def __init__(self, scan: FactsBuilder, text: str, is_setup: bool, lines: Lines | None = None) -> None:
        self.scan = scan
        self.track_flow = may_reach_sink(text)
        # whether an attribute of the tree can be environ, environb or windll (walker.visit_attribute)
        self.names_env_attr = not text.isascii() or "environ" in text or "windll" in text
        # whether network input can be named at all (remote.py): a socket's recv or a web request
        self.names_remote = names_remote_input(text)
        self.remote_vars: dict[tuple[str | None, str], tuple[str, bool]] = {}  # name -> input, from a socket
        self.remote_runs: list[tuple[ast.Call, str, str, bool, bool]] = []  # remote.py's, judged at the end
        self.lines = Lines(text) if lines is None else lines  # the caller's, when it has them: split once
        self.is_setup = is_setup
        self.aliases: dict[str, str] = {}
        self.tainted: set[tuple[str | None, str]] = set()  # (function or None for module level, name)
        self.joined: set[tuple[str | None, str]] = set()  # tainted names only str.join made (flow.py)
        self.skip: set[int] = set()
        self.chr_calls: list[int] = []
        self.seen: set[str] = set()
        self.first_line: dict[str, int] = {}
        self.weak_exec: set[int] = set()
        self.sourced: dict[str, bool] = {}  # name -> holds the whole environment (only bare use counts)
        # import-time reachability: where a hit sits (None: module level) and which local names each
        # place calls; module-level code under ``if __name__ == "__main__"`` is not import-time.
        self.func: str | None = None
        self.in_main = False
        self.defined: set[str] = set()
        self.calls_from: dict[str | None, dict[str, int]] = {}
        self.func_hits: dict[str, dict[str, Hit]] = {}
        self.params: dict[str, set[str]] = {}  # outermost function -> its (and nested) parameter names
        self.constants: dict[str, str] = {}  # module-level name -> string constant
        self.url_names: dict[tuple[str | None, str], str] = {}  # (function, name) -> a fixed URL's head
        self.secret_vars: set[tuple[str | None, str]] = set()  # (function, name) assigned from a secret
        self.custody = CustodyState()  # custody.py's (one attribute: the instance keeps shared dict keys)
        self.watch = WatchState()  # beacon.py's and clipboard.py's
        self.paths = PathState()  # persistence.py's
        self.param_flow = ParamFlowState()  # params.py's
        # upload.py's: it reads a process or HTTP call, which cannot be called where no sink can
        self.upload = UploadState(gate=self.track_flow and upload_gate(lowered(text)))
        self.folded: set[int] = set()  # nodes inside an expression already folded (folding.py)
        self.fold_constants: dict[str, str | bytes] = {}  # module-level name -> text constant
        self.rebound: set[str] = set()  # module-level names bound to something else too
        self.fold_urls: list[tuple[int, UrlHit]] = []  # URLs of built strings, added at the end

    # --- resolution ---------------------------------------------------------------------------

    def is_tainted(self, name: str) -> bool:
        """A name assigned from run-time decoding in the current function, or at module level: a name
        decoded in one method does not taint the same name in another."""
        return (self.func, name) in self.tainted or (None, name) in self.tainted

    def is_joined(self, name: str) -> bool:
        """A tainted name whose only decoder was ``str.join`` (see :meth:`is_tainted`)."""
        return (self.func, name) in self.joined or (None, name) in self.joined

    def resolve(self, node: ast.AST) -> str | None:
        """The qualified name a call's target or an attribute resolves to through the imports so far
        (``*.attr``: an attribute of something unknown; None: nothing known); a bare name first."""
        if type(node) is ast.Name:  # the loop below finds no attribute: its base alone
            alias = self.aliases.get(node.id)
            return node.id if alias is None and node.id in calls.BUILTIN_NAMES else alias
        parts: list[str] = []
        cur = node
        while isinstance(cur, ast.Attribute) and len(parts) < 8:
            parts.append(cur.attr)
            cur = cur.value
        base: str | None = None
        if isinstance(cur, ast.Name):
            base = self.aliases.get(cur.id)
            if base is None and cur.id in calls.BUILTIN_NAMES:
                base = cur.id
        elif isinstance(cur, ast.Call) and cur.args:
            base = self.call_base(cur)
        elif isinstance(cur, ast.Constant) and isinstance(cur.value, str | bytes):
            base = "str" if isinstance(cur.value, str) else "bytes"
        if base is None:
            return "*." + parts[0] if parts else None
        return ".".join([base, *reversed(parts)])

    def call_base(self, call: ast.Call) -> str | None:
        """The module or object a call returns, when a name can be read off it (``__import__("os")``):
        read by :class:`~vetpy.features.source.folding.FoldChecks`, which folds built names too."""
        return None

    def credential_file(self, node: ast.Call, q: str) -> str | None:
        """The credential file a call (resolved to ``q``) opens or reads (persistence.py's path checks)."""
        return None

    def subtree_calls(self, node: ast.AST) -> Iterator[tuple[str | None, ast.AST]]:
        for cur in bounded_walk(node):
            if isinstance(cur, ast.Call):
                yield self.resolve(cur.func), cur
            elif isinstance(cur, ast.Name):
                yield None, cur

    # --- visiting -------------------------------------------------------------------------------
    def hit(self, feature: str, node: ast.AST, message: str, module_level: bool, strong: bool = True) -> None:
        line = getattr(node, "lineno", 0) or 0
        found = Hit(feature, line, message, self.lines.get(line), strong)
        self.scan.add(found, module_level)
        self.first_line.setdefault(feature, line)
        if strong and feature in calls.INIT_FEATURES:
            if self.func is not None:
                self.func_hits.setdefault(self.func, {}).setdefault(feature, found)
            elif module_level and not self.in_main:
                self.scan.import_time.setdefault(feature, found)
