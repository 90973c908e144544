"""Find and open the two releases to compare: local archives, ``name==version`` on the configured index,
and a release's previous version (the highest lower version the index lists, yanked files excluded)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import IndexClient, ReleaseFile, file_kind, latest_version
from vetpy.acquire.interface import Archive, Limits
from vetpy.errors import AcquireError, IndexLookupError
from vetpy.features.extract import extract_features


def previous_version(files: Iterable[ReleaseFile], version: str) -> str | None:
    """The highest version below ``version`` among non-yanked files (final releases first when
    ``version`` is final), or None when there is none."""
    try:
        current = Version(version)
    except InvalidVersion:
        return None
    lower: set[Version] = set()
    for f in files:
        try:
            candidate = Version(f.version)
        except InvalidVersion:
            continue
        if not f.yanked and candidate < current:
            lower.add(candidate)
    finals = {v for v in lower if not v.is_prerelease}
    pool = finals if finals and not current.is_prerelease else lower
    return str(max(pool)) if pool else None


def pick_file(files: list[ReleaseFile], name: str, version: str, kind: str = "sdist") -> ReleaseFile:
    """One file of ``version``: of ``kind`` ("sdist" or "wheel"; a pure wheel first) when the release has
    one, else its sdist, else a wheel, else any file."""
    of_version = [f for f in files if f.version and _same(f.version, version)]
    if not of_version:
        raise IndexLookupError(f"{name}=={version}: no such release on the index")
    order = [kind, "sdist", "wheel"]

    def rank(f: ReleaseFile) -> tuple[int, bool, bool]:
        position = order.index(f.packagetype) if f.packagetype in order else len(order)
        return position, f.yanked, not f.filename.endswith("-none-any.whl")

    return min(of_version, key=rank)


def choose_file(
    files: list[ReleaseFile], name: str, version: str, like: str | None, artifact: str
) -> ReleaseFile:
    """The file of ``version`` to compare: the same kind as ``like`` (a filename) when given, else the
    ``artifact`` kind ("wheel"; anything else means the sdist first)."""
    kind = file_kind(like, name)[0] if like is not None else artifact
    return pick_file(files, name, version, "wheel" if kind == "wheel" else "sdist")


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def open_release(client: IndexClient, release: ReleaseFile, limits: Limits) -> Archive:
    """Download (sha256-verified) and open one index file in memory."""
    data = client.download(release, max_bytes=limits.max_archive_bytes)
    label = f"{release.name}=={release.version}"
    return open_archive(data, target=label, filename=release.filename, limits=limits)


def _requirement(spec: str) -> tuple[str, str | None]:
    try:
        requirement = Requirement(spec)
    except InvalidRequirement as exc:
        raise AcquireError(f"{spec}: not a file, folder or name==version") from exc
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return requirement.name, specs[0].version
    if specs:
        raise AcquireError(f"{spec}: give an exact version (name==version) or none")
    return requirement.name, None


def open_spec(
    spec: str, client: Callable[[], IndexClient], limits: Limits, artifact: str, like: str | None = None
) -> tuple[Archive, list[ReleaseFile] | None]:
    """Open a local archive or folder, or an index release (``name`` means its latest release).
    ``client`` makes the index client, called only for an index release."""
    if Path(spec).exists():
        return open_archive(Path(spec), target=spec, limits=limits), None
    name, version = _requirement(spec)
    files = client().release_files(name)
    version = version or latest_version(files, name)
    release = choose_file(files, name, version, like, artifact)
    return open_release(client(), release, limits), files


def open_previous(
    new: Archive, files: list[ReleaseFile] | None, client: IndexClient, limits: Limits, artifact: str
) -> Archive:
    """The release before ``new`` on the index, the same kind of file as ``new`` when there is one."""
    features = extract_features(new)
    name, version = features.name, features.version
    if not name or not version:
        raise AcquireError(
            f"{new.target}: no name and version in the archive, so no previous release to find"
        )
    if files is None:
        files = client.release_files(name)
    previous = previous_version(files, version)
    if previous is None:
        raise IndexLookupError(f"{name}=={version}: no earlier release on the index to compare with")
    return open_release(client, choose_file(files, name, previous, new.filename, artifact), limits)
