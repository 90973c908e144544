"""The fast pass's shapes: marks that are patterns rather than words (prepass.py).

An IPv4 address, an escape sequence, a NUL byte, ``bytes([...])``, whole-word call names, a line of packed
data, the script patterns whose hints are common words, prompt-injection phrases. Each shape is a regular
expression over the lower-cased text; a shape none of whose literals occurs in an ASCII text is not tried
(one word search finds every shape's literals), and the shapes the regex engine would try at every
position are searched otherwise (:data:`_FINDERS`), with the same matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import ahocorasick_rs

from vetpy.wordsearch import automaton, find_words

# Shapes rather than words, each starting with a literal so the regex engine can skip ahead (a pattern
# starting with a class or a look-behind is tried at every position: 40x slower): an IPv4 address, an
# escape sequence, a NUL byte, `bytes([...])`, whole-word call names, a line of packed data, and the script
# patterns whose hints are common words. ``(pattern, left, check)``: ``left`` lists the characters that
# must not come just before a match (a word boundary the pattern cannot start with); ``check``, when
# given, confirms a match the cheap pattern only suggests.
_WORD = "abcdefghijklmnopqrstuvwxyz0123456789_"
_IP = re.compile(r"(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_Check = Callable[[str, "re.Match[str]"], bool]


def _ip_around(low: str, m: re.Match[str]) -> bool:
    """A whole IPv4 address around the ``.d.d`` the cheap pattern found."""
    return _IP.search(low, max(0, m.start() - 3), m.end() + 6) is not None


def _system_call(low: str, m: re.Match[str]) -> bool:
    """``system`` as an attribute (``os.system``) or an imported name (``import system``, ``(a, system``)."""
    before = low[max(0, m.start() - 40) : m.start()].rstrip()
    return before.endswith((".", "(", ",", "import"))


def _shape_entry(
    pattern: str, left: str = "", check: _Check | None = None
) -> tuple[re.Pattern[str], str, _Check | None]:
    return re.compile(pattern, re.MULTILINE), left, check


_SHAPES = tuple(
    _shape_entry(*entry)
    for entry in (
        (r"\.\d{1,3}\.\d", "", _ip_around),
        (r"\\x", ""),
        (r"\\u", ""),
        (r"\\[0-7]", ""),
        (r"\\n\{", ""),
        (r"\x00", ""),
        (r"bytes\s*\(\s*[\[(]", ""),
        (r"bytearray\s*\(\s*[\[(]", ""),
        (r"exec(?:file)?\b(?!-)", _WORD + ".-"),
        (r"exec[lv]p?e?\b", _WORD),
        (r"eval\b(?!-)", _WORD + ".-"),
        (r"compile\b(?!-)", _WORD + ".-"),
        (r"chr\b", _WORD),
        (r"pty\b", _WORD),
        (r"ncat\b", _WORD),
        (r"tdata\b", _WORD),
        (r"iwr\b", _WORD),
        (r"nc\s", _WORD),
        (r"system\b", "", _system_call),
        (r"environ(?!ment)", ""),
        (r"/bin/(?:ba)?sh\s+-i", ""),
        (r"\.post\s*\(|\.put\s*\(|\.request\s*\(|\.send(?:all|to|_message)?\s*\(", ""),
        (r"^[a-z0-9+/=_-]{64,}$", ""),
        (r"[-/](?:ec|e[a-z]*)\s+[\"']?[a-z0-9+/=]{20,}", _WORD),
        (r"-w(?:indowstyle)?\s+hidden", ""),
        (r"wscript", _WORD),
        (r"cscript", _WORD),
        (r"reg(?:\.exe)?\s+add", _WORD),
        (r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\s+instructions", ""),
        (r"disregard\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\s+instructions", ""),
        (r"not\s+(?:tell|mention|inform|reveal\s+this\s+to)\s+(?:the\s+)?user", ""),
        (r"n't\s+(?:tell|mention|inform|reveal\s+this\s+to)\s+(?:the\s+)?user", ""),
    )
)


def _run_table(chars: str) -> bytes:
    """A bytes.translate table: the bytes of ``chars`` to b"1", every other byte to b"0"."""
    return bytes(0x31 if chr(i) in chars else 0x30 for i in range(256))


_PACKED_CHARS = _run_table("abcdefghijklmnopqrstuvwxyz0123456789+/=_-")
_PACKED_RUN = b"1" * 64


def _packed_lines(pattern: re.Pattern[str], low: str) -> Iterable[re.Match[str]]:
    """``^[a-z0-9+/=_-]{64,}$`` (multi-line), which the regex engine tries at every line start (slow):
    tried only when a line (between line feeds) is made of 64 or more of those characters, which C passes
    over the text's UTF-8 bytes tell (a class of ASCII characters, so other characters' bytes are never in
    it): each run of 64 found, the line around it checked whole."""
    data = low.encode("utf-8", "surrogatepass")
    marks = data.translate(_PACKED_CHARS)
    at = marks.find(_PACKED_RUN)
    while at >= 0:
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        if marks.find(b"0", start, end) < 0:
            return pattern.finditer(low)
        at = marks.find(_PACKED_RUN, end)
    return ()


def _led_by(leads: tuple[str, ...]) -> Callable[[re.Pattern[str], str], Iterator[re.Match[str]]]:
    """The matches ``pattern.finditer`` gives, for a pattern every match of which starts with one of
    ``leads`` but which starts with a character class (tried at every position by the regex engine): the
    pattern is tried only where a lead is (found by ``str.find``), and the search goes on after each match,
    as the engine's does."""

    def finditer(pattern: re.Pattern[str], low: str) -> Iterator[re.Match[str]]:
        nexts = [low.find(lead) for lead in leads]
        while True:
            live = [at for at in nexts if at >= 0]
            if not live:
                return
            at = min(live)
            m = pattern.match(low, at)
            pos = at + 1 if m is None else m.end()
            if m is not None:
                yield m
            nexts = [low.find(lead, pos) if 0 <= n < pos else n for lead, n in zip(leads, nexts, strict=True)]

    return finditer


# Shapes searched otherwise than by the regex engine's own scan (same matches, fewer tries).
_FINDERS: dict[str, Callable[[re.Pattern[str], str], Iterable[re.Match[str]]]] = {
    r"^[a-z0-9+/=_-]{64,}$": _packed_lines,
    r"[-/](?:ec|e[a-z]*)\s+[\"']?[a-z0-9+/=]{20,}": _led_by(("-e", "/e")),
}


# For each shape (by pattern): literals one of which every match holds (a shape not listed is always tried).
# On an ASCII text (where ``\\d`` is [0-9]) a shape none of whose literals occurs cannot match: all are
# found in one word search, overlapping (a literal inside another's occurrence counts), instead of one
# regex pass per shape.
_TELL_VERBS = ("tell", "mention", "inform", "reveal")  # one of which every "do not tell the user" holds
_SHAPE_GATES: dict[str, tuple[str, ...]] = {
    r"\.\d{1,3}\.\d": tuple(f".{d}" for d in range(10)),
    r"\\x": ("\\x",),
    r"\\u": ("\\u",),
    r"\\[0-7]": tuple(f"\\{d}" for d in range(8)),
    r"\\n\{": ("\\n{",),
    r"bytes\s*\(\s*[\[(]": ("bytes",),
    r"bytearray\s*\(\s*[\[(]": ("bytearray",),
    r"exec(?:file)?\b(?!-)": ("exec",),
    r"exec[lv]p?e?\b": ("exec",),
    r"eval\b(?!-)": ("eval",),
    r"compile\b(?!-)": ("compile",),
    r"chr\b": ("chr",),
    r"pty\b": ("pty",),
    r"ncat\b": ("ncat",),
    r"tdata\b": ("tdata",),
    r"iwr\b": ("iwr",),
    r"nc\s": tuple("nc" + space for space in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"),  # \s on ASCII
    r"system\b": ("system",),
    r"environ(?!ment)": ("environ",),
    r"/bin/(?:ba)?sh\s+-i": ("/bin/",),
    r"\.post\s*\(|\.put\s*\(|\.request\s*\(|\.send(?:all|to|_message)?\s*\(": (
        ".post",
        ".put",
        ".request",
        ".send",
    ),
    r"[-/](?:ec|e[a-z]*)\s+[\"']?[a-z0-9+/=]{20,}": ("-e", "/e"),
    r"-w(?:indowstyle)?\s+hidden": ("hidden",),
    r"wscript": ("wscript",),
    r"cscript": ("cscript",),
    r"reg(?:\.exe)?\s+add": ("reg",),
    r"ignore\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\s+instructions": ("instructions",),
    r"disregard\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\s+instructions": ("disregard",),
    r"not\s+(?:tell|mention|inform|reveal\s+this\s+to)\s+(?:the\s+)?user": _TELL_VERBS,
    r"n't\s+(?:tell|mention|inform|reveal\s+this\s+to)\s+(?:the\s+)?user": _TELL_VERBS,
    r"\x00": ("\x00",),
}


@lru_cache(maxsize=1)
def _shape_gates() -> tuple[ahocorasick_rs.AhoCorasick, tuple[frozenset[int] | None, ...]]:
    """One automaton over every shape's literals, and each shape's literals as word indexes."""
    gates = [_SHAPE_GATES.get(pattern.pattern) for pattern, _, _ in _SHAPES]
    words = sorted({w for g in gates if g for w in g})
    index = {w: i for i, w in enumerate(words)}
    return automaton(words), tuple(None if g is None else frozenset(index[w] for w in g) for g in gates)


def shape_marked(low: str) -> bool:
    """Whether a shape matches ``low`` (a lower-cased text)."""
    searcher, gates = _shape_gates()
    present = {i for i, _, _ in find_words(searcher, low)} if low.isascii() else None
    for (pattern, left, check), gate in zip(_SHAPES, gates, strict=True):
        if present is not None and gate is not None and present.isdisjoint(gate):
            continue
        finder = _FINDERS.get(pattern.pattern)
        for m in pattern.finditer(low) if finder is None else finder(pattern, low):
            start = m.start()
            if left and start and low[start - 1] in left:
                continue
            if check is None or check(low, m):
                return True
    return False
