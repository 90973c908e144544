"""Scan results cached by archive sha256, keyed also by everything else that decides the result.

The key is the archive's sha256 plus the model's identity (its compiled or skops file digest, or the rule
set), the threshold, the reading limits, the vetpy version and a fingerprint of vetpy's own source files
(so an edited checkout never reuses results of older code). Only complete verdicts (``benign`` or
``malicious``) are stored: errors, skipped targets and timeouts are always scanned again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, replace
from functools import lru_cache
from pathlib import Path

from vetpy import __version__
from vetpy.acquire.interface import Limits
from vetpy.cache.store import KeyValueStore
from vetpy.result import ScanResult, Verdict

STORE_NAME = "results.sqlite"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A digest of the names, sizes and modification times of vetpy's source files (cheap: stats only)."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        try:
            info = path.stat()
        except OSError:
            continue
        digest.update(f"{path.relative_to(root)}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def model_identity(scorer: object) -> str:
    """What identifies a scorer's numbers: its manifest's file digests, else its name (the rule set)."""
    manifest = getattr(scorer, "manifest", None)
    if manifest is not None:
        digests = (getattr(manifest, "compiled_sha256", None), getattr(manifest, "model_sha256", None))
        return "model:" + ":".join(d or "-" for d in digests)
    return "scorer:" + str(getattr(scorer, "name", type(scorer).__name__))


class ResultCache:
    """Get and put ScanResults for one scanner configuration (model, threshold, limits)."""

    def __init__(self, root: Path, *, model_id: str, threshold: float, limits: Limits) -> None:
        self.store = KeyValueStore(root / STORE_NAME)
        setting = json.dumps([model_id, repr(float(threshold)), asdict(limits)], sort_keys=True)
        self._salt = f"{__version__}|{code_fingerprint()}|{setting}"

    def key(self, sha256: str) -> str:
        return hashlib.sha256(f"{self._salt}|{sha256.lower()}".encode()).hexdigest()

    def get(self, sha256: str | None, *, target: str, notes: tuple[str, ...] = ()) -> ScanResult | None:
        """The stored result for the archive ``sha256``, relabelled for ``target`` (None on a miss)."""
        if not sha256:
            return None
        raw = self.store.get(self.key(sha256))
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            result = replace(ScanResult.from_dict(data), score=data["exact_score"])
        except (ValueError, KeyError, TypeError):
            return None
        if result.sha256 != sha256.lower():
            return None
        return replace(result, target=target, seconds=0.0, notes=notes + result.notes)

    def put(self, result: ScanResult, *, own_notes: tuple[str, ...] = ()) -> None:
        """Store a complete result (``own_notes``, the caller's notes about the target, are left out)."""
        if not result.sha256 or result.verdict not in (Verdict.BENIGN, Verdict.MALICIOUS) or result.skipped:
            return
        if any(r.feature == "archive.limit_hit" for r in result.reasons):
            return
        notes = result.notes
        if own_notes and notes[: len(own_notes)] == own_notes:
            notes = notes[len(own_notes) :]
        stored = replace(result, notes=notes, seconds=0.0)
        data = {**stored.to_dict(), "exact_score": result.score}  # to_dict rounds the score
        self.store.put(self.key(result.sha256), json.dumps(data, sort_keys=True))


def file_sha256(path: Path) -> str | None:
    """The sha256 of a regular file (None for folders, links to devices, unreadable paths)."""
    try:
        if not path.is_file() or os.path.getsize(path) == 0:
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


__all__ = ["ResultCache", "code_fingerprint", "file_sha256", "model_identity"]
