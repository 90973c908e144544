"""Resolve what the user typed (paths, ``name``, ``name==version``, requirements files) into targets.

A string naming an existing file or folder is scanned locally and never touches the network. Anything else
is read as a requirement and looked up on the configured index (the client is created only then).
Problems never raise out of ``resolve_targets``: they become a ``Target`` whose ``skipped`` reason starts
with "error:" (could not be resolved: not found, HTTP error, bad syntax) or "skipped:" (vetpy chose not
to scan it: editable, URL, options).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import ARTIFACTS, IndexClient, ReleaseFile, latest_version, select_files
from vetpy.acquire.interface import Archive, Limits
from vetpy.acquire.projectfile import Origin, ProjectEntry, ProjectFile
from vetpy.acquire.projects import read_project
from vetpy.acquire.sniff import HEAD_BYTES, detect_format
from vetpy.errors import AcquireError, VetpyError

_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl", ".egg", ".tar")


@dataclass(frozen=True)
class Target:
    """One thing to scan, or the reason it cannot be."""

    label: str  # what the user typed, or the requirement line
    path: Path | None = None  # a local archive or folder
    release: ReleaseFile | None = None  # a file on the index
    skipped: str | None = None  # reason it cannot be scanned (editable, URL, options, not found...)
    warning: str | None = None  # e.g. "unpinned: scanned latest release 2.3.1"
    origin: Origin | None = None  # the project file line that brought it in (SARIF locations)
    hashes: tuple[str, ...] = ()  # pinned "algorithm:hexdigest" (--hash=, lockfiles); any one must match


class _LazyClient:
    """Creates the IndexClient on first use, so local targets never need an index configured.

    A trusted ``--index-url`` from a requirements file replaces the configured index; extra index URLs
    are passed on when the client accepts them.
    """

    def __init__(
        self, client: IndexClient | None, index_url: str | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self._client = client
        self._index_url = index_url
        self._extra = extra

    def get(self) -> IndexClient:
        if self._client is None or self._index_url:
            self._client = IndexClient(self._index_url) if self._index_url else IndexClient()
            self._index_url = None
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


def _is_archive_file(path: Path) -> bool:
    """A folder, a file named like an archive, or one whose first bytes are an archive's."""
    if path.is_dir() or path.name.lower().endswith(_ARCHIVE_SUFFIXES):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return True  # let the archive reader report it
    return detect_format(head, path.name) != "unknown"


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


def _entry_targets(entry: ProjectEntry, artifact: str, client: _LazyClient) -> list[Target]:
    if entry.requirement is None:
        reason = entry.skipped or "skipped: not a requirement"
        return [Target(entry.label, skipped=f"{reason} ({entry.origin})", origin=entry.origin)]
    targets = _resolve_requirement(entry.requirement, entry.label, artifact, client)
    return [replace(t, origin=entry.origin, hashes=entry.hashes) for t in targets]


def read_projects(targets: Sequence[str], requirements: Sequence[Path] = ()) -> list[str | ProjectFile]:
    """Each target string, or the project file it names read in full; ``-r`` files read as requirements.

    Raises ``ProjectFileError`` for a project file that cannot be read (a usage error).
    """
    items: list[str | ProjectFile] = []
    for text in targets:
        path = Path(text)
        if _exists(text) and not _is_archive_file(path):
            items.append(read_project(path))
        else:
            items.append(text)
    items += [read_project(Path(path), assume="requirements") for path in requirements]
    return items


def _index_settings(items: Sequence[str | ProjectFile], trust: bool) -> tuple[str | None, tuple[str, ...]]:
    index_url: str | None = None
    extra: list[str] = []
    for item in items:
        if isinstance(item, ProjectFile):
            index_url = item.index_url or index_url
            extra += item.extra_index_urls
    if not trust:
        return None, ()
    return (expand_variables(index_url) if index_url else None), tuple(expand_variables(u) for u in extra)


def expand_variables(url: str) -> str:
    """``${NAME}`` (upper case, as pip allows) from the environment: only for trusted index URLs."""
    return _VARIABLE.sub(lambda m: os.environ.get(m.group(1), m.group(0)), url)


def resolve_targets(
    targets: Sequence[str],
    requirements: Sequence[Path] = (),
    *,
    artifact: str = "sdist",
    client: IndexClient | None = None,
    trust_requirements_indexes: bool = False,
) -> list[Target]:
    """Targets for the given strings (archives, folders, names, project files), then ``-r`` files.

    ``artifact`` is "sdist" (falls back to a wheel, with a warning), "wheel", or "all" (one target per
    file of the release). Index URLs found in requirements files are used only when
    ``trust_requirements_indexes`` is true. Never raises for a bad target (see the module docstring);
    raises ``ProjectFileError`` for a project file that cannot be read at all.
    """
    if artifact not in ARTIFACTS:
        raise AcquireError(f"unknown artifact {artifact!r}: choose one of {', '.join(ARTIFACTS)}")
    items = read_projects(targets, requirements)
    index_url, extra = _index_settings(items, trust_requirements_indexes)
    lazy = _LazyClient(client, index_url, extra)
    resolved: list[Target] = []
    for item in items:
        if isinstance(item, str):
            resolved.extend(_resolve_one(item, artifact, lazy))
            continue
        if (item.index_url or item.extra_index_urls) and not trust_requirements_indexes:
            note = (
                "skipped: index URLs in requirements files are ignored without --trust-requirements-indexes"
            )
            resolved.append(Target(item.path, skipped=note, origin=Origin(item.path)))
        for entry in item.entries:
            resolved.extend(_entry_targets(entry, artifact, lazy))
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
        check_pinned_hashes(data, target.hashes, target.release.filename)
        return open_archive(data, target=target.label, filename=target.release.filename, limits=limits)
    raise AcquireError(f"{target.label}: nothing to scan")


def check_pinned_hashes(data: bytes, hashes: Sequence[str], filename: str) -> None:
    """Raise ``AcquireError`` unless ``data`` matches one of the pinned ``algorithm:hexdigest`` hashes."""
    if not hashes:
        return
    digests: dict[str, str] = {}
    for pinned in hashes:
        algorithm, _, expected = pinned.partition(":")
        algorithm = algorithm.lower()
        if algorithm not in hashlib.algorithms_guaranteed:
            continue
        if algorithm not in digests:
            digests[algorithm] = hashlib.new(algorithm, data).hexdigest()
        if digests[algorithm] == expected.lower():
            return
    got = digests.get("sha256") or hashlib.sha256(data).hexdigest()
    raise AcquireError(
        f"hash mismatch: {filename} has sha256 {got}, not one of the {len(hashes)} pinned hashes"
    )
