"""Where the development data and the download cache live."""

from __future__ import annotations

import os
from pathlib import Path

from vetpy.errors import VetpyError


def cache_dir() -> Path:
    """The cache root (``VETPY_CACHE``, else ``$XDG_CACHE_HOME/vetpy``, else ``~/.cache/vetpy``)."""
    env = os.environ.get("VETPY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vetpy"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The shared data folder: ``explicit``, ``VETPY_DATA``, or a ``shared/data`` beside a parent folder."""
    candidates: list[Path] = []
    if explicit:
        candidates.append(Path(explicit))
    if os.environ.get("VETPY_DATA"):
        candidates.append(Path(os.environ["VETPY_DATA"]))
    for start in (Path.cwd(), Path(__file__).resolve()):
        for parent in [start, *start.parents]:
            candidates.append(parent / "shared" / "data")
            candidates.append(parent.parent / "shared" / "data")
    for candidate in candidates:
        if (candidate / "benign.csv").is_file() or (candidate / "malicious").is_dir():
            return candidate
    raise VetpyError("development data not found: pass --data DIR or set VETPY_DATA")
