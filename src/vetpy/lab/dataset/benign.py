"""The benign corpus: releases listed in ``benign.csv``, downloaded through the index into the cache.

Downloads are sha256-verified, written atomically (temp file + rename) and resumable: a file already in
the cache with the right digest is not fetched again.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from vetpy.acquire.index import IndexClient, find_file, verify_sha256
from vetpy.errors import IndexLookupError
from vetpy.fsutil import replace_atomically
from vetpy.lab.dataset.paths import cache_dir


@dataclass(frozen=True)
class BenignRelease:
    """One row of ``benign.csv``."""

    name: str
    version: str
    filename: str
    sha256: str
    size: int
    upload_time: str
    packagetype: str
    stratum: str


def read_benign_csv(path: Path) -> list[BenignRelease]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            BenignRelease(
                name=row["name"],
                version=row["version"],
                filename=row["filename"],
                sha256=row["sha256"].lower(),
                size=int(row["size"] or 0),
                upload_time=row["upload_time"],
                packagetype=row["packagetype"],
                stratum=row["stratum"],
            )
            for row in csv.DictReader(handle)
        ]


def archive_path(release: BenignRelease, root: Path | None = None) -> Path:
    """Where a benign release is cached: ``<cache>/benign/<sha256[:2]>/<sha256>/<filename>``."""
    base = (root or cache_dir()) / "benign"
    return base / release.sha256[:2] / release.sha256 / Path(release.filename).name


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_cached(release: BenignRelease, root: Path | None = None, verify: bool = False) -> bool:
    path = archive_path(release, root)
    if not path.is_file():
        return False
    return not verify or _file_digest(path) == release.sha256


def fetch_one(release: BenignRelease, client: IndexClient, root: Path | None = None) -> Path:
    """Download one release (if not cached already) and return its cached path."""
    path = archive_path(release, root)
    if path.is_file():
        return path
    files = client.release_files(release.name)
    entry = find_file(files, release.filename)
    if entry is None:
        raise IndexLookupError(f"{release.filename}: not listed on the index any more")
    data = client.download(entry)
    verify_sha256(data, release.sha256, release.filename)
    replace_atomically(path, data)
    return path


@dataclass(frozen=True)
class FetchSummary:
    fetched_or_cached: int
    failed: dict[str, str]


def fetch_all(
    releases: Iterable[BenignRelease],
    client: IndexClient,
    root: Path | None = None,
    workers: int = 8,
    on_done: Callable[[BenignRelease, str | None], None] | None = None,
) -> FetchSummary:
    """Fetch every release with a thread pool; failures are collected, never raised."""
    ok = 0
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(fetch_one, r, client, root): r for r in releases}
        for future in as_completed(futures):
            release = futures[future]
            error: str | None = None
            try:
                future.result()
                ok += 1
            except Exception as exc:
                error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                failed[release.filename] = error
            if on_done:
                on_done(release, error)
    return FetchSummary(fetched_or_cached=ok, failed=failed)
