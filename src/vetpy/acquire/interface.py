"""Data types shared by the acquire stage: limits, archive members, findings, opened archives."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from enum import StrEnum

from vetpy.errors import VetpyError


class ArchiveFormat(StrEnum):
    """How an archive's bytes are laid out (decided by content, see :mod:`vetpy.acquire.sniff`)."""

    ZIP = "zip"
    WHEEL = "wheel"  # a zip named .whl (or an installed distribution)
    EGG = "egg"  # a zip named .egg
    TAR_GZ = "tar.gz"
    TAR_BZ2 = "tar.bz2"
    TAR_XZ = "tar.xz"
    TAR = "tar"
    FOLDER = "folder"  # an unpacked source tree
    UNKNOWN = "unknown"  # none of the above: not read

    @property
    def is_tar(self) -> bool:
        return self in _TARS


_TARS = frozenset({ArchiveFormat.TAR_GZ, ArchiveFormat.TAR_BZ2, ArchiveFormat.TAR_XZ, ArchiveFormat.TAR})


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one archive. A limit that is hit stops reading and is reported, never ignored.

    Every limit must be a finite number >= 0 (NaN, infinities and negatives are refused).
    """

    max_archive_bytes: int = 256 * 1024 * 1024
    max_members: int = 50_000
    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_ratio: float = 250.0
    max_seconds: float = 60.0
    max_code_files: int = 20_000  # Python, .pth and bytecode files: all are analysed, past this is a limit

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise VetpyError(f"limit {spec.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise VetpyError(f"limit {spec.name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class Member:
    """One regular file read from an archive: a safe relative POSIX path and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True)
class CodeView(Member):
    """Code as Python would run it, made from the member at ``source``. ``role`` says how: ``decoded``
    (a source encoding), ``unpadded`` (padding squeezed out), ``notebook`` (code cells), ``bytecode``
    (names and strings of a .pyc), ``executed_data`` (a data file that code runs) or ``build_backend``
    (an in-tree PEP 517 backend)."""

    source: str = ""
    role: str = ""


@dataclass(frozen=True)
class Finding:
    """A hard signal seen while reading (polyglot archive, link leaving the archive, sourceless bytecode,
    a data file that code executes...): the policy layer flags the package whatever its score."""

    kind: str
    message: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Archive:
    """An opened package: its members in memory, plus anything odd seen while reading it.

    ``notes`` lists anomalies (links, path tricks, devices); ``limit_hit`` names the limit that left part
    of the code unread, if any (members then holds what was read). ``views`` are the package's code as
    Python would run it, where that differs from the raw bytes (decoded source, notebook cells, names
    and strings of sourceless bytecode, data files that code executes); ``findings`` are hard signals.
    """

    target: str
    filename: str
    sha256: str
    format: ArchiveFormat
    members: tuple[Member, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    limit_hit: str | None = None
    views: tuple[CodeView, ...] = field(default_factory=tuple)
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    def analysed(self) -> Archive:
        """This archive as the feature stage should read it: each view replaces the member of the same
        path (or is added when no member has that path)."""
        if not self.views:
            return self
        by_path: dict[str, Member] = {v.path: Member(v.path, v.data) for v in self.views}
        members = [by_path.pop(m.path, m) for m in self.members]
        return replace(self, members=(*members, *by_path.values()))
