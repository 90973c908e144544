"""The hand-curated list of well-known domains (package data, no network) and host look-ups against it."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _load() -> tuple[frozenset[str], tuple[str, ...]]:
    text = resources.files("vetpy.data").joinpath("well_known_domains.txt").read_text(encoding="utf-8")
    exact: set[str] = set()
    suffixes: list[str] = []
    for raw in text.splitlines():
        entry = raw.split("#", 1)[0].strip().lower()
        if not entry:
            continue
        if entry.startswith("."):
            suffixes.append(entry)
        else:
            exact.add(entry)
    return frozenset(exact), tuple(suffixes)


def well_known_domains() -> frozenset[str]:
    """The exact registrable domains in the list (suffix entries such as ``.edu`` excluded)."""
    return _load()[0]


@lru_cache(maxsize=4096)
def is_well_known(host: str) -> bool:
    """True when ``host`` equals a listed domain, is a subdomain of one, or ends with a listed suffix."""
    host = host.strip().strip(".").lower()
    if not host:
        return False
    exact, suffixes = _load()
    if host.endswith(suffixes):
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in exact for i in range(len(parts) - 1))
