"""Resolve what the user typed (paths, ``name``, ``name==version``, requirements files) into targets.

A string naming an existing file or folder is scanned locally and never touches the network. Anything else
is read as a requirement and looked up on the configured index (the client is created only then).
Problems never raise out of ``resolve_targets``: they become a ``Target`` whose ``skipped`` reason starts
with "error:" (could not be resolved: not found, HTTP error, bad syntax) or "skipped:" (vetpy chose not
to scan it: editable, URL, options).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from packaging.requirements import InvalidRequirement, Requirement

from vetpy.acquire.archive import open_archive
from vetpy.acquire.hashes import verify
from vetpy.acquire.interface import Archive, ArchiveFormat, Limits
from vetpy.acquire.pipconfig import read_settings
from vetpy.acquire.projectfile import Origin, ProjectEntry, ProjectFile
from vetpy.acquire.release import ARTIFACTS, Artifact, ReleaseFile
from vetpy.acquire.sniff import HEAD_BYTES, detect_format
from vetpy.errors import AcquireError, VetpyError
from vetpy.redact import redact
from vetpy.settings import URL_VARIABLE_NAME
from vetpy.settings import current as current_settings

if TYPE_CHECKING:  # the index client (and its HTTP stack) is imported only when an index is asked
    from vetpy.acquire.index import IndexClient
    from vetpy.acquire.installed import InstalledDistribution

#: An index client, or a function that makes one on first use (None: no index configured).
ClientSource: TypeAlias = "IndexClient | Callable[[], IndexClient | None] | None"

_VARIABLE = re.compile(r"\$\{(" + URL_VARIABLE_NAME.pattern + r")\}")
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
    installed: InstalledDistribution | None = None  # an installed distribution (read from its RECORD)
    hashes: tuple[str, ...] = ()  # pinned "algorithm:hexdigest" (--hash=, lockfiles); any one must match


class _LazyClient:
    """Creates the IndexClient on first use, so local targets never need an index configured.

    A trusted ``--index-url`` from a requirements file replaces the configured index; extra index URLs
    are passed on when the client accepts them.
    """

    def __init__(
        self, client: ClientSource, index_url: str | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        self._client = client
        self._index_url = index_url
        self._extra = extra

    def get(self) -> IndexClient:
        from vetpy.acquire.index import IndexClient

        if callable(self._client) and not (self._index_url or self._extra):
            self._client = self._client()
        if self._client is None or callable(self._client) or self._index_url or self._extra:
            settings = read_settings(self._index_url)
            extra = settings.extra_index_urls + self._extra
            self._client = IndexClient(settings=replace(settings, extra_index_urls=extra))
            self._index_url, self._extra = None, ()
        return self._client


def _resolve_requirement(
    requirement: Requirement,
    label: str,
    artifact: Artifact,
    client: _LazyClient,
    hashes: tuple[str, ...] = (),
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


def _is_archive_file(path: Path) -> bool:
    """A folder, a file named like an archive, or one whose first bytes are an archive's."""
    if path.is_dir() or path.name.lower().endswith(_ARCHIVE_SUFFIXES):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return True  # let the archive reader report it
    return detect_format(head, path.name) is not ArchiveFormat.UNKNOWN


def _resolve_one(text: str, artifact: Artifact, client: _LazyClient) -> list[Target]:
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


def _entry_targets(entry: ProjectEntry, artifact: Artifact, client: _LazyClient) -> list[Target]:
    if entry.requirement is None:
        reason = entry.skipped or "skipped: not a requirement"
        return [Target(entry.label, skipped=f"{reason} ({entry.origin})", origin=entry.origin)]
    targets = _resolve_requirement(entry.requirement, entry.label, artifact, client, entry.hashes)
    return [replace(t, origin=entry.origin) for t in targets]


def read_projects(targets: Sequence[str], requirements: Sequence[Path] = ()) -> list[str | ProjectFile]:
    """Each target string, or the project file it names read in full; ``-r`` files read as requirements.

    Raises ``ProjectFileError`` for a project file that cannot be read (a usage error).
    """
    items: list[str | ProjectFile] = []
    for text in targets:
        path = Path(text)
        if _exists(text) and not _is_archive_file(path):  # an archive never needs the project readers
            from vetpy.acquire.projects import looks_like_project, read_project

            if looks_like_project(path):
                items.append(read_project(path))
                continue
        items.append(text)
    if requirements:
        from vetpy.acquire.projects import read_project

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
    """``${NAME}`` (upper case, as pip allows) from the environment as read into the settings: only for
    trusted index URLs."""
    variables = current_settings().url_variables
    return _VARIABLE.sub(lambda m: variables.get(m.group(1), m.group(0)), url)


def resolve_targets(
    targets: Sequence[str],
    requirements: Sequence[Path] = (),
    *,
    artifact: Artifact = Artifact.AUTO,
    client: ClientSource = None,
    trust_requirements_indexes: bool = False,
) -> list[Target]:
    """Targets for the given strings (archives, folders, names, project files), then ``-r`` files.

    ``artifact`` is "auto" (the file pip would install and the sdist), "sdist", "wheel", or "all" (one
    target per file of the release). Index URLs found in requirements files are used only when
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
    """Open a resolved target in memory: read the local path, or download the release; either is checked
    against the target's pinned hashes (and a download against the index's digests)."""
    if target.skipped:
        raise AcquireError(target.skipped)
    if target.installed is not None:
        from vetpy.acquire.installed import open_installed

        return open_installed(target.installed, limits=limits)
    if target.path is not None:
        if target.hashes and target.path.is_file():
            verify(target.path.read_bytes(), target.path.name, pins=target.hashes)
        return open_archive(target.path, target=target.label, limits=limits)
    if target.release is not None:
        from vetpy.acquire.index import IndexClient

        index = client or IndexClient()
        data = index.download(target.release, max_bytes=limits.max_archive_bytes, pins=target.hashes)
        return open_archive(data, target=target.label, filename=target.release.filename, limits=limits)
    raise AcquireError(f"{target.label}: nothing to scan")


def installed_targets(site_packages: Path | None = None) -> list[Target]:
    """One target per distribution installed in ``site_packages`` (default: this interpreter's)."""
    from vetpy.acquire.installed import default_site_packages, distributions

    sites = [site_packages] if site_packages is not None else default_site_packages()
    return [Target(d.label, installed=d) for site in sites for d in distributions(site)]
