"""One walk over an opened archive's members -> frozen :class:`PackageFacts` that every detector reads:
per-file facts of each Python file (one syntax-tree pass each), URLs in code and text files, script
patterns, ``.pth`` lines, entry points, and the paper's suspicious lines."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath

import ahocorasick_rs

from vetpy.acquire.interface import Archive, Member
from vetpy.features import strings as st
from vetpy.features.clones import known_file
from vetpy.features.paper import iter_suspicious_lines
from vetpy.features.paths import member_path
from vetpy.features.roles import SourceFile, install_time_setup, looks_like_test, suite_only_files
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.pool import iter_members
from vetpy.features.source.scan import scan_source
from vetpy.features.source.state import EP_RE
from vetpy.features.source.text import PY_SUFFIXES, decode_source
from vetpy.features.urls import UrlHit, find_urls
from vetpy.wordsearch import find_words, folded, hint_index

MAX_TEXT_FILE_BYTES = 2_000_000
MAX_TEXT_CHARS = 400_000
MAX_URL_HITS = 5000

SCRIPT_SUFFIXES = (".sh", ".bash", ".bat", ".cmd", ".ps1", ".vbs", ".js")
TEXT_SUFFIXES = (
    *SCRIPT_SUFFIXES,
    ".txt",
    ".json",
    ".cfg",
    ".ini",
    ".toml",
    ".yaml",
    ".yml",
    ".conf",
    ".in",
    "",
)
DOC_PREFIXES = (
    "readme",
    "change",
    "history",
    "license",
    "licence",
    "copying",
    "authors",
    "contribut",
    "news",
    "notice",
    "code_of_conduct",
    "security",
)
META_NAMES = (
    "PKG-INFO",
    "METADATA",
    "SOURCES.txt",
    "RECORD",
    "WHEEL",
    "top_level.txt",
    "dependency_links.txt",
)
SCRIPT_PATTERNS = (("code.download_exec", st.DOWNLOAD_RUN_RE), ("code.reverse_shell", st.SHELL_RE))
_SCRIPT_HINTS = (st.PATTERN_HINTS["download"], st.PATTERN_HINTS["shell"])  # one per SCRIPT_PATTERNS row
_WORD_START_HINTS = frozenset({"curl", "wget", "iwr", "nc"})  # only after a \b in their patterns


@dataclass(frozen=True)
class ScriptMatch:
    """A download-and-run or shell pattern in a non-Python script (``.sh``, ``.bat``, ``.ps1``, ...)."""

    feature: str
    path: str
    line: int
    matched: str
    line_text: str


@dataclass(frozen=True)
class PthLine:
    """An executable ``import`` line of a ``.pth`` file (runs at every interpreter start)."""

    path: str
    line: int
    text: str


@dataclass(frozen=True)
class PackageFacts:
    """Everything the detectors read about one package (``files``: ``.pth`` code first, then Python files
    with setup.py first; ``url_hits``: text files first, then Python files; ``known_files``: Python files
    that are unmodified copies of a popular project's files (clones.py), which are not scanned: a package
    is judged on what it adds or changes)."""

    archive: Archive
    py_members: tuple[Member, ...]
    setup: str | None
    files: tuple[FileFacts, ...]
    url_hits: tuple[tuple[str, int, UrlHit], ...]
    entry_modules: tuple[str, ...]
    pth_lines: tuple[PthLine, ...]
    scripts: tuple[ScriptMatch, ...]
    suspicious_lines: tuple[str, ...]
    known_files: tuple[str, ...] = ()


def _depth(path: str) -> int:
    return path.count("/")


def _is_setup_py(path: str) -> bool:
    return member_path(path).name == "setup.py" and _depth(path) <= 1


def _is_doc(name: str) -> bool:
    return name.lower().startswith(DOC_PREFIXES) or name in META_NAMES


def _entry_point_file(m: Member) -> list[str]:
    out = []
    for line in decode_source(m.data[:200_000]).splitlines():
        match = EP_RE.match(line)
        if match and not line.lstrip().startswith(("[", "#")):
            out.append(match.group(1))
    return out


def _pth(m: Member, pth_lines: list[PthLine], files: list[FileFacts]) -> None:
    text = decode_source(m.data[:1_000_000])
    kept = []
    for no, line in enumerate(text.splitlines(), start=1):
        if line.startswith(("import ", "import\t")):
            pth_lines.append(PthLine(m.path, no, line))
            kept.append(line)
        else:
            kept.append("")
    if any(kept):
        files.append(scan_source(m.path, "\n".join(kept)))


@lru_cache(maxsize=1)
def _script_hints() -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[int, ...], ...], tuple[bool, ...]]:
    """hint_index of _SCRIPT_HINTS, and whether each hint (by word index) sits at a word start in every
    match (``\\bcurl``, ``\\bnc``)."""
    searcher, kinds_of = hint_index(_SCRIPT_HINTS)
    words = dict.fromkeys(hint for hints in _SCRIPT_HINTS for hint in hints)  # hint_index's word order
    return searcher, kinds_of, tuple(word in _WORD_START_HINTS for word in words)


def possible_script_patterns(text: str) -> set[int]:
    """Which SCRIPT_PATTERNS (by index) can match in ``text``: those one of whose hints is in it as the
    case-insensitive patterns read it (:func:`folded`), at a word start for a hint the pattern has only
    there; all of them when folding changes the length. One word search instead of a slow
    case-insensitive alternation over each script (big minified ``.js``)."""
    low = folded(text)
    if low is None:
        return set(range(len(SCRIPT_PATTERNS)))
    searcher, kinds_of, at_word_start = _script_hints()
    possible: set[int] = set()
    for i, start, _ in find_words(searcher, low):
        if not (start and at_word_start[i] and st.is_word_char(text[start - 1])):
            possible.update(kinds_of[i])
    return possible


def _text_file(m: Member, url_hits: list[tuple[str, int, UrlHit]], scripts: list[ScriptMatch]) -> None:
    text = m.data[:MAX_TEXT_FILE_BYTES].decode("utf-8", "replace")
    line, counted = 1, 0  # lines counted up to offset ``counted`` (each from the last: not from 0)
    for off, hit in find_urls(text):
        line += text.count("\n", counted, off)
        counted = off
        url_hits.append((m.path, line, hit))
        if len(url_hits) > MAX_URL_HITS:
            break
    if m.path.lower().endswith(SCRIPT_SUFFIXES):
        possible = possible_script_patterns(text)
        for k, (feature, pattern) in enumerate(SCRIPT_PATTERNS):
            match = pattern.search(text) if k in possible else None
            if match:
                line = text.count("\n", 0, match.start()) + 1
                line_text = text.splitlines()[line - 1] if text else ""
                scripts.append(ScriptMatch(feature, m.path, line, match.group(0), line_text))


def _is_text_member(m: Member, p: PurePosixPath, lower: str) -> bool:
    return (
        ((lower.endswith(TEXT_SUFFIXES) and "." in lower) or p.suffix == "")
        and not _is_doc(p.name)
        and len(m.data) <= MAX_TEXT_FILE_BYTES
        and b"\x00" not in m.data[:1024]
    )


def _test_suite(py: list[Member]) -> frozenset[str]:
    """The Python files of a test suite that no package file imports (only package files are decoded)."""
    if not any(looks_like_test(m.path) for m in py):
        return frozenset()
    return suite_only_files(
        [SourceFile(m.path, "" if looks_like_test(m.path) else decode_source(m.data)) for m in py]
    )


def gather(archive: Archive) -> PackageFacts:
    """Walk the archive once and scan every Python file, setup.py first (acquire's ``max_code_files``
    limit bounds how many there are: past it the scan is incomplete, never silently cut)."""
    py: list[Member] = []
    files: list[FileFacts] = []
    url_hits: list[tuple[str, int, UrlHit]] = []
    entry_modules: list[str] = []
    pth_lines: list[PthLine] = []
    scripts: list[ScriptMatch] = []
    for m in archive.members:
        p = member_path(m.path)
        lower = p.name.lower()
        if lower.endswith(PY_SUFFIXES):
            py.append(m)
        elif lower.endswith(".pth"):
            _pth(m, pth_lines, files)
        elif p.name == "entry_points.txt":
            entry_modules.extend(_entry_point_file(m))
        elif _is_text_member(m, p, lower):
            _text_file(m, url_hits, scripts)
    setups = sorted((m.path for m in py if _is_setup_py(m.path)), key=_depth)
    setup = setups[0] if setups else None
    susp: list[str] = []
    susp_chars = 0
    tests_only = _test_suite(py)  # never run on install or import (roles.py)
    ordered = [m for m in sorted(py, key=lambda m: m.path != setup) if m.path not in tests_only]
    known = tuple(m.path for m in ordered if known_file(m.data))
    if known:
        skip = set(known)
        ordered = [m for m in ordered if m.path not in skip]
    for m, facts in zip(ordered, iter_members(ordered, setup), strict=True):  # acquire bounds their number
        files.append(facts)
        url_hits.extend((m.path, line, hit) for line, hit in facts.urls)
        entry_modules.extend(facts.entry_modules)
        if susp_chars > MAX_TEXT_CHARS:  # the text is full: lines past the cap are never kept
            continue
        text, is_setup = decode_source(m.data), m.path == setup
        text = install_time_setup(text) if is_setup else text
        for line in iter_suspicious_lines(text[:MAX_TEXT_CHARS], whole_file=is_setup or facts.suspicious_url):
            if susp_chars > MAX_TEXT_CHARS:
                break
            susp.append(line)
            susp_chars += len(line) + 1
    return PackageFacts(
        archive=archive,
        py_members=tuple(py),
        setup=setup,
        files=tuple(files),
        url_hits=tuple(url_hits),
        entry_modules=tuple(entry_modules),
        pth_lines=tuple(pth_lines),
        scripts=tuple(scripts),
        suspicious_lines=tuple(susp),
        known_files=known,
    )
