"""Resolve what the user typed (paths, ``name``, ``name==version``, requirements files) into targets.

A string naming an existing file or folder is scanned locally and never touches the network. Anything else
is read as a requirement and looked up on the configured index (the client is created only then).
Problems never raise out of ``resolve_targets``: they become a ``Target`` whose ``skipped`` reason starts
with "error:" (could not be resolved: not found, HTTP error, bad syntax) or "skipped:" (vetpy chose not
to scan it: editable, URL, options).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import ARTIFACTS, IndexClient, ReleaseFile, latest_version, select_files
from vetpy.acquire.interface import Archive, Limits
from vetpy.acquire.requirements import read_requirements
from vetpy.errors import AcquireError, VetpyError

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl", ".egg", ".tar")


@dataclass(frozen=True)
class Target:
    """One thing to scan, or the reason it cannot be."""

    label: str  # what the user typed, or the requirement line
    path: Path | None = None  # a local archive or folder
    release: ReleaseFile | None = None  # a file on the index
    skipped: str | None = None  # reason it cannot be scanned (editable, URL, options, not found...)
    warning: str | None = None  # e.g. "unpinned: scanned latest release 2.3.1"


class _LazyClient:
    """Creates the IndexClient on first use, so local targets never need an index configured."""

    def __init__(self, client: IndexClient | None) -> None:
        self._client = client

    def get(self) -> IndexClient:
        if self._client is None:
            self._client = IndexClient()
        return self._client


def _pinned_version(requirement: Requirement) -> str | None:
    """The version of a ``==v`` (no wildcard) or ``===v`` requirement, else None."""
    specs = list(requirement.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and not specs[0].version.endswith(".*"):
        return specs[0].version
    return None


def _resolve_requirement(
    requirement: Requirement, label: str, artifact: str, client: _LazyClient
) -> list[Target]:
    name = requirement.name
    if requirement.url:
        return [Target(label, skipped="skipped: direct URL (name @ url) is not scanned")]
    pinned = _pinned_version(requirement)
    try:
        files = client.get().release_files(name)
        if pinned is not None:
            version, warning = pinned, None
        else:
            spec: SpecifierSet | None = requirement.specifier if len(requirement.specifier) else None
            version = latest_version(files, name, spec)
            how = f"unpinned ({requirement.specifier})" if spec else "unpinned"
            warning = f"{how}: scanned latest release {version}"
        chosen = select_files(files, name, version, artifact)
    except VetpyError as exc:
        return [Target(label, skipped=f"error: {_one_line(exc)}")]
    except Exception as exc:  # a malformed index answer must not sink a batch
        return [
            Target(
                label,
                skipped=_one_line(f"error: {name}: unexpected index answer ({type(exc).__name__}: {exc})"),
            )
        ]
    targets = []
    for release in chosen:
        notes = [warning] if warning else []
        if artifact == "sdist" and release.packagetype != "sdist":
            notes.append(f"no sdist: scanned {release.filename}")
        if release.yanked:
            notes.append(f"{release.filename} is yanked")
        targets.append(Target(label, release=release, warning="; ".join(notes) or None))
    return targets


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _exists(text: str) -> bool:
    try:
        return bool(text) and Path(text).exists()
    except (OSError, ValueError):  # name too long, NUL byte
        return False


def _resolve_one(text: str, artifact: str, client: _LazyClient) -> list[Target]:
    if _exists(text):
        return [Target(text, path=Path(text))]
    if "/" in text or "\\" in text or text.lower().endswith(_ARCHIVE_SUFFIXES):
        return [Target(text, skipped="error: no such file or folder")]
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        return [Target(text, skipped=f"error: not a file, folder or requirement ({first})")]
    return _resolve_requirement(requirement, text, artifact, client)


def resolve_targets(
    targets: Sequence[str],
    requirements: Sequence[Path] = (),
    *,
    artifact: str = "sdist",
    client: IndexClient | None = None,
) -> list[Target]:
    """Targets for the given strings, then for each requirements file's lines, in order.

    ``artifact`` is "sdist" (falls back to a wheel, with a warning), "wheel", or "all" (one target per
    file of the release). Never raises for a bad target: see the module docstring.
    """
    if artifact not in ARTIFACTS:
        raise AcquireError(f"unknown artifact {artifact!r}: choose one of {', '.join(ARTIFACTS)}")
    lazy = _LazyClient(client)
    resolved: list[Target] = []
    for text in targets:
        resolved.extend(_resolve_one(text, artifact, lazy))
    for path in requirements:
        for line in read_requirements(Path(path)):
            if line.requirement is None:
                reason = line.skipped or "skipped: not a requirement"
                resolved.append(Target(line.label, skipped=f"{reason} ({line.origin})"))
            else:
                resolved.extend(_resolve_requirement(line.requirement, line.label, artifact, lazy))
    return resolved


def load_target(
    target: Target,
    *,
    client: IndexClient | None = None,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen
) -> Archive:
    """Open a resolved target in memory: read the local path, or download (sha256-verified) the release."""
    if target.skipped:
        raise AcquireError(target.skipped)
    if target.path is not None:
        return open_archive(target.path, target=target.label, limits=limits)
    if target.release is not None:
        data = (client or IndexClient()).download(target.release, max_bytes=limits.max_archive_bytes)
        return open_archive(data, target=target.label, filename=target.release.filename, limits=limits)
    raise AcquireError(f"{target.label}: nothing to scan")
