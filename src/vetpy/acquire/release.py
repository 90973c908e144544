"""A release file as an index lists it, and what its name says (strict PEP 427 / sdist names only)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion


class Artifact(StrEnum):
    """Which files of a release to scan (``--artifact``)."""

    AUTO = "auto"  # the file pip would install here, and the sdist when there is one
    SDIST = "sdist"
    WHEEL = "wheel"
    ALL = "all"  # every file of the release


class FileKind(StrEnum):
    """What a release file is, read strictly from its name (see :func:`file_kind`)."""

    SDIST = "sdist"
    WHEEL = "wheel"
    OTHER = "other"  # an egg, an exe, a name that breaks the naming rules or names another project


#: The ``--artifact`` choices, in help order.
ARTIFACTS: tuple[str, ...] = tuple(a.value for a in Artifact)

SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


@dataclass(frozen=True)
class ReleaseFile:
    """One downloadable file of a release as the index lists it."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str | None
    packagetype: FileKind
    yanked: bool
    hashes: Mapping[str, str] = field(default_factory=dict)  # every digest the index gave, by algorithm
    requires_python: str | None = None
    core_metadata: bool = False  # PEP 658/714: the index serves this file's METADATA at url + ".metadata"
    index_url: str | None = None  # the index page that listed it (no login in it)

    def __post_init__(self) -> None:  # a kind read back from a cache or a CSV file is a plain string
        object.__setattr__(self, "packagetype", FileKind(self.packagetype))


def file_kind(filename: str, project: str | None = None) -> tuple[FileKind, str | None]:
    """A release file's kind ("sdist", "wheel" or "other") and version, read from its name by ``packaging``.

    Only names that follow the wheel and sdist naming rules count, and with ``project`` given the name in
    the file name must be that project's (as pip checks): an old upload of ``selenium`` named
    ``selenium-2.0-dev-9429.tar.gz`` reads as project "selenium-2.0-dev", so it is "other", not 9429.
    """
    lower = filename.lower()
    try:
        if lower.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
            return (FileKind.WHEEL, str(version)) if _fits(name, project) else (FileKind.OTHER, None)
        suffix = next((s for s in SDIST_SUFFIXES if lower.endswith(s)), None)
        if suffix is not None:
            name, version = parse_sdist_filename(filename[: -len(suffix)] + ".tar.gz")
            return (FileKind.SDIST, str(version)) if _fits(name, project) else (FileKind.OTHER, None)
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        pass
    return FileKind.OTHER, None


def _fits(name: str, project: str | None) -> bool:
    return project is None or canonicalize_name(name) == canonicalize_name(project)
