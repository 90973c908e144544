"""What a batch scans: every archive under a folder (found by content), or the lines of a targets file."""

from __future__ import annotations

import os
from pathlib import Path

from vetpy.acquire.interface import ArchiveFormat
from vetpy.acquire.sniff import HEAD_BYTES, detect_format
from vetpy.errors import VetpyError


def is_archive(path: Path) -> bool:
    """True when the file's first bytes are those of an archive vetpy reads (extensions are ignored)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return False
    return detect_format(head, path.name) is not ArchiveFormat.UNKNOWN


def archives_under(folder: Path) -> list[str]:
    """Every archive under ``folder``, recursively, sorted; folder symlinks are not followed."""
    found: list[str] = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            if path.is_file() and is_archive(path):
                found.append(str(path))
    return found


def targets_in_file(path: Path) -> list[str]:
    """The targets listed in a text file, one per line; blank lines and ``#`` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise VetpyError(f"{path}: not a UTF-8 text file of targets") from exc
    except OSError as exc:
        raise VetpyError(f"cannot read {path}: {exc.strerror or exc}") from exc
    targets: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if " #" in line:
            line = line.split(" #", 1)[0].rstrip()
        if line:
            targets.append(line)
    return targets


def discover(source: Path) -> list[str]:
    """The targets of a batch input, without duplicates, in a stable order."""
    if source.is_dir():
        found = archives_under(source)
    elif source.is_file():
        if is_archive(source):
            raise VetpyError(f"{source} is an archive: give a folder or a targets file (or use 'vetpy scan')")
        found = targets_in_file(source)
    else:
        raise VetpyError(f"{source}: no such folder or targets file")
    return list(dict.fromkeys(found))
