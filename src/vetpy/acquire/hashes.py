"""Check downloaded bytes against the digests the index lists and the ones the user pinned.

Pins are ``algorithm:hexdigest`` strings (``--hash=sha256:...`` in requirements files, lockfile hashes).
As in pip's hash-checking mode, a file passes when one pin of an algorithm it was checked with matches;
a pin set with no usable algorithm is itself an error (nothing could be checked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from vetpy.errors import IndexLookupError

SUPPORTED = ("sha256", "sha384", "sha512", "sha224", "sha1", "md5")  # what indexes and lockfiles use


class HashMismatch(IndexLookupError):
    """Downloaded bytes do not match the listed or pinned digest."""


def parse_pins(pins: Iterable[str]) -> dict[str, frozenset[str]]:
    """``["sha256:AB.."]`` -> ``{"sha256": {"ab.."}}`` (unknown forms are kept, so they fail loudly)."""
    grouped: dict[str, set[str]] = {}
    for pin in pins:
        algorithm, sep, value = pin.strip().partition(":")
        if not sep:
            algorithm, sep, value = pin.strip().partition("=")
        grouped.setdefault(algorithm.lower(), set()).add(value.strip().lower())
    return {k: frozenset(v) for k, v in grouped.items()}


def _digest(data: bytes, algorithm: str) -> str:
    return hashlib.new(algorithm, data).hexdigest()


def verify(data: bytes, label: str, listed: Mapping[str, str] | None = None, pins: Iterable[str] = ()) -> str:
    """The sha256 of ``data``; raise HashMismatch when a listed digest or the pins do not match."""
    sha256 = hashlib.sha256(data).hexdigest()
    for algorithm, expected in (listed or {}).items():
        if algorithm.lower() in SUPPORTED and expected:
            got = sha256 if algorithm.lower() == "sha256" else _digest(data, algorithm.lower())
            if got != expected.lower():
                raise HashMismatch(
                    f"{label}: {algorithm} mismatch with the index "
                    f"(expected {expected[:12]}…, got {got[:12]}…)"
                )
    grouped = parse_pins(pins)
    if not grouped:
        return sha256
    usable = {alg: values for alg, values in grouped.items() if alg in SUPPORTED}
    if not usable:
        raise HashMismatch(f"{label}: no pinned hash uses a known algorithm ({', '.join(sorted(grouped))})")
    for algorithm, values in usable.items():
        if (sha256 if algorithm == "sha256" else _digest(data, algorithm)) in values:
            return sha256
    algorithm = "sha256" if "sha256" in usable else next(iter(usable))
    raise HashMismatch(
        f"{label}: does not match the pinned hashes ({algorithm} is "
        f"{(sha256 if algorithm == 'sha256' else _digest(data, algorithm))[:16]}…, "
        f"pinned {len(usable[algorithm])} other value(s))"
    )
