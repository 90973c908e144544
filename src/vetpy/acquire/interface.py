"""Data types shared by the acquire stage: limits, archive members, opened archives."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Bounds on reading one archive. A limit that is hit stops reading and is reported, never ignored."""

    max_archive_bytes: int = 256 * 1024 * 1024
    max_members: int = 50_000
    max_member_bytes: int = 16 * 1024 * 1024
    max_total_bytes: int = 256 * 1024 * 1024
    max_ratio: float = 250.0
    max_seconds: float = 60.0


@dataclass(frozen=True)
class Member:
    """One regular file read from an archive: a safe relative POSIX path and its bytes."""

    path: str
    data: bytes


@dataclass(frozen=True)
class Archive:
    """An opened package: its members in memory, plus anything odd seen while reading it.

    ``notes`` lists anomalies (skipped links, path tricks, devices); ``limit_hit`` names the limit that
    stopped reading early, if any (members then holds what was read before it).
    """

    target: str
    filename: str
    sha256: str
    format: str
    members: tuple[Member, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    limit_hit: str | None = None
