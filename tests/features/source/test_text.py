"""Decoding Python source (features/source/text.py): the shortcut past tokenize.detect_encoding gives the
text detect_encoding's answer gives."""

from __future__ import annotations

import codecs
import inspect
import io
import random
import tokenize
from pathlib import Path

from vetpy.features.source.text import decode_source


def _plain_decode(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    for enc in (encoding, "utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


def test_decode_source_is_what_detect_encoding_says() -> None:
    """Seeded random sources built from BOMs, cookies (good, unknown, on the first, second and third
    line, after a CR-only break), line breaks, Latin-1 and invalid UTF-8 bytes; and real files."""
    pieces = [b"x = 1", b"\n", b"\r", b"\r\n", b" ", b"#", b"\xe9", b"\xc3\xa9", b"\xff\xfe", b"\xed\xa0\x80"]
    pieces += [b"# -*- coding: latin-1 -*-", b"# coding=utf-8", b"#coding:cp1252", b"# coding: nonsense"]
    pieces += [b"# vim: set fileencoding=koi8-r :", b"coding", b"\x0c", b"\t", b"'''", b"\xef\xbb\xbf"]
    rng = random.Random(19)
    sources = []
    for _ in range(20_000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        sources.append(codecs.BOM_UTF8 + data if rng.random() < 0.1 else data)
    sources += [Path(inspect.getfile(m)).read_bytes() for m in (inspect, tokenize, io, random, codecs)]
    sources += [
        b"#!/usr/bin/env python\n# -*- coding: latin-1 -*-\nx = '\xe9'\n",
        b"\n\n# coding: latin-1\n\xe9",
    ]
    decoded = [decode_source(s) for s in sources]
    assert decoded == [_plain_decode(s) for s in sources]
    assert sum(d != s.decode("utf-8", "replace") for d, s in zip(decoded, sources, strict=True)) > 1000


def test_decode_source_remembers_only_the_last_bytes_object() -> None:
    """The same bytes object twice gives the same text object; a copy gives an equal text; a bytearray
    changed in between is decoded anew (never remembered: it can change)."""
    data = b"# -*- coding: latin-1 -*-\nx = '\xe9'\n"
    first = decode_source(data)
    assert decode_source(data) is first and first == _plain_decode(data)
    copy = bytes(bytearray(data))
    assert copy is not data and decode_source(copy) == first
    mutable = bytearray(b"x = 1\n")
    assert decode_source(mutable) == "x = 1\n"  # type: ignore[arg-type]
    mutable[4] = ord("2")
    assert decode_source(mutable) == "x = 2\n"  # type: ignore[arg-type]
    assert decode_source(data) == first
