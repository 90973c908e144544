"""Token selection shared by the scikit-learn text column and the compiled model (no heavy imports)."""

from __future__ import annotations

from collections.abc import Sequence


def select_tokens(text: str, drop_prefixes: Sequence[str] = (), keep_prefixes: Sequence[str] = ()) -> str:
    """``text`` without the tokens starting with ``drop_prefixes`` and, if ``keep_prefixes`` is not
    empty, with only those starting with one of them (unchanged when both are empty)."""
    if not drop_prefixes and not keep_prefixes:
        return text
    drop, keep = tuple(drop_prefixes), tuple(keep_prefixes)
    return " ".join(
        t for t in text.split() if not (drop and t.startswith(drop)) and (not keep or t.startswith(keep))
    )
