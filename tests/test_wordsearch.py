"""Aho-Corasick word search on any text: lone surrogates give the matches a plain search gives."""

from __future__ import annotations

import itertools
import re

import ahocorasick_rs
import pytest

from vetpy.wordsearch import automaton, find_words, folded

WORDS = ("exec", "eval", "xe", "curl", "\xe9t\xe9", "_0x")
PIECES = ("exec", "eval", "x", "e", "curl", " ", "\n", "\xe9t\xe9", "\ud800", "\udfff", "\U0001f600", "_0x")


def _plain(text: str) -> set[tuple[int, int, int]]:
    """Every occurrence of every word, overlapping ones included: one substring search per position."""
    return {
        (i, m.start(), m.start() + len(w))
        for i, w in enumerate(WORDS)
        for m in re.finditer(f"(?={re.escape(w)})", text)
    }


def _texts() -> list[str]:
    return ["".join(p) for n in (1, 2, 3) for p in itertools.product(PIECES, repeat=n)]


def test_text_with_lone_surrogates_gives_the_matches_of_a_plain_search() -> None:
    searcher = automaton(WORDS)
    texts = _texts()
    assert any("\ud800" in t for t in texts)
    for text in texts:
        found = find_words(searcher, text)
        assert set(found) == _plain(text) and len(found) == len(set(found)), repr(text)
        assert all(text[s:e] == WORDS[i] for i, s, e in found), repr(text)  # offsets are the text's
        assert bool(find_words(searcher, text, overlapping=False)) == bool(found), repr(text)


def test_a_surrogate_search_would_raise_without_the_stand_in() -> None:
    """Guards the test above: the plain automaton really refuses such text."""
    with pytest.raises(UnicodeEncodeError):
        ahocorasick_rs.AhoCorasick(list(WORDS)).find_matches_as_indexes("exec \ud800")


def test_ordinary_text_is_searched_exactly_as_the_automaton_searches_it() -> None:
    searcher = automaton(WORDS)
    for text in _texts():
        if any("\ud800" <= c <= "\udfff" for c in text):
            continue
        for overlapping in (True, False):
            assert find_words(searcher, text, overlapping=overlapping) == searcher.find_matches_as_indexes(
                text, overlapping=overlapping
            ), repr(text)


def test_a_word_holding_the_stand_in_is_refused() -> None:
    with pytest.raises(ValueError, match="U\\+FFFD"):
        automaton(["exec", "a\ufffdb"])


def test_other_errors_are_not_swallowed() -> None:
    with pytest.raises(TypeError):
        find_words(automaton(WORDS), b"exec \xed\xa0\x80")  # type: ignore[arg-type]


def test_every_character_a_case_insensitive_regex_takes_for_an_ascii_letter_folds_to_it() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for m in re.finditer(letter, every, re.IGNORECASE):
            assert folded(m.group(0)) in (letter, None), hex(ord(m.group(0)))
    assert folded("\u017fOCAT \u0131WR") == "socat iwr" and folded("\u0130") is None


def test_the_dfa_finds_what_the_default_automaton_finds() -> None:
    from vetpy.features.source.prepass import mark_words

    for words in (list(WORDS), list(mark_words())):
        dfa, default = automaton(words), ahocorasick_rs.AhoCorasick(words)
        texts = [*_texts(), " ".join(words), "".join(words), "".join(reversed(words))]
        for text in texts:
            if any("\ud800" <= c <= "\udfff" for c in text):
                continue
            for overlapping in (True, False):
                assert dfa.find_matches_as_indexes(text, overlapping=overlapping) == (
                    default.find_matches_as_indexes(text, overlapping=overlapping)
                ), repr(text)


def test_lowered_is_lower_for_every_text_object() -> None:
    """The remembered lower-casing answers by identity: equal texts made anew, a text asked again after
    another, and non-ASCII texts all get their own ``lower()``."""
    from vetpy.wordsearch import lowered

    texts = ["ExEc", "".join(["Ex", "Ec"]), "\u0130STANBUL", "ExEc", "A\ud800B", ""]
    for text in [*texts, *reversed(texts), *texts]:
        assert lowered(text) == text.lower()
        assert lowered(text) == text.lower()
