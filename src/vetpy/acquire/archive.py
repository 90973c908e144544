"""Open a package archive (or an unpacked folder) into memory, safely, behind limits, as pip sees it.

Nothing is extracted to disk and nothing is executed. The format is decided as pip's unpacker decides it
(a file with a zip central directory is a zip, whatever its first bytes say); members are read in chunks
so a decompression bomb is stopped as soon as it passes a limit. Tar links inside the archive are read as
their targets, zip members as regular files whatever their mode bits, and anything odd is recorded in
``Archive.notes`` (hard signals also in ``Archive.findings``). A limit that is hit stops reading: the
members read so far are returned with ``Archive.limit_hit`` set; only when nothing at all could be read
does it raise. Code views (decoded source, executed data files, bytecode) are added by
:mod:`vetpy.acquire.views`.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from vetpy.acquire import reader as reader_module
from vetpy.acquire.interface import Archive, ArchiveFormat, Limits
from vetpy.acquire.reader import (
    RATIO_FLOOR,
    READ_ERRORS,
    Reader,
    Stop,
    fix_name,
    human_bytes,
    one_line,
    safe_path,
)
from vetpy.acquire.sniff import unpack_format
from vetpy.acquire.tar_reader import read_tar, resolve_links
from vetpy.acquire.views import add_code_views
from vetpy.acquire.zip_reader import read_zip
from vetpy.errors import AcquireError, LimitExceeded


def _read_folder(root: Path, reader: Reader) -> None:
    """Walk ``root`` without following symlinks; read regular files only."""
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            reader.note(f"unreadable folder {prefix or '.'} ({one_line(exc.strerror or exc, 80)})")
            continue
        subfolders = []
        for entry in entries:
            reader.entry()
            rel = prefix + fix_name(entry.name)
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    target = "?"
                reader.note(f"skipped symlink {rel} -> {one_line(target)}")
            elif entry.is_dir(follow_symlinks=False):
                subfolders.append((Path(entry.path), rel + "/"))
            elif entry.is_file(follow_symlinks=False):
                try:
                    size = entry.stat(follow_symlinks=False).st_size
                    if reader.too_large(rel, size):
                        continue
                    with open(entry.path, "rb") as stream:
                        reader.read(rel, stream, size)
                except OSError as exc:
                    reader.note(f"unreadable file {rel} ({one_line(exc.strerror or exc, 80)})")
            else:
                reader.note(f"skipped special file {rel}")
        pending.extend(reversed(subfolders))


def _finish(
    reader: Reader, stop: str | None, *, target: str, filename: str, sha: str, fmt: ArchiveFormat
) -> Archive:
    if stop is None:
        try:
            resolve_links(reader)
        except Stop as exc:
            stop = str(exc)
    if stop is not None and not reader.members:
        raise LimitExceeded(f"{filename}: {stop}")
    archive = Archive(
        target=target,
        filename=filename,
        sha256=sha,
        format=fmt,
        members=tuple(reader.members),
        notes=tuple(reader.notes),
        limit_hit=stop or reader.incomplete,
        findings=tuple(reader.findings),
    )
    return add_code_views(archive, tuple(reader.oversized), reader.limits)


def _too_big(name: str, size: int, limits: Limits) -> str:
    return f"{name}: archive: {human_bytes(size)} is more than {human_bytes(limits.max_archive_bytes)}"


def _read_path(source: Path, name: str, limits: Limits) -> bytes:
    try:
        info = source.stat()
        if not stat.S_ISREG(info.st_mode):
            raise AcquireError(f"{name}: not a readable archive (not a regular file)")
        if info.st_size > limits.max_archive_bytes:
            raise LimitExceeded(_too_big(name, info.st_size, limits))
        with source.open("rb") as handle:  # never more than the limit, even if the file grows
            return handle.read(min(info.st_size, limits.max_archive_bytes) + 1)
    except OSError as exc:
        raise AcquireError(f"{name}: cannot read ({one_line(exc.strerror or exc, 80)})") from exc


def open_archive(
    source: bytes | str | Path,
    *,
    target: str,
    filename: str | None = None,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen
) -> Archive:
    """Read an archive (raw bytes, a file path, or an unpacked folder) into memory.

    Symlinks to the archive or folder itself are followed (the user named it); links inside are not.

    Raises AcquireError (one line) when the input is not a readable archive, and LimitExceeded when a
    limit stops reading before any member was read.
    """
    if isinstance(source, str):
        source = Path(source)
    if isinstance(source, Path) and source.is_dir():
        name = filename or fix_name(source.name or str(source))
        reader = Reader(limits, None)
        stop = None
        try:
            _read_folder(source, reader)
        except Stop as exc:
            stop = str(exc)
        return _finish(reader, stop, target=target, filename=name, sha="", fmt=ArchiveFormat.FOLDER)
    if isinstance(source, Path):
        name = filename or fix_name(source.name)
        data = _read_path(source, name, limits)
    else:
        name = filename or target
        data = bytes(source)
    if len(data) > limits.max_archive_bytes:
        raise LimitExceeded(_too_big(name, len(data), limits))

    fmt, polyglot = unpack_format(data, name)
    if fmt is ArchiveFormat.UNKNOWN:
        why = "empty file" if not data else "unknown format"
        raise AcquireError(f"{name}: not a readable archive ({why})")
    sha = hashlib.sha256(data).hexdigest()
    reader = Reader(limits, len(data))
    if polyglot:
        reader.find("polyglot", f"polyglot archive: {polyglot}")
    stop = None
    try:
        if fmt.is_tar:
            read_tar(data, fmt, reader)
        else:
            read_zip(data, reader)
    except Stop as exc:
        stop = str(exc)
    except READ_ERRORS as exc:
        why = one_line(exc, 100) or type(exc).__name__
        raise AcquireError(f"{name}: not a readable archive ({why})") from exc
    return _finish(reader, stop, target=target, filename=name, sha=sha, fmt=fmt)


__all__ = ["RATIO_FLOOR", "human_bytes", "open_archive", "reader_module", "safe_path"]
