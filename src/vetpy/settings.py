"""Settings read from the environment once, at the edge (the CLI), into a frozen object.

Library code asks :func:`current` instead of reading ``os.environ`` itself; the CLI calls :func:`configure`
with the settings it read at start-up, and tests pass their own. (pip's configuration for the package
index is read by :mod:`vetpy.acquire.index`, the way pip reads it.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """``cache_dir``: downloads, extracted features, evaluation folds; ``data_dir``: the development data
    folder when one was given (``VETPY_DATA``), else None (searched for beside the working folder)."""

    cache_dir: Path
    data_dir: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], home: Path | None = None) -> Settings:
        """``VETPY_CACHE``, else ``$XDG_CACHE_HOME/vetpy``, else ``~/.cache/vetpy``; ``VETPY_DATA``."""
        cache = environ.get("VETPY_CACHE")
        if cache:
            cache_dir = Path(cache)
        else:
            base = environ.get("XDG_CACHE_HOME") or str((home or Path.home()) / ".cache")
            cache_dir = Path(base) / "vetpy"
        data = environ.get("VETPY_DATA")
        return cls(cache_dir=cache_dir, data_dir=Path(data) if data else None)


_current: Settings | None = None


def configure(settings: Settings | None) -> Settings | None:
    """Use ``settings`` from now on (None: read the environment again on next use); returns the previous
    ones so a caller (the CLI, a test) can put them back."""
    global _current
    previous, _current = _current, settings
    return previous


def current() -> Settings:
    """The configured settings (read from the process environment on first use outside the CLI)."""
    global _current
    if _current is None:
        import os

        _current = Settings.from_environ(os.environ)
    return _current
