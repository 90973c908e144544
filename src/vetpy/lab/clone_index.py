"""Build the clone fingerprint index (:mod:`vetpy.features.clones`) from popular projects' latest releases.

For each of the top N names of ``popular.csv``: the project's page on the configured index, its latest
release (no pre-release unless it has nothing else, no yanked file), one file of it (the sdist, else a pure
py3 wheel, else any wheel; a file over the size bound is passed over for the next choice), downloaded into
the download cache and read in memory by :func:`~vetpy.acquire.archive.open_archive`. Every ``.py`` member
adds its fingerprint. Nothing is unpacked to disk and nothing is executed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import IndexClient, latest_version
from vetpy.acquire.interface import Limits
from vetpy.acquire.reader import human_bytes
from vetpy.acquire.release import ReleaseFile
from vetpy.cache.downloads import DownloadCache
from vetpy.errors import IndexLookupError, VetpyError
from vetpy.features.clones import encode_index, fingerprint
from vetpy.fsutil import replace_atomically

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024
MAX_TRIES = 3  # files of one release tried before the project is given up


def read_popular(path: Path, top: int) -> list[str]:
    """The ``top`` first names of a ``rank,name`` CSV, by rank (names repeated later are dropped)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [(int(r["rank"]), r["name"].strip()) for r in csv.DictReader(handle)]
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise VetpyError(f"{path}: not a readable rank,name list ({str(exc)[:100]})") from exc
    names = dict.fromkeys(name for _, name in sorted(rows) if name)
    return list(names)[: max(top, 0)]


def _wheel_rank(release: ReleaseFile) -> int:
    """0 for a pure py3 wheel (``py3``/``py2.py3``, ``none``, ``any``), 1 for any other wheel."""
    try:
        tags = parse_wheel_filename(release.filename)[3]
    except InvalidWheelFilename:
        return 2
    pure = any(t.interpreter.startswith("py3") and t.abi == "none" and t.platform == "any" for t in tags)
    return 0 if pure else 1


def choose_files(files: Iterable[ReleaseFile], name: str) -> list[ReleaseFile]:
    """The latest release's files in order of preference: sdists, pure py3 wheels, other wheels."""
    listed = [f for f in files if f.packagetype in ("sdist", "wheel") and not f.yanked]
    version = latest_version(listed, name)
    same = [f for f in listed if f.version == version]
    sdists = [f for f in same if f.packagetype == "sdist"]
    sdists.sort(key=lambda f: not f.filename.endswith(".tar.gz"))
    wheels = sorted((f for f in same if f.packagetype == "wheel"), key=_wheel_rank)
    return sdists + wheels


@dataclass
class ProjectDigests:
    """What one project added: its release file and fingerprints, or why it added nothing."""

    name: str
    version: str = ""
    filename: str = ""
    digests: set[int] = field(default_factory=set)
    files: int = 0  # .py members read
    error: str | None = None


def _download(client: IndexClient, cache: DownloadCache | None, release: ReleaseFile, limit: int) -> bytes:
    cached = cache.get(release.sha256) if cache is not None else None
    if cached is not None and len(cached) <= limit:
        return cached
    data = client.download(release, max_bytes=limit)
    if cache is not None and release.sha256:
        cache.put(data, release.sha256)
    return data


def project_digests(
    client: IndexClient, name: str, cache: DownloadCache | None = None, max_bytes: int = MAX_ARCHIVE_BYTES
) -> ProjectDigests:
    """The fingerprints of every ``.py`` member of one file of ``name``'s latest release (never raises)."""
    result = ProjectDigests(name)
    try:
        candidates = choose_files(client.release_files(name), name)
        skipped: list[str] = []
        for release in candidates[:MAX_TRIES]:
            try:
                data = _download(client, cache, release, max_bytes)
            except IndexLookupError as exc:
                if "larger than" not in str(exc):
                    raise
                skipped.append(release.filename)
                continue
            limits = Limits(max_archive_bytes=max_bytes)
            archive = open_archive(data, target=name, filename=release.filename, limits=limits)
            result.version, result.filename = release.version, release.filename
            for member in archive.members:
                if member.path.endswith(".py"):
                    result.files += 1
                    digest = fingerprint(member.data)
                    if digest is not None:
                        result.digests.add(digest)
            return result
        over = f"over {human_bytes(max_bytes)}: {', '.join(skipped)}" if skipped else "no file"
        result.error = f"no readable file of its latest release ({over})"
    except Exception as exc:  # one project's failure must not stop the build
        result.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return result


@dataclass(frozen=True)
class BuildSummary:
    projects: list[ProjectDigests]
    digests: int
    size: int  # bytes written

    @property
    def failed(self) -> dict[str, str]:
        return {p.name: p.error for p in self.projects if p.error is not None}


def build_index(
    names: list[str],
    client: IndexClient,
    out: Path,
    *,
    source: str,
    cache: DownloadCache | None = None,
    workers: int = 6,
    retries: int = 2,
    on_done: Callable[[ProjectDigests], None] | None = None,
) -> BuildSummary:
    """Fingerprint every project of ``names`` (``workers`` threads; a failed project is tried again up to
    ``retries`` times, after the others: look-ups fail now and then) and write the index to ``out``
    atomically; raises VetpyError when no project could be read (nothing is written then). ``on_done``
    hears of each project once, when it is read or given up."""
    if workers < 1:
        raise VetpyError("--workers must be at least 1")
    results: dict[str, ProjectDigests] = {}
    pending = list(names)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for attempt in range(max(retries, 0) + 1):
            last = attempt == max(retries, 0)
            futures = [pool.submit(project_digests, client, name, cache) for name in pending]
            for future in as_completed(futures):
                result = future.result()
                results[result.name] = result
                if on_done is not None and (result.error is None or last):
                    on_done(result)
            pending = [n for n in pending if results[n].error is not None]
            if not pending:
                break
    done = [results[n] for n in names if n in results]
    read = [p for p in done if p.error is None]
    if not read:
        raise VetpyError(f"no project could be read: the index was not written ({len(done)} tried)")
    digests = sorted(set().union(*(p.digests for p in read)))
    info = {
        "built": datetime.now(UTC).strftime("%Y-%m-%d"),
        "projects": len(read),
        "source": source,
        "releases": [f"{p.name} {p.version} {p.filename} {p.files}" for p in read],
        "releases_columns": "project version file py_members",
        "failed": sorted(p.name for p in done if p.error is not None),  # reasons may name the index
    }
    raw = encode_index(digests, info)
    replace_atomically(out, raw)
    return BuildSummary(done, len(digests), len(raw))
