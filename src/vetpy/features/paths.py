"""Archive member paths as PurePosixPath, made once per path: the detectors ask for the name, suffix or
parts of the same few hundred paths a dozen times per package, and each PurePosixPath costs a parse."""

from __future__ import annotations

from functools import lru_cache
from pathlib import PurePosixPath


@lru_cache(maxsize=8192)
def member_path(path: str) -> PurePosixPath:
    """``PurePosixPath(path)`` (immutable, so one object serves every caller)."""
    return PurePosixPath(path)
