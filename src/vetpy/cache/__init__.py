"""Caches under the cache folder: scan results by archive, index downloads by sha256, index pages briefly."""

from __future__ import annotations

from pathlib import Path


def scan_cache_root() -> Path:
    """Where ``vetpy scan`` keeps its result and download caches (``<cache folder>/scan``)."""
    from vetpy.settings import current

    return current().cache_dir / "scan"
