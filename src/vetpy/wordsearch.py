"""Aho-Corasick word search (ahocorasick-rs) that also takes text holding lone surrogates.

The automaton reads its text as UTF-8, and a lone surrogate (``"\\ud800"``: a source decoded with an escape
codec, a literal's escape) has none, so a plain search of such text raises UnicodeEncodeError. Every
search here goes through :func:`find_words`, which searches such text with each surrogate made U+FFFD:
one character for one, so the offsets stay those of the text, and no word holds either character (words
cannot hold a surrogate, and :func:`automaton` refuses U+FFFD), so the matches are those of the text.

A text of :data:`_TWIN_MIN_CHARS` or more is searched as UTF-8 bytes by a twin automaton over the same
words (built for an automaton :func:`automaton` made, the first time a long text asks): for a ``str`` the
library maps every byte offset to a character offset before searching, an array of eight bytes per byte of
text, which cost about as much as the search itself on large files. In ASCII the offsets are the same;
otherwise only the offsets of the matches are mapped (:func:`_char_offsets`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import ahocorasick_rs

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_STAND_IN = "\ufffd"
_TWINS_KEPT = 64  # automata that may get a bytes twin: vetpy's are a dozen, each built once and kept
_TWIN_MIN_CHARS = 1_000  # shorter texts take the str search: its offset map is small, and no twin is built


class _Twin:
    """An automaton :func:`automaton` made (kept alive here, so its id stays its own), its words, and
    their bytes automaton once a long text has asked for it."""

    __slots__ = ("raw", "searcher", "words")

    def __init__(self, searcher: ahocorasick_rs.AhoCorasick, words: tuple[str, ...]) -> None:
        self.searcher, self.words = searcher, words
        self.raw: ahocorasick_rs.BytesAhoCorasick | None = None


_twins: dict[int, _Twin] = {}  # by id of the automaton


def automaton(words: Iterable[str]) -> ahocorasick_rs.AhoCorasick:
    """An automaton over ``words`` (index = position in ``words``) that :func:`find_words` may search. A
    DFA: the same matches as the library's default choice, which takes an NFA for more than a few dozen
    words and searches them about half as fast (a DFA of a few hundred short words builds in a
    millisecond)."""
    words = list(words)
    if any(_STAND_IN in w for w in words):
        raise ValueError("a search word holds U+FFFD, the stand-in for lone surrogates")
    searcher = ahocorasick_rs.AhoCorasick(words, implementation=ahocorasick_rs.Implementation.DFA)
    if len(_twins) < _TWINS_KEPT:  # past that, searches take the str path: the same matches, slower
        _twins[id(searcher)] = _Twin(searcher, tuple(words))
    return searcher


def _twin(searcher: ahocorasick_rs.AhoCorasick) -> ahocorasick_rs.BytesAhoCorasick | None:
    """The bytes twin of an automaton :func:`automaton` made (built the first time), else None."""
    entry = _twins.get(id(searcher))
    if entry is None or entry.searcher is not searcher:
        return None
    if entry.raw is None:
        entry.raw = ahocorasick_rs.BytesAhoCorasick(
            [w.encode() for w in entry.words], implementation=ahocorasick_rs.Implementation.DFA
        )
    return entry.raw


def find_words(
    searcher: ahocorasick_rs.AhoCorasick, text: str, *, overlapping: bool = True
) -> list[tuple[int, int, int]]:
    """``searcher.find_matches_as_indexes(text, overlapping=...)``: (word index, start, end) in characters,
    for any text, lone surrogates included; a long text with UTF-8 through the automaton's bytes twin (see
    the module's docstring)."""
    twin = _twin(searcher) if type(text) is str and len(text) >= _TWIN_MIN_CHARS else None
    if twin is not None:
        if text.isascii():
            return twin.find_matches_as_indexes(text.encode("ascii"), overlapping=overlapping)
        try:
            data = text.encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: the stand-in search below
        else:
            return _char_offsets(twin.find_matches_as_indexes(data, overlapping=overlapping), data)
    try:
        return searcher.find_matches_as_indexes(text, overlapping=overlapping)
    except UnicodeEncodeError:  # only a surrogate has no UTF-8: search the stand-in text instead
        return searcher.find_matches_as_indexes(_SURROGATE_RE.sub(_STAND_IN, text), overlapping=overlapping)


def _char_offsets(found: list[tuple[int, int, int]], data: bytes) -> list[tuple[int, int, int]]:
    """Matches in the UTF-8 bytes ``data`` with their offsets made character offsets: a word is whole
    characters, so each match starts and ends between characters, and the characters before such an
    offset are those the bytes before it decode to (counted from the previous offset, in order)."""
    if not found:
        return found
    chars, last, at = 0, 0, {}
    for offset in sorted({x for _, start, end in found for x in (start, end)}):
        chars += len(data[last:offset].decode())
        at[offset], last = chars, offset
    return [(k, at[start], at[end]) for k, start, end in found]


def hint_index(
    hint_groups: Sequence[Iterable[str]],
) -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[int, ...], ...]]:
    """An automaton over every hint of ``hint_groups`` once, and for each hint (by word index) the groups
    (by position in ``hint_groups``) it is a hint of."""
    groups_of: dict[str, list[int]] = {}
    for k, hints in enumerate(hint_groups):
        for hint in hints:
            groups_of.setdefault(hint, []).append(k)
    return automaton(groups_of), tuple(tuple(v) for v in groups_of.values())


_last_lowered: tuple[str, str] = ("", "")


def lowered(text: str) -> str:
    """``text.lower()``, remembered for the last text object asked about: the fast pass and the obfuscator
    markers each lower the same file (identity, not equality, picks the entry: nothing else to compare)."""
    global _last_lowered
    last = _last_lowered
    if last[0] is text:
        return last[1]
    low = text.lower()
    _last_lowered = (text, low)
    return low


def folded(text: str) -> str | None:
    """``text`` lower-cased, with the two non-ASCII letters a case-insensitive regex also takes for an
    ASCII one (dotless i, long s: K lower-cases to k) made that letter, so a literal hint of such a
    regex is in it wherever the regex matches; None when lower-casing changes the length (dotted capital
    I), so offsets would no longer match (:func:`lowered`: the text just lowered is not lowered again)."""
    low = lowered(text)
    if len(low) != len(text):
        return None
    if not text.isascii():
        low = low.replace("\u0131", "i").replace("\u017f", "s")
    return low
