"""Decoding Python source and reading its lines for evidence snippets."""

from __future__ import annotations

import io
import tokenize

from vetpy.features import strings as st

PY_SUFFIXES = (".py", ".pyw", ".pyi")


def decode_source(data: bytes) -> str:
    """Decode Python source: BOM / PEP 263 cookie, else UTF-8, else latin-1 (never raises)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except (SyntaxError, LookupError):
        encoding = "utf-8"
    for enc in (encoding, "utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")  # pragma: no cover - latin-1 always decodes


class Lines:
    """Lazy access to source lines for snippets."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def get(self, line: int) -> str:
        if self._lines is None:
            self._lines = self._text.splitlines()
        if 1 <= line <= len(self._lines):
            return st.snippet(self._lines[line - 1][:2000])
        return ""


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``offset`` in ``text``."""
    return text.count("\n", 0, offset) + 1
