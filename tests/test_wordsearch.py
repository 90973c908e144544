"""Aho-Corasick word search on any text: lone surrogates give the matches a plain search gives."""

from __future__ import annotations

import itertools
import random
import re

import ahocorasick_rs
import pytest

from vetpy.wordsearch import automaton, find_words, folded, lowered

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


def _vetpy_automata() -> list[ahocorasick_rs.AhoCorasick]:
    """Every automaton vetpy searches with (each built once, by its module)."""
    from vetpy.acquire import views
    from vetpy.features import gather, lexicon, paper, scripts, strings
    from vetpy.features.source import custody, literals, prepass, prepass_shapes, state

    return [
        views._sink_automaton(),
        literals._pattern_hints()[0],
        state._flow_automaton()[0],
        prepass._automaton(),
        prepass_shapes._shape_gates()[0],
        custody._file_words(),
        scripts._script_hints()[0],
        strings._obfuscator_hints(),
        paper._line_automaton(),
        lexicon._lexicon_automaton(),
        gather._script_hints()[0],
    ]


def _texts_of_words() -> list[str]:
    """Seeded texts built from pieces of vetpy's own sources (they name every word searched for), half of
    them with non-ASCII characters mixed in (one to four UTF-8 bytes, a word of WORDS among them), and
    those sources whole, as written and lower-cased."""
    import random
    from pathlib import Path

    import vetpy

    sources = [p.read_text("utf-8") for p in sorted(Path(vetpy.__file__).parent.rglob("*.py"))]
    words = [w for s in sources for w in re.findall(r"\S+", s)]
    others = ["\xe9", "\xe9t\xe9", "\u0130", "\u65e5\u672c", "\U0001f600", "\u0436", "\u2028", "\xa0"]
    rng = random.Random(20261202)
    texts = [*sources, *(s.lower() for s in sources), "", "a", "\xe9"]
    for n in range(4000):
        pieces = rng.choices(words, k=rng.randint(1, 12))
        seps = rng.choices([" ", "", "\n", ".", "(", "/", "\x00"], k=len(pieces))
        if n % 2:
            pieces = [rng.choice(others) + p if rng.random() < 0.3 else p for p in pieces]
        text = "".join(p + s for p, s in zip(pieces, seps, strict=True))
        texts.append(text.lower() if rng.random() < 0.5 else text)
    return texts


def test_text_is_searched_as_bytes_with_the_same_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bytes twin of each of vetpy's automata (and of one over non-ASCII words) gives, on ASCII and
    on other text, exactly what the str search gives (the old way), overlapping or not; every text, short
    ones included, takes the twin here."""
    from vetpy import wordsearch

    monkeypatch.setattr(wordsearch, "_TWIN_MIN_CHARS", 0)
    automata = [*_vetpy_automata(), automaton(WORDS)]
    assert all(wordsearch._twin(a) is not None for a in automata)  # else the twin is not what is tested
    texts = _texts_of_words()
    assert sum(len(t) for t in texts if t.isascii()) > 1_000_000
    assert sum(1 for t in texts if not t.isascii()) > 1_500
    found = {True: 0, False: 0}
    for searcher in automata:
        for text in texts:
            for overlapping in (True, False):
                got = find_words(searcher, text, overlapping=overlapping)
                assert got == searcher.find_matches_as_indexes(text, overlapping=overlapping), text[:80]
                found[text.isascii()] += len(got)
    assert found[True] > 50_000 and found[False] > 5_000


def test_non_ascii_offsets_are_characters() -> None:
    searcher = automaton(WORDS)
    text = "\U0001f600exec \xe9t\xe9 \u65e5curl_0x"
    got = find_words(searcher, text)
    assert [(WORDS[k], text[s:e]) for k, s, e in got] == [(WORDS[k], WORDS[k]) for k, _, _ in got]
    assert {WORDS[k] for k, _, _ in got} == {"exec", "xe", "\xe9t\xe9", "curl", "_0x"}


def test_short_texts_unknown_automata_and_surrogates_take_the_str_search() -> None:
    from vetpy import wordsearch

    plain = ahocorasick_rs.AhoCorasick(list(WORDS))  # not made by automaton(): no twin
    searcher = automaton(WORDS)
    for text in ["exec \xe9t\xe9 curl", "_0x exec", "\U0001f600exec"]:
        assert find_words(plain, text) == plain.find_matches_as_indexes(text, overlapping=True)
        assert find_words(searcher, text) == plain.find_matches_as_indexes(text, overlapping=True)
    assert wordsearch._twin(plain) is None and wordsearch._twins[id(searcher)].raw is None  # none built
    long_text = "curl " * wordsearch._TWIN_MIN_CHARS
    assert find_words(searcher, long_text) == plain.find_matches_as_indexes(long_text, overlapping=True)
    assert wordsearch._twins[id(searcher)].raw is not None
    long_text = "\ud800 exec " * wordsearch._TWIN_MIN_CHARS
    assert find_words(searcher, long_text)[:2] == [(2, 3, 5), (0, 2, 6)]
    stand_in = searcher.find_matches_as_indexes("exec \ufffd eval", overlapping=True)
    assert find_words(searcher, "exec \ud800 eval") == stand_in == [(2, 1, 3), (0, 0, 4), (1, 7, 11)]


def _plain_folded(text: str) -> str | None:
    low = text.lower()
    if len(low) != len(text):
        return None
    return low if text.isascii() else low.replace("\u0131", "i").replace("\u017f", "s")


def test_folded_is_the_plain_lowering_whatever_was_lowered_last() -> None:
    """Seeded texts of ASCII, the two special letters, a dotted capital I and other scripts: the same as
    lowering anew, asked before and after :func:`lowered` saw the same text object or another."""
    pieces = ["Exec", "IMPORT", "\u0131", "\u017f", "\u0130", "\u03a3", "\u0416", " ", "\n", "K", "\u212a"]
    rng = random.Random(11)
    for _ in range(3_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        want = _plain_folded(text)
        assert folded(text) == want
        lowered(text)
        assert folded(text) == want
        lowered(text + "y")
        assert folded(text) == want
