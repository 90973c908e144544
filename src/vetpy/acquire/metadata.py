"""A release's dependencies read as data, never by running its code.

Sources, in order: the PEP 658/714 metadata file the index serves beside a file (``<url>.metadata``), a
wheel's ``*.dist-info/METADATA``, an sdist's ``PKG-INFO`` when it is Metadata 2.2 or later and does not
declare ``Requires-Dist`` dynamic. Anything else (an old sdist, dynamic dependencies) is
:class:`Unresolvable`: its dependencies exist only once its build runs, which vetpy never does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from packaging.metadata import parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Limits
from vetpy.acquire.release import FileKind, ReleaseFile
from vetpy.errors import AcquireError

MAX_METADATA_BYTES = 4 * 1024 * 1024
_WHEEL_METADATA = re.compile(r"^[^/]+\.dist-info/METADATA$")
_SDIST_PKG_INFO = re.compile(r"^[^/]+/PKG-INFO$")


class Unresolvable(AcquireError):
    """The dependencies of a release cannot be known without running its build."""


@dataclass(frozen=True)
class Dependencies:
    requires: tuple[Requirement, ...]
    source: str  # where they were read
    notes: tuple[str, ...] = ()


def parse_dependencies(text: str, source: str, *, sdist: bool, label: str) -> Dependencies:
    """The ``Requires-Dist`` of a metadata document (refusing an sdist's dynamic or pre-2.2 metadata)."""
    raw, _ = parse_email(text)
    if sdist:
        try:
            version = Version(str(raw.get("metadata_version", "1.0")))
        except InvalidVersion:
            version = Version("1.0")
        dynamic = {str(d).lower() for d in raw.get("dynamic", [])}
        if version < Version("2.2") or "requires-dist" in dynamic:
            why = "dynamic" if "requires-dist" in dynamic else f"metadata {version}, before 2.2"
            raise Unresolvable(f"{label}: dependencies are computed by its build ({why}): not resolved")
    requires: list[Requirement] = []
    notes: list[str] = []
    for line in raw.get("requires_dist", []):
        try:
            requires.append(Requirement(str(line)))
        except InvalidRequirement:
            notes.append(f"{label}: unreadable dependency {str(line)[:80]!r}")
    return Dependencies(tuple(requires), source, tuple(notes))


def dependencies(
    release: ReleaseFile,
    fetch_metadata: Callable[[str], bytes],
    fetch_file: Callable[[ReleaseFile], bytes],
) -> Dependencies:
    """The dependencies of ``release``: see the module docstring for the sources tried."""
    sdist = release.packagetype is FileKind.SDIST
    if release.core_metadata:
        try:
            text = fetch_metadata(release.url + ".metadata").decode("utf-8", "replace")
            return parse_dependencies(text, "PEP 658 metadata file", sdist=sdist, label=release.filename)
        except Unresolvable:
            raise
        except AcquireError:
            pass  # fall back to the file itself
    archive = open_archive(
        fetch_file(release),
        target=release.filename,
        filename=release.filename,
        limits=Limits(max_member_bytes=MAX_METADATA_BYTES),
    )
    pattern = _SDIST_PKG_INFO if sdist else _WHEEL_METADATA
    member = next((m for m in archive.members if pattern.match(m.path)), None)
    if member is None:
        what = "PKG-INFO" if sdist else "*.dist-info/METADATA"
        raise Unresolvable(f"{release.filename}: no {what}: dependencies not resolved")
    source = "sdist PKG-INFO" if sdist else "wheel METADATA"
    return parse_dependencies(
        member.data.decode("utf-8", "replace"), source, sdist=sdist, label=release.filename
    )
