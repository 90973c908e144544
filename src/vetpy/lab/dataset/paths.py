"""Where the development data and the download cache live."""

from __future__ import annotations

import os
from pathlib import Path

from vetpy import settings
from vetpy.errors import VetpyError


def cache_dir() -> Path:
    """The cache root (``VETPY_CACHE``, else ``$XDG_CACHE_HOME/vetpy``, else ``~/.cache/vetpy``)."""
    return settings.current().cache_dir


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The shared data folder: ``explicit``, ``VETPY_DATA``, or a ``shared/data`` beside a parent folder."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    configured = settings.current().data_dir
    if configured is not None:
        candidates.append(configured)
    for start in (Path.cwd(), Path(__file__).resolve()):
        for parent in [start, *start.parents]:
            candidates.append(parent / "shared" / "data")
            candidates.append(parent.parent / "shared" / "data")
    for candidate in candidates:
        if (candidate / "benign.csv").is_file() or (candidate / "malicious").is_dir():
            return candidate
    raise VetpyError("development data not found: pass --data DIR or set VETPY_DATA")
