"""An installed environment: each distribution in a site-packages folder, read from its RECORD.

``vetpy scan --installed [SITE_PACKAGES]`` scans one result per distribution: the files its ``RECORD``
lists (the package, its ``.pth`` files, its console scripts) are read as the members of an archive-like
set, in memory, behind the usual limits; nothing is imported. Paths are kept inside the environment (a
``RECORD`` line cannot make vetpy read ``/etc/passwd``), only regular files are read, symlinks are not
followed out of the environment, and a file whose content no longer matches its ``RECORD`` hash is noted
(it changed after installation).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import stat
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from vetpy.acquire.interface import Archive, ArchiveFormat, Limits, Member
from vetpy.acquire.projectfile import cut
from vetpy.errors import AcquireError, LimitExceeded

MAX_RECORD_BYTES = 16 * 1024 * 1024
MAX_NOTES = 50


@dataclass(frozen=True)
class InstalledDistribution:
    """One ``*.dist-info`` folder of a site-packages folder."""

    site: Path
    dist_info: Path
    name: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.name}=={self.version}"


def default_site_packages() -> list[Path]:
    """The current interpreter's site-packages folders (purelib, and platlib when it differs)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(Path(paths[key]) for key in ("purelib", "platlib") if key in paths))


def _name_version(dist_info: Path) -> tuple[str, str]:
    """From METADATA when readable (bounded), else from the folder name ``name-version.dist-info``."""
    stem = dist_info.name.removesuffix(".dist-info")
    name, _, version = stem.partition("-")
    metadata = dist_info / "METADATA"
    try:
        with metadata.open("rb") as handle:
            head = handle.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return name, version
    fields: dict[str, str] = {}
    for line in head.splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    return fields.get("name") or name, fields.get("version") or version


def distributions(site: Path) -> list[InstalledDistribution]:
    """Every ``*.dist-info`` folder directly in ``site``, sorted by name."""
    if not site.is_dir():
        raise AcquireError(f"{cut(str(site))}: not a folder (give a site-packages folder)")
    found = []
    for entry in sorted(site.iterdir()):
        if entry.name.endswith(".dist-info") and entry.is_dir() and not entry.is_symlink():
            name, version = _name_version(entry)
            found.append(InstalledDistribution(site, entry, name, version))
    return found


def _environment_root(site: Path) -> Path:
    """The folder RECORD paths may reach: the prefix above ``lib/pythonX.Y/site-packages``."""
    resolved = site.resolve()
    if resolved.parent.name.startswith("python") and resolved.parent.parent.name in ("lib", "lib64"):
        return resolved.parent.parent.parent
    return resolved


def _record_rows(dist_info: Path) -> list[tuple[str, str]]:
    record = dist_info / "RECORD"
    try:
        info = record.lstat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
            raise AcquireError(f"{dist_info.name}: RECORD is not a regular file of at most 16 MiB")
        text = record.read_bytes().decode("utf-8", "replace")
    except FileNotFoundError as exc:
        raise AcquireError(
            f"{dist_info.name}: no RECORD file (installed by a tool that does not write one)"
        ) from exc
    except OSError as exc:
        raise AcquireError(f"{dist_info.name}: cannot read RECORD ({exc.strerror or exc})") from exc
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0]:
            rows.append((row[0], row[1] if len(row) > 1 else ""))
    return rows


def _member_name(site: Path, root: Path, path: Path) -> str:
    """Site-relative for package files, environment-relative (``bin/tool``) for the rest."""
    for base in (site.resolve(), root):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


def _read_regular(path: Path, limit: int) -> bytes | str:
    """The bytes of a regular file, or why it was not read."""
    try:
        info = path.lstat()
    except OSError as exc:
        return f"missing ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > limit:
        return f"larger than {limit} bytes"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError as exc:
        return f"unreadable ({exc.strerror or exc})"
    with os.fdopen(fd, "rb") as handle:
        return handle.read(limit + 1)[:limit]


def _inside(site: Path, relative: str, root: Path) -> Path | None:
    """The real path of a RECORD entry when it lies inside the environment ``root``, else None."""
    posix = PurePosixPath(relative.replace("\\", "/"))
    try:
        resolved = (site / posix).resolve() if not posix.is_absolute() else Path(posix).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return resolved if str(resolved).startswith(str(root) + os.sep) else None


def _hash_matches(data: bytes, recorded: str) -> bool:
    algorithm, _, expected = recorded.partition("=")
    if algorithm not in hashlib.algorithms_guaranteed or not expected:
        return True
    digest = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
    return digest == expected


def open_installed(dist: InstalledDistribution, *, limits: Limits = Limits()) -> Archive:  # noqa: B008
    """The files RECORD lists for ``dist``, read in memory behind ``limits`` (nothing is imported)."""
    rows = _record_rows(dist.dist_info)
    root = _environment_root(dist.site)
    deadline = time.monotonic() + limits.max_seconds
    members: list[Member] = []
    notes: list[str] = [f"installed distribution read from {dist.dist_info.name}/RECORD"]
    total = 0
    stop: str | None = None
    record_digest = hashlib.sha256()
    for relative, recorded in rows:
        if len(members) >= limits.max_members:
            stop = f"more than {limits.max_members} files"
            break
        if time.monotonic() > deadline:
            stop = f"reading took more than {limits.max_seconds:g} s"
            break
        candidate = _inside(dist.site, relative, root)
        if candidate is None:
            notes.append(f"{cut(relative)}: outside the environment (or a link out of it), not read")
            continue
        data = _read_regular(candidate, limits.max_member_bytes)
        if isinstance(data, str):
            if "larger than" in data:
                stop = f"{cut(relative)}: {data}"
                break
            if relative.endswith(".pyc") or "__pycache__" not in relative:
                notes.append(f"{cut(relative)}: {data}")
            continue
        total += len(data)
        if total > limits.max_total_bytes:
            stop = f"more than {limits.max_total_bytes} bytes in all"
            break
        if recorded and not _hash_matches(data, recorded):
            notes.append(f"{cut(relative)}: content differs from its RECORD hash (changed after install)")
        record_digest.update(relative.encode("utf-8", "surrogateescape") + b"\0" + data)
        members.append(Member(_member_name(dist.site, root, candidate), data))
    if stop is not None and not members:
        raise LimitExceeded(f"{dist.dist_info.name}: {stop}")
    if len(notes) > MAX_NOTES:
        notes = [*notes[:MAX_NOTES], f"{len(notes) - MAX_NOTES} more notes omitted"]
    return Archive(
        target=dist.label,
        filename=dist.dist_info.name,
        sha256=record_digest.hexdigest(),
        format=ArchiveFormat.WHEEL,
        members=tuple(members),
        notes=tuple(notes),
        limit_hit=stop,
    )
