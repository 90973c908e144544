"""Decoding Python source and reading its lines for evidence snippets."""

from __future__ import annotations

import codecs
import io
import tokenize

from vetpy.features import strings as st

PY_SUFFIXES = (".py", ".pyw", ".pyi")


_last_decoded: tuple[bytes, str] = (b"", "")


def decode_source(data: bytes) -> str:
    """Decode Python source: BOM / PEP 263 cookie, else UTF-8, else latin-1 (never raises). The text of
    the last ``bytes`` object decoded is remembered (identity picks it: the source pass and then the
    suspicious lines decode the same member, and wordsearch.lowered knows the text object it lowered)."""
    global _last_decoded
    last = _last_decoded
    if last[0] is data:
        return last[1]
    text = _decode(data)
    if type(data) is bytes:  # immutable: the same object always holds the same bytes
        _last_decoded = (data, text)
    return text


def _decode(data: bytes) -> str:
    try:
        encoding = _declared_encoding(data)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    for enc in (encoding, "utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 always decodes


def _declared_encoding(data: bytes) -> str:
    """``tokenize.detect_encoding``'s encoding. Without a BOM it reads only the first two lines, and a
    cookie there holds the word ``coding``: without both, its answer is UTF-8 (or a SyntaxError for lines
    that are not UTF-8, which the caller takes as UTF-8 too), found here without reading a line."""
    if not data.startswith(codecs.BOM_UTF8):
        first = data.find(b"\n")
        second = data.find(b"\n", first + 1) if first >= 0 else -1
        if b"coding" not in (data if second < 0 else data[: second + 1]):
            return "utf-8"
    return tokenize.detect_encoding(io.BytesIO(data).readline)[0]


class Lines:
    """Lazy access to source lines for snippets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    @property
    def text(self) -> str:
        """The whole source."""
        return self._text

    def get(self, line: int) -> str:
        if self._lines is None:
            self._lines = self._text.splitlines()
        if 1 <= line <= len(self._lines):
            return st.snippet(self._lines[line - 1][:2000])
        return ""


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1
