"""Make untrusted text safe for a terminal: control, format (bidi) and undecodable characters escaped."""

from __future__ import annotations

import unicodedata

_SAFE_CONTROLS = frozenset("\n")


def escape_text(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character (C0, C1, DEL), format character (bidi overrides, zero-width)
    and lone surrogate (from undecodable file names) written as a visible ``\\x..``/``\\u....`` escape."""
    out: list[str] = []
    for ch in text:
        if keep_newlines and ch in _SAFE_CONTROLS:
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in (" ",):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)
