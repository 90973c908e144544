"""Obfuscation detectors: entropy, very long strings and lines, hex/chr chains, obfuscator markers, and
files that do not parse as Python 3 (signals from the source pass's string and text checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vetpy.features.interface import Family, ValueKind, spec

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

MAX_NOTES = 5

_O, _LOG = Family.OBFUSCATION, ValueKind.LOG_COUNT
SPECS = (
    spec(
        "code.max_entropy",
        _O,
        ValueKind.MAX,
        "highest Shannon entropy of a long string literal (bits/char)",
        "encrypted or packed payloads look random",
    ),
    spec(
        "code.high_entropy_strings",
        _O,
        _LOG,
        "log(1 + long high-entropy string literals)",
        "encrypted or packed payloads look random",
        signal="long high-entropy string literal",
    ),
    spec(
        "code.long_strings",
        _O,
        _LOG,
        "log(1 + string literals longer than 200 characters)",
        "embedded payloads are long literals",
        signal="string literal over 200 characters",
    ),
    spec(
        "code.hex_chr_chains",
        _O,
        _LOG,
        "hex escapes, chr() chains or byte lists building strings",
        "building strings code by code hides them from a reader and from string search",
        signal="builds strings from hex escapes or chr() codes",
    ),
    spec(
        "code.obfuscator",
        _O,
        _LOG,
        "known obfuscator markers (pyarmor, pyobfuscate, _0x names, ...)",
        "obfuscators are rare in open-source packages and common in malware",
        signal="obfuscator marker",
    ),
    spec(
        "code.long_lines",
        _O,
        _LOG,
        "log(1 + source lines over 1000 characters)",
        "one-line payloads and packed code make very long lines",
        signal="very long source line",
    ),
    spec(
        "code.parse_error",
        _O,
        ValueKind.FLAG,
        "a Python file that does not parse as Python 3",
        "junk, Python 2 or deliberately broken files evade syntax-tree checks",
    ),
    spec(
        "code.parse_error_ratio",
        _O,
        ValueKind.SCORE,
        "share of Python files that do not parse",
        "junk, Python 2 or deliberately broken files evade syntax-tree checks",
    ),
)


def detect_parse_errors(facts: PackageFacts, out: Collector) -> None:
    failed = [f for f in facts.files if not f.parsed]
    if failed:
        out.fire("code.parse_error", f"does not parse as Python 3 ({failed[0].error})", failed[0].path)
        out.measure("code.parse_error_ratio", len(failed) / len(facts.files))
        for f in failed[1:MAX_NOTES]:
            out.note("code.parse_error", f"does not parse as Python 3 ({f.error})", f.path)
