"""The fast searches find exactly what the plain regex scans they replace find (seeded random texts built
from the pieces each pattern reacts to, plus real source files)."""

from __future__ import annotations

import inspect
import io
import random
import re
import tokenize
from collections.abc import Callable
from pathlib import Path

import pytest

from vetpy.acquire import views
from vetpy.features import forensics, paper, urls
from vetpy.features import strings as st

REAL = [Path(inspect.getfile(m)).read_text(encoding="utf-8") for m in (inspect, tokenize, re, random)]
# Non-ASCII letters the case-insensitive regexes take for ASCII ones, word characters of other scripts,
# whitespace that is not a line break, and the line breaks str.splitlines knows.
ODD = [
    "\u017fystem",
    "\u212aill",
    "\u0130",
    "\u0131nput",
    "\xe9",
    "\u0663",
    "\u216b",
    "\u3000",
    "\xa0",
    "\x1f",
]
BREAKS = ["\n", "\r", "\r\n", "\x0c", "\u2028"]
#: Lone surrogates (in a source decoded with an escape codec): the word automaton cannot take them as is.
SURROGATES = ["\ud800", "\udfff"]


def _texts(seed: int, pieces: list[str], count: int = 3000, long_piece: str = "a") -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 50)))
        if rng.random() < 0.1:  # a line around the cut at MAX_LINE_CHARS
            text += long_piece * rng.randint(390, 410) + rng.choice(["get", " exec", "_", ""])
        out.append(text)
    return out + REAL


def _same(texts: list[str], plain: Callable[[str], object], fast: Callable[[str], object]) -> None:
    for text in texts:
        assert fast(text) == plain(text), repr(text[:200])


def _plain_suspicious(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and paper.SUSPICIOUS_LINE_RE.search(stripped[: paper.MAX_LINE_CHARS]):
            out.append(stripped[: paper.MAX_LINE_CHARS].lower())
    return out


def test_line_words_are_the_regex_alternatives() -> None:
    alternatives = paper.SUSPICIOUS_LINE_RE.pattern.removeprefix(r"\b(?:").removesuffix(r")\b").split("|")
    literal = {a for a in alternatives if a.isidentifier()}
    assert literal == set(paper._LINE_WORDS)
    assert {a.split("\\")[0] for a in alternatives} - literal == set(paper._LINE_PREFIXES)


@pytest.mark.parametrize("seed", [1, 2])
def test_suspicious_lines(seed: int) -> None:
    pieces = ["exec", "Exec", "EVAL", "get", "getter", "_get", "spawnl", "HTTPS", "urllib2", "urllibx", "ord"]
    pieces += ["Word", "call", "systemd", "readlines", "x", " ", "\t", ".", "(", "_", "9", *ODD, *BREAKS]
    pieces += SURROGATES
    texts = _texts(seed, pieces)
    _same(texts, _plain_suspicious, lambda t: list(paper.iter_suspicious_lines(t, whole_file=False)))
    assert list(paper.iter_suspicious_lines("x\n  a = 1\nexec(b)", whole_file=True)) == [
        "x",
        "a = 1",
        "exec(b)",
    ]


def test_url_matches() -> None:
    pieces = [
        "http",
        "https",
        "HTTPS",
        "ftp",
        "ws",
        "wss",
        "tcp",
        "://",
        ":/",
        "x",
        "a.b",
        "_",
        " ",
        "'",
        "/",
    ]
    pieces += ["\u017f", "\u0131", "\n", ")"]
    texts = _texts(3, pieces, long_piece="b")
    _same(
        texts,
        lambda t: [m.span() for m in urls.URL_RE.finditer(t)],
        lambda t: [m.span() for m in urls.url_matches(t)],
    )


def test_exec_sinks() -> None:
    pieces = [
        "exec",
        "execfile",
        "eval",
        "compile",
        "re.compile",
        "run_path",
        "runpy.run_module",
        "marshal.loads",
    ]
    pieces += ["SourceFileLoader", "load_source", "x", "_", ".", " ", "(", "\n", "\xe9", *SURROGATES]
    texts = _texts(4, pieces)
    _same(
        texts,
        lambda t: [m.span() for m in views.EXEC_SINK_RE.finditer(t)],
        lambda t: [m.span() for m in views.exec_sinks(t)],
    )


def test_lookalike_runs() -> None:
    pieces = [
        "I",
        "l",
        "O",
        "0",
        "IlIlIlIlIl",
        "llllllllll",
        "OOOO0000OO",
        "a",
        "_",
        " ",
        ".",
        "\xe9",
        "\u0663",
    ]
    texts = _texts(5, pieces)
    _same(
        texts,
        lambda t: [m.span() for m in st._LOOKALIKE_RUN_RE.finditer(t)],
        lambda t: [m.span() for m in st.lookalike_runs(t)],
    )


def _plain_mixed(text: str) -> bool:
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text[:1_000_000]).readline):
            if (
                tok.type == tokenize.NAME
                and not tok.string.isascii()
                and forensics.MIXED_SCRIPT_RE.search(tok.string)
            ):
                return True
    except (tokenize.TokenError, SyntaxError, ValueError):
        return False
    return False


def test_mixed_script_names() -> None:
    pieces = [
        "r\u0435quests",
        "\u03bcs",
        "# \u0435x",
        "'\u0430b'",
        "x",
        " ",
        "=",
        "\n",
        "(",
        "\u0451",
        "ab",
        '"',
    ]
    _same(_texts(6, pieces, count=1500), _plain_mixed, forensics._mixed_script_name)


def test_mixed_script_anywhere_is_the_regex() -> None:
    """The two searches from Greek and Cyrillic characters (forwards and on the reversed text) say what
    MIXED_SCRIPT_RE's search says: letters of both sides, digits, ``_``, combining marks and punctuation of
    the Greek and Cyrillic blocks, letters of other scripts, astral letters."""
    pieces = ["a", "Z", "k", "_", "9", " ", ".", "\n", "(", "\u03b1", "\u0416", "\u0430\u0431", "\u0483"]
    pieces += ["\u037e", "\u0375", "\u0482", "\xe9", "\u4e2d", "\u0301", "\U0001d400", "\u0660", "ab", *ODD]
    pieces += ["\u03bc\u0301"]
    texts = _texts(19, pieces, count=30_000)
    assert sum(forensics.MIXED_SCRIPT_RE.search(t) is not None for t in texts) > 10_000
    _same(texts, lambda t: forensics.MIXED_SCRIPT_RE.search(t) is not None, forensics.mixed_script_anywhere)


def test_text_file_url_lines() -> None:
    from vetpy.acquire.interface import Member
    from vetpy.features.gather import _text_file

    text = "a\nhttp://198.51.100.7/x http://198.51.100.8/y\n\n\nz https://198.51.100.9/\n"
    hits: list[tuple[str, int, urls.UrlHit]] = []
    _text_file(Member("d/urls.txt", text.encode()), hits, [])
    assert [(line, hit.host) for _, line, hit in hits] == [
        (2, "198.51.100.7"),
        (2, "198.51.100.8"),
        (5, "198.51.100.9"),
    ]


def _plain_obfuscator(text: str) -> list[tuple[int, str]]:
    """find_obfuscator as it was: a substring test per hint on the lower-cased text."""
    hits: list[tuple[int, str]] = []
    low = text.lower()
    if any(h in low for h in st._OBFUSCATOR_WORD_HINTS):
        hits += [(m.start(), m.group(0)) for m in st._OBFUSCATOR_WORDS_RE.finditer(text)]
    if "_0x" in low:
        hits += [(m.start(), m.group(0)) for m in st._HEX_NAME_RE.finditer(text)]
    for m in st._LOOKALIKE_RUN_RE.finditer(text):
        run = m.group(0)
        if set(run.lower()) <= {"i", "l"} or set(run.lower()) <= {"o", "0"}:
            hits.append((m.start(), run))
    hits.sort()
    return hits


def test_obfuscator_markers() -> None:
    pieces = ["PyArmor", "pytransform", "__armor", "Obfuscated by", "obfuscat", "BLANKOBF", "hyperion"]
    pieces += ["kramer", "pyob.oxyry", "_0x1a2b", "_0X", "_0xZZ", "llllllllll", "OO00OO00OO", "Il"]
    pieces += ["x", " ", "_", "\n", "\xe9", "\u212a"]
    _same(_texts(7, pieces), _plain_obfuscator, st.find_obfuscator)


def test_long_lines() -> None:
    from vetpy.features.source.literals import has_long_line

    pieces = ["a", "bb", " ", "\n", "\r", "\r\n", "\xe9"]
    edges = [head + "c" * n + tail for head in ("", "x\n") for n in (999, 1000, 1001) for tail in ("", "\ny")]
    texts = [*_texts(8, pieces, long_piece="c" * 3), *_texts(9, pieces, long_piece="cc"), *edges]
    _same(texts, lambda t: any(len(line) > st.LONG_LINE for line in t.split("\n")), has_long_line)
    assert has_long_line("a\n" + "x" * 1001 + "\nb") and not has_long_line("a\n" + "x" * 1000 + "\nb")


def test_obfuscator_markers_with_a_lone_surrogate() -> None:
    for text in ["\ud800 pyarmor _0x1a2b3c", "\udfff plain", "_0xabcd \ud800", "llllllllll \udc80"]:
        assert st.find_obfuscator(text) == _plain_obfuscator(text), repr(text)


def test_hex_escapes() -> None:
    pieces = ["\\x41", "\\x4", "\\xZZ", "\\X41", "\\\\x41", "\\x", "x41", "\\", "a", " ", "\n", "\xe9"]
    runs = ["\\x41" * n + tail for n in (6, 7, 8, 9, 17) for tail in ("", "\\x4", "\\x41\\x4g", "z")]
    texts = [*_texts(10, pieces), *runs, *(a + b for a in runs for b in runs)]
    _same(
        texts, lambda t: [(m.start(), m.group(0)) for m in st.HEX_ESCAPES_RE.finditer(t)], st.find_hex_escapes
    )
    assert st.find_hex_escapes("s = '" + "\\x41" * 8 + "'") == [(5, "\\x41" * 8)]


def test_script_patterns_are_searched_wherever_they_match() -> None:
    """Every script pattern that matches a text is among those the hint search leaves to search."""
    from vetpy.features.gather import SCRIPT_PATTERNS, possible_script_patterns

    pieces = ["curl", "CURL", "wget", "iwr", "IWR", "nc", "NC", "ncat", "socat", "/bin/", "/dev/tcp/", "sh"]
    pieces += ["invoke-webrequest", "DownloadFile(", "downloadstring(", "certutil", "bitsadmin", "-urlcache"]
    pieces += [" ", "  ", "-e", "-i", "-o", "-O", "|", "&&", ";", "chmod", "exec:", "x", "_", "1", "\n"]
    pieces += ["\u0131", "\u0130", "\u017f", "\u212a", "\xe9", "\u0663", "ba", "bitsadm\u0131n", "\u017focat"]
    texts = _texts(11, pieces, count=6000)
    texts += [
        "a curl x | sh",
        "xcurl x | sh",
        "\xe9nc -e",
        "_nc -e x",
        "x.nc -e",
        "wget -O f",
        "\u0130 nc -e",
    ]
    matched = 0
    for text in texts:
        possible = possible_script_patterns(text)
        for k, (_, pattern) in enumerate(SCRIPT_PATTERNS):
            if pattern.search(text):
                matched += 1
                assert k in possible, (k, repr(text[:200]))
    assert matched > 100
    assert possible_script_patterns("function once() { sync(); }") == set()
