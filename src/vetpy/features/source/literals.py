"""Signals read off source text and string literals: long and high-entropy strings, URLs, hex escapes,
obfuscator markers, long lines, and path/command patterns (credentials, start-up locations, shells)."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from functools import lru_cache

import ahocorasick_rs

from vetpy.features import strings as st
from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import bare_hosts, lexicon_words
from vetpy.features.registry import signal
from vetpy.features.scripts import MIN_ENCODED, decoded_texts, python_programs, rescan_tokens, script_kinds
from vetpy.features.source.facts import FactsBuilder, Hit
from vetpy.features.source.hidden import note_hidden
from vetpy.features.source.text import Lines, line_of
from vetpy.features.urls import bare_ip, find_urls
from vetpy.wordsearch import find_words, hint_index

MIN_PATTERN_STRING = 4  # no pattern below matches fewer characters
_LONG_LINE = re.compile(rf"\n[^\n]{{{st.LONG_LINE + 1}}}")  # anchored at a break: one pass
_STRING_PATTERNS = (
    ("code.credential_read", st.CREDENTIAL_RE, "str:credential_path", st.PATTERN_HINTS["credential"]),
    ("code.startup_write", st.STARTUP_RE, "str:startup_path", st.PATTERN_HINTS["startup"]),
    ("code.reverse_shell", st.SHELL_RE, "str:shell_command", st.PATTERN_HINTS["shell"]),
    ("code.download_exec", st.DOWNLOAD_RUN_RE, "str:download_run", st.PATTERN_HINTS["download"]),
    ("code.system_info", st.IP_LOOKUP_RE, "str:ip_lookup", st.PATTERN_HINTS["ip_lookup"]),
)
_HOSTS = len(_STRING_PATTERNS)  # the hint group of the lexicon's domains


def has_long_line(text: str) -> bool:
    """Whether a line (broken at ``\\n``) is over LONG_LINE characters: the first, or one after a break."""
    first = text.find("\n")
    return (len(text) if first < 0 else first) > st.LONG_LINE or _LONG_LINE.search(text) is not None


def scan_text_patterns(scan: FactsBuilder, text: str, lines: Lines) -> None:
    """Signals read off raw source text: hex escapes, obfuscator markers, long lines."""
    for feature, finder in (
        ("code.hex_chr_chains", st.find_hex_escapes),
        ("code.obfuscator", st.find_obfuscator),
    ):
        for offset, matched in finder(text)[:50]:
            line = line_of(text, offset)
            scan.add(Hit(feature, line, f"{signal(feature)}: {matched[:40]}", lines.get(line)))
            scan.token("str:hex_escapes" if feature == "code.hex_chr_chains" else "str:obfuscator")
    if has_long_line(text):
        for line_no, raw in enumerate(text.split("\n"), start=1):
            if len(raw) > st.LONG_LINE:
                scan.add(
                    Hit("code.long_lines", line_no, f"line of {len(raw)} characters", st.snippet(raw[:200]))
                )
                scan.token("src:long_line")


def scan_string(scan: FactsBuilder, value: str, line: int, lines: Lines, module_level: bool) -> None:
    """Signals carried by one string literal (not a docstring)."""
    n = len(value)
    if n > st.LONG_STRING:
        scan.add_strong(
            "paper.long_string",
            lambda: Hit("paper.long_string", line, f"{signal('paper.long_string')} ({n})", lines.get(line)),
        )
        entropy = st.shannon_entropy(value)
        scan.max_entropy = max(scan.max_entropy, entropy)
        if st.is_high_entropy(value, entropy):
            scan.add(
                Hit(
                    "code.high_entropy_strings",
                    line,
                    f"string of {n} chars, entropy {entropy:.2f}",
                    lines.get(line),
                )
            )
            scan.token("str:high_entropy")
        if n > st.VERY_LONG_STRING:
            scan.add_strong(
                "code.long_strings",
                lambda: Hit("code.long_strings", line, f"string literal of {n} characters", lines.get(line)),
            )
            scan.token("str:very_long")
    head = value[:20_000]
    if n >= 7 and ("//" in head or value[0].isdigit()):
        for _, hit in find_urls(head):
            scan.urls.append((line, hit))
        ip = bare_ip(value) if n <= 21 else None
        if ip is not None:
            scan.urls.append((line, ip))
    if n >= MIN_PATTERN_STRING:
        scan.pending_strings.append((head, line, module_level))
    if n >= 12:  # code in another language, and constants that decode to something (scripts.py)
        if n <= MEMO_CHARS:  # the whole literal
            kinds, decoded, programs = string_checks(value)
        else:
            kinds, decoded = tuple(script_kinds(head)), tuple(decoded_texts(head))
            programs = tuple(python_programs(value))
        for token in kinds:
            scan.token(f"script:{token}")
        if decoded:
            scan_decoded(scan, decoded, line, module_level)
        for program in programs:
            scan.programs.append((program, line, module_level))


MEMO_CHARS = 2_000  # strings up to this long have their checks remembered (string_checks)
_Checks = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _string_checks(value: str) -> _Checks:
    """What a string literal of 12 to MEMO_CHARS characters holds, whatever its line: the kinds of
    foreign code, the texts it decodes to, and the Python programs in it."""
    decoded = tuple(decoded_texts(value)) if len(value) >= MIN_ENCODED else ()  # shorter: nothing
    return tuple(script_kinds(value)), decoded, tuple(python_programs(value))


#: :func:`_string_checks`, remembered: generated code repeats its strings (google-ads: 130,000 literals
#: of 12 characters or more, 17,000 distinct), and the checks are pure functions of the text.
string_checks = lru_cache(maxsize=8_192)(_string_checks)


def note_programs(scan: FactsBuilder, value: str, line: int, module_level: bool) -> None:
    """The texts of ``value`` that may be Python programs, for the end of the file's pass (embedded.py)."""
    for program in python_programs(value):
        scan.programs.append((program, line, module_level))


def scan_decoded(scan: FactsBuilder, texts: Sequence[str], line: int, module_level: bool) -> None:
    """What a constant decodes to (``texts``: its scripts.decoded_texts) goes through the same URL and
    path/command detectors as a plain string, with the encoded literal's line as evidence, and adds its
    ``decoded:`` tokens."""
    tokens: set[str] = set()
    for text in texts:
        head = text[:20_000]
        urls = list(find_urls(head))
        found = rescan_tokens(head, urls)
        note_hidden(scan, found, line, head)
        tokens |= found
        scan.urls.extend((line, hit) for _, hit in urls)
        if len(head) >= MIN_PATTERN_STRING:
            scan.pending_strings.append((head, line, module_level))
        note_programs(scan, text, line, module_level)
    for token in sorted(tokens):
        scan.token(token)


def pattern_kinds(text: str) -> set[int]:
    """The path/command patterns (indexes into _STRING_PATTERNS) ``text`` matches."""
    low = text.lower()
    return {
        k
        for k, (_, pattern, _, hints) in enumerate(_STRING_PATTERNS)
        if any(h in low for h in hints) and pattern.search(text)
    }


def scan_patterns_once(
    scan: FactsBuilder, text: str, line: int, lines: Lines, covered: list[str], module_level: bool
) -> None:
    """The path/command hits of a built string ``text`` that none of the texts it was built from
    (``covered``: its constants and what they decode to, already scanned) has."""
    new = pattern_kinds(text)
    for part in covered:
        if not new:
            return
        new -= pattern_kinds(part)
    for k in sorted(new):
        feature, pattern, tok, _ = _STRING_PATTERNS[k]
        m = pattern.search(text)
        if m:
            scan.add(
                Hit(feature, line, f"{signal(feature)}: {m.group(0)[:40]!r}", lines.get(line)), module_level
            )
            scan.token(tok)


def host_tokens(scan: FactsBuilder, text: str) -> None:
    """``infra:<category>`` for each host name in ``text`` (not a URL's: those count as URLs) under an
    infrastructure-lexicon domain, as its URL would give (not for well-known domains)."""
    for host, category in bare_hosts(text):
        if not is_well_known(host):
            scan.token(f"infra:{category}")


@lru_cache(maxsize=1)
def _pattern_hints() -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[int, ...], ...]]:
    """Every hint of _STRING_PATTERNS once, and the patterns (by index) each is a hint of; the
    infrastructure lexicon's domains after them (group ``_HOSTS``: :func:`host_tokens`)."""
    return hint_index([*(hints for _, _, _, hints in _STRING_PATTERNS), lexicon_words()])


def hinted_strings(lowered: list[str]) -> dict[int, list[int]]:
    """For each of _STRING_PATTERNS (by index), the strings (by index, in order) that hold one of its
    hints: all hints of all strings in one pass over the strings joined by NULs (no hint holds a NUL, so
    a hint found there lies inside one string)."""
    searcher, kinds_of = _pattern_hints()
    found = find_words(searcher, "\x00".join(lowered))
    starts, at = [], 0
    for low in lowered:
        starts.append(at)
        at += len(low) + 1
    pairs = {(k, bisect_right(starts, s) - 1) for i, s, _ in found for k in kinds_of[i]}
    out: dict[int, list[int]] = {}
    for k, i in sorted(pairs):
        out.setdefault(k, []).append(i)
    return out


def scan_string_patterns(scan: FactsBuilder, lines: Lines) -> None:
    """Path/command patterns over a file's string literals, each searched only in the strings that hold
    one of its literal hints (per-string regex searches cost seconds on files with 100k literals)."""
    pending = scan.pending_strings
    if not pending:
        return
    hinted = hinted_strings([head.lower() for head, _, _ in pending])
    for k, (feature, pattern, tok, _) in enumerate(_STRING_PATTERNS):
        for i in hinted.get(k, ()):
            head, line, module_level = pending[i]
            m = pattern.search(head)
            if m:
                scan.add(
                    Hit(feature, line, f"{signal(feature)}: {m.group(0)[:40]!r}", lines.get(line)),
                    module_level,
                )
                scan.token(tok)
    for i in hinted.get(_HOSTS, ()):
        host_tokens(scan, pending[i][0])
    pending.clear()
