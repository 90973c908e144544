"""A sample of recent uploads from the configured index: the stand-in for the stream of new releases a
deployed scanner sees, for measuring false positives on packages the development data never held.

Projects are drawn at random (fixed seed) from the index's project list; a project counts when it has a
release file uploaded on or after ``since`` (the index's PEP 700 ``upload-time``). Its newest such
release is taken, sdist preferred, else a pure-Python wheel, else any wheel. Projects named in the
development data are skipped. The sample is written as a CSV in ``benign.csv``'s format (stratum
``recent``), so ``vetpy dataset fetch --list`` downloads and sha256-checks it like the benign corpus.
Nothing in it is known to be benign: a flagged package is read before it is called a false positive.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from vetpy.acquire.index import IndexClient, file_kind
from vetpy.errors import IndexLookupError
from vetpy.lab.dataset.benign import BenignRelease

RECENT_STRATUM = "recent"
CSV_FIELDS = ("name", "version", "filename", "sha256", "size", "upload_time", "packagetype", "stratum")


def _preference(filename: str, packagetype: str) -> int:
    if packagetype == "sdist":
        return 0
    return 1 if filename.lower().endswith("-none-any.whl") else 2


def newest_release_since(page: dict[str, Any], since: str, max_size: int) -> BenignRelease | None:
    """The file to scan of a project's newest release uploaded on or after ``since`` (None: no such
    release, or only files that are yanked, unhashed, too large or not Python archives)."""
    candidates = []
    for entry in page.get("files", []):
        filename = str(entry.get("filename", ""))
        uploaded = str(entry.get("upload-time") or "")
        sha256 = (entry.get("hashes") or {}).get("sha256")
        kind, version = file_kind(filename)
        size = int(entry.get("size") or 0)
        if (
            kind not in ("sdist", "wheel")
            or not version
            or not sha256
            or entry.get("yanked")
            or uploaded < since
            or size > max_size
        ):
            continue
        candidates.append((uploaded, filename, kind, version, sha256, size))
    if not candidates:
        return None
    newest = max(c[0] for c in candidates)[:10]  # the newest upload day: one release's files
    same_day = [c for c in candidates if c[0][:10] == newest]
    uploaded, filename, kind, version, sha256, size = min(
        same_day, key=lambda c: (_preference(c[1], c[2]), c[1])
    )
    return BenignRelease(
        name=str(page.get("name") or filename.split("-")[0]),
        version=version,
        filename=filename,
        sha256=sha256.lower(),
        size=size,
        upload_time=uploaded[:19],
        packagetype=kind,
        stratum=RECENT_STRATUM,
    )


def sample_recent(
    client: IndexClient,
    since: str,
    count: int,
    seed: int = 0,
    exclude: Iterable[str] = (),
    workers: int = 16,
    max_size: int = 20_000_000,
    names: list[str] | None = None,
    on_checked: Callable[[int, int], None] | None = None,
) -> list[BenignRelease]:
    """``count`` recent releases of randomly drawn projects (see the module docstring). Deterministic for
    a given index state and seed: candidates are kept in the shuffled order, whatever finishes first."""
    skip = {canonicalize_name(n) for n in exclude}
    listed = names if names is not None else client.project_names()
    pool = [n for n in listed if canonicalize_name(n) not in skip]
    random.Random(seed).shuffle(pool)

    def lookup(name: str) -> BenignRelease | None:
        try:
            return newest_release_since(client.project_page(name), since, max_size)
        except IndexLookupError:
            return None  # removed since the list was read, or the index refused: not part of the sample

    found: list[BenignRelease] = []
    checked = 0
    batch = max(workers * 8, 1)
    with ThreadPoolExecutor(max_workers=workers) as executor:
        for start in range(0, len(pool), batch):
            for release in executor.map(lookup, pool[start : start + batch]):
                checked += 1
                if release is not None and len(found) < count:
                    found.append(release)
            if on_checked:
                on_checked(checked, len(found))
            if len(found) >= count:
                break
    return found


def write_release_csv(path: Path, releases: Iterable[BenignRelease]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in releases:
            writer.writerow(
                {
                    "name": r.name,
                    "version": r.version,
                    "filename": r.filename,
                    "sha256": r.sha256,
                    "size": r.size,
                    "upload_time": r.upload_time,
                    "packagetype": r.packagetype,
                    "stratum": r.stratum,
                }
            )
