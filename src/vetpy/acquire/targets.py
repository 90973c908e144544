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

from vetpy.acquire.archive import open_archive
from vetpy.acquire.hashes import verify
from vetpy.acquire.index import ARTIFACTS, IndexClient, ReleaseFile
from vetpy.acquire.interface import Archive, Limits
from vetpy.acquire.requirements import read_requirements
from vetpy.errors import AcquireError, VetpyError
from vetpy.redact import redact

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl", ".egg", ".tar")


@dataclass(frozen=True)
class Target:
    """One thing to scan, or the reason it cannot be."""

    label: str  # what the user typed, or the requirement line
    path: Path | None = None  # a local archive or folder
    release: ReleaseFile | None = None  # a file on the index
    skipped: str | None = None  # reason it cannot be scanned (editable, URL, options, not found...)
    warning: str | None = None  # e.g. "unpinned: scanned latest release 2.3.1"
    hashes: tuple[str, ...] = ()  # pinned "algorithm:hexdigest" (--hash=, lockfiles); any one must match


class _LazyClient:
    """Creates the IndexClient on first use, so local targets never need an index configured."""

    def __init__(self, client: IndexClient | None) -> None:
        self._client = client

    def get(self) -> IndexClient:
        if self._client is None:
            self._client = IndexClient()
        return self._client


def _resolve_requirement(
    requirement: Requirement, label: str, artifact: str, client: _LazyClient, hashes: tuple[str, ...] = ()
) -> list[Target]:
    """The files pip would choose for ``requirement`` (see ``Finder.choose``), one target each."""
    if requirement.url:
        return [Target(label, skipped="skipped: direct URL (name @ url) is not scanned")]
    try:
        selection = client.get().choose(requirement, artifact, hashes)
    except VetpyError as exc:
        return [Target(label, skipped=f"error: {_one_line(exc)}", hashes=hashes)]
    except Exception as exc:  # a malformed index answer must not sink a batch
        message = f"error: {requirement.name}: unexpected index answer ({type(exc).__name__}: {exc})"
        return [Target(label, skipped=_one_line(redact(message)), hashes=hashes)]
    pinned = any(s.operator in ("==", "===") and "*" not in s.version for s in requirement.specifier)
    targets = []
    for release in selection.files:
        how = f"unpinned ({requirement.specifier})" if requirement.specifier else "unpinned"
        notes = [] if pinned else [f"{how}: scanned {selection.version}, the release pip would install"]
        notes += list(selection.notes)
        if release.yanked:
            notes.append(f"{release.filename} is yanked")
        targets.append(Target(label, release=release, warning="; ".join(notes) or None, hashes=hashes))
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
    artifact: str = "auto",
    client: IndexClient | None = None,
) -> list[Target]:
    """Targets for the given strings, then for each requirements file's lines, in order.

    ``artifact`` is "auto" (the file pip would install and the sdist), "sdist", "wheel", or "all" (one
    target per file of the release). Never raises for a bad target: see the module docstring.
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
    """Open a resolved target in memory: read the local path, or download the release; either is checked
    against the target's pinned hashes (and a download against the index's digests)."""
    if target.skipped:
        raise AcquireError(target.skipped)
    if target.path is not None:
        if target.hashes and target.path.is_file():
            verify(target.path.read_bytes(), target.path.name, pins=target.hashes)
        return open_archive(target.path, target=target.label, limits=limits)
    if target.release is not None:
        index = client or IndexClient()
        data = index.download(target.release, max_bytes=limits.max_archive_bytes, pins=target.hashes)
        return open_archive(data, target=target.label, filename=target.release.filename, limits=limits)
    raise AcquireError(f"{target.label}: nothing to scan")
