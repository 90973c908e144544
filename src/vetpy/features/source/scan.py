"""Scan one Python file: the syntax-tree pass, or the regex fallback when it does not parse; either way
the result is the same frozen :class:`FileFacts`."""

from __future__ import annotations

import ast
import warnings

from vetpy.acquire.parsebound import PARSE_BYTES, parses
from vetpy.features.source.embedded import scan_programs
from vetpy.features.source.facts import FactsBuilder, FileFacts
from vetpy.features.source.fallback import scan_regex
from vetpy.features.source.literals import scan_string_patterns, scan_text_patterns
from vetpy.features.source.text import Lines, decode_source
from vetpy.features.source.walker import Walker


def scan_python(path: str, data: bytes, *, is_setup: bool = False) -> FileFacts:
    """Scan one Python file given as bytes (see :func:`scan_source`)."""
    return scan_source(path, decode_source(data), is_setup=is_setup, data=data)


def _parses(text: str, data: bytes | None) -> bool:
    """Whether the code (``data``: the bytes ``text`` was decoded from) is within the syntax tree's bound
    (acquire/parsebound.py: the same one acquire's views read to call a scan incomplete)."""
    if data is None:
        if len(text) <= PARSE_BYTES // 4:  # at most 4 bytes a character
            return True
        data = text.encode("utf-8", "surrogatepass")
    return parses(data)


def scan_light(path: str, text: str) -> FileFacts:
    """The facts of a file the fast pass (prepass.py) found nothing in: its text-level signals only."""
    scan = FactsBuilder(path)
    scan_text_patterns(scan, text, Lines(text))
    return scan.freeze()


def scan_source(path: str, text: str, *, is_setup: bool = False, data: bytes | None = None) -> FileFacts:
    """Scan one decoded Python file (``data``: its bytes, when the caller has them); never raises for
    content problems (a parse failure is recorded)."""
    scan = FactsBuilder(path)
    lines = Lines(text)
    scan_text_patterns(scan, text, lines)
    tree: ast.AST | None = None
    if not _parses(text, data):
        scan.parsed, scan.error = False, "file too large for the syntax tree"
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # invalid escapes etc. in scanned code are not our warnings
                tree = ast.parse(text.replace("\x00", "") if "\x00" in text else text, filename=path)
            if "\x00" in text:
                scan.parsed, scan.error = False, "NUL bytes in source"
        except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError) as exc:
            scan.parsed, scan.error = False, f"{type(exc).__name__}: {str(exc)[:80]}"
            tree = None
    if tree is not None:
        try:
            Walker(scan, text, is_setup, lines).run(tree)
        except (RecursionError, MemoryError) as exc:  # pragma: no cover - the walk is iterative
            scan.parsed, scan.error = False, f"{type(exc).__name__} while walking"
            tree = None
    if tree is None:
        scan.token("src:parse_error")
        scan_regex(scan, text, lines, is_setup)
    scan_string_patterns(scan, lines)
    if scan.programs:
        scan_programs(scan, lines)
    return scan.freeze()
