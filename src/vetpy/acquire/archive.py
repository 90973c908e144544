"""Open a package archive (or an unpacked folder) into memory, safely and behind limits.

Nothing is extracted to disk and nothing is executed. Members are read in chunks so a decompression bomb is
stopped as soon as it passes a limit, whatever the archive declares. Links, devices and path tricks are
skipped or neutralised and recorded in ``Archive.notes``. A limit that is hit stops reading: the members read
so far are returned with ``Archive.limit_hit`` set; only when nothing at all could be read does it raise.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import hashlib
import io
import lzma
import os
import posixpath
import stat
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

from vetpy.acquire.interface import Archive, Limits, Member
from vetpy.acquire.sniff import HEAD_BYTES, detect_format
from vetpy.errors import AcquireError, LimitExceeded

#: Bytes read per call when a member's size is not known in advance (zip members).
CHUNK = 1024 * 1024
#: Below this many decompressed bytes the ratio limit does not apply (a tiny archive is not a bomb).
RATIO_FLOOR = 1024 * 1024
#: Most notes kept per archive (a hostile archive could otherwise produce millions).
MAX_NOTES = 200
#: Most decompressed bytes a tar may spend between two members' data (headers: pax, GNU long names,
#: sparse maps). tarfile reads a header's data in one piece, so a 1 GiB pax header would be held in memory.
MAX_HEADER_BYTES = 1024 * 1024

_clock: Callable[[], float] = time.monotonic

_TAR_FORMATS = ("tar.gz", "tar.bz2", "tar.xz", "tar")
_READ_ERRORS = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    TypeError,  # tarfile on a gzip header cut short
    IndexError,
    KeyError,
    struct.error,
)


def human_bytes(n: float) -> str:
    """A short size: "512 B", "3 KiB", "1 GiB"."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" or n >= 10 else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.0f} GiB"  # pragma: no cover - loop always returns


def _one_line(text: object, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _Stop(Exception):
    """Internal: a limit was hit; the message names it."""


class _Reader:
    """Collects members and enforces the limits that apply across an archive."""

    def __init__(self, limits: Limits, compressed_size: int | None) -> None:
        self.limits = limits
        self.compressed = None if compressed_size is None else max(compressed_size, 1)
        self.members: list[Member] = []
        self.notes: list[str] = []
        self.seen: set[str] = set()
        self.entries = 0
        self.kept = 0  # bytes held in memory
        self.inflated = 0  # bytes decompressed, skipped members included
        self.deadline = _clock() + limits.max_seconds
        self.streamed = 0  # bytes out of a tar's decompressor (headers included)
        self.allowed = MAX_HEADER_BYTES  # ``streamed`` may not pass this before the next member

    def note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)
        elif len(self.notes) == MAX_NOTES:
            self.notes.append("more notes omitted")

    def entry(self) -> None:
        """Count one archive entry (of any type) and check the per-archive limits."""
        self.entries += 1
        if self.entries > self.limits.max_members:
            raise _Stop(f"members: more than {self.limits.max_members}")
        if _clock() > self.deadline:
            raise _Stop(f"time: more than {self.limits.max_seconds:g} s")

    def inflate(self, size: int) -> None:
        """Account for ``size`` bytes about to be decompressed; stop before a bomb is inflated."""
        self.inflated += size
        if (
            self.compressed is not None
            and self.inflated > RATIO_FLOOR
            and self.inflated > self.limits.max_ratio * self.compressed
        ):
            raise _Stop(f"ratio: {human_bytes(self.inflated)} from {human_bytes(self.compressed)}")

    def too_large(self, path: str, size: int) -> bool:
        """True (with a note) when a member of ``size`` bytes is over the per-member limit."""
        if size > self.limits.max_member_bytes:
            self.note(f"skipped large member {path} (more than {human_bytes(self.limits.max_member_bytes)})")
            return True
        return False

    def read(self, path: str, stream: IO[bytes], declared: int) -> None:
        """Read one member that should be at most ``declared`` bytes; never more than the member limit."""
        data = stream.read(min(declared, self.limits.max_member_bytes) + 1)
        if len(data) > declared:
            self.inflated += len(data) - declared
        if not self.too_large(path, len(data)):
            self._keep(path, data)
        if _clock() > self.deadline:
            raise _Stop(f"time: more than {self.limits.max_seconds:g} s")

    def read_chunked(self, path: str, stream: IO[bytes]) -> None:
        """Read a member of unknown size in chunks, checking the ratio limit as it inflates."""
        limit = self.limits.max_member_bytes
        want = min(CHUNK, limit + 1)
        data = stream.read(want)
        self.inflate(len(data))
        if len(data) == want:  # more may follow
            parts = [data]
            size = len(data)
            while size <= limit:
                chunk = stream.read(min(CHUNK, limit + 1 - size))
                if not chunk:
                    break
                self.inflate(len(chunk))
                parts.append(chunk)
                size += len(chunk)
            data = b"".join(parts)
        if not self.too_large(path, len(data)):
            self._keep(path, data)
        if _clock() > self.deadline:
            raise _Stop(f"time: more than {self.limits.max_seconds:g} s")

    def expect(self, size: int) -> None:
        """A tar member's header promised ``size`` data bytes: allow them, plus the next headers."""
        self.allowed = self.streamed + size + MAX_HEADER_BYTES

    def streamed_bytes(self, n: int) -> None:
        """Count ``n`` bytes out of a tar's decompressor; stop at the ratio or at oversized headers."""
        self.streamed += n
        if (
            self.compressed is not None
            and self.streamed > RATIO_FLOOR
            and self.streamed > self.limits.max_ratio * self.compressed
        ):
            raise _Stop(f"ratio: {human_bytes(self.streamed)} from {human_bytes(self.compressed)}")
        if self.streamed > self.allowed:
            raise _Stop(f"header: more than {human_bytes(MAX_HEADER_BYTES)} of tar header data")

    def _keep(self, path: str, data: bytes) -> None:
        if self.kept + len(data) > self.limits.max_total_bytes:
            raise _Stop(f"total: more than {human_bytes(self.limits.max_total_bytes)}")
        self.kept += len(data)
        if path in self.seen:
            self.note(f"duplicate path {path}")
        self.seen.add(path)
        self.members.append(Member(path, data))


def safe_path(raw: str, notes: Callable[[str], None]) -> str | None:
    """A relative POSIX path with no "..", leading "/" or drive; None when nothing is left."""
    name = raw.replace("\\", "/")
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        name = name[2:]
    if name.startswith("/"):
        notes(f"absolute path: {_one_line(raw)}")
    parts = name.split("/")
    if ".." in parts:
        notes(f"path traversal: {_one_line(raw)}")
        parts = posixpath.normpath("/" + "/".join(parts)).split("/")
    clean = "/".join(p for p in parts if p and p != ".")
    return clean or None


def _fix_name(name: str) -> str:
    """Undecodable bytes (kept by tarfile as surrogates) become U+FFFD."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _Inflated:
    """The decompressed bytes of a tar, produced at most ``size`` at a time and counted by the reader.

    tarfile's own stream mode hands whole input blocks to the decompressor with no output bound (a few KiB
    of bzip2 can ask for gigabytes at once); the gzip/bz2/lzma file classes bound each read instead.
    """

    def __init__(self, data: bytes, fmt: str, reader: _Reader) -> None:
        raw = io.BytesIO(data)  # all in memory: nothing to close
        self.source: io.BufferedIOBase
        if fmt == "tar.gz":
            self.source = gzip.GzipFile(fileobj=raw, mode="rb")
        elif fmt == "tar.bz2":
            self.source = bz2.BZ2File(raw, mode="rb")
        elif fmt == "tar.xz":
            self.source = lzma.LZMAFile(raw, mode="rb")  # noqa: SIM115
        else:
            self.source = raw
        self.reader = reader

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size if 0 <= size <= CHUNK else CHUNK)
        self.reader.streamed_bytes(len(chunk))
        return chunk


def _read_tar(data: bytes, fmt: str, reader: _Reader) -> None:
    with tarfile.open(fileobj=_Inflated(data, fmt, reader), mode="r|") as tar:  # type: ignore[call-overload]
        for info in tar:
            reader.entry()
            reader.expect(info.size if info.isreg() else 0)
            name = _fix_name(info.name)
            if info.isreg():
                # A tar header's size is exact (it places the next header), so check before inflating.
                reader.inflate(info.size)
                path = safe_path(name, reader.note)
                if path is None:
                    reader.note(f"skipped unnamed member {_one_line(name)!r}")
                elif not reader.too_large(path, info.size):
                    stream = tar.extractfile(info)
                    if stream is not None:
                        reader.read(path, stream, info.size)
            elif info.isdir():
                continue
            elif info.issym():
                reader.note(f"skipped symlink {_one_line(name)} -> {_one_line(_fix_name(info.linkname))}")
            elif info.islnk():
                reader.note(f"skipped hardlink {_one_line(name)} -> {_one_line(_fix_name(info.linkname))}")
            elif info.ischr() or info.isblk():
                reader.note(f"skipped device {_one_line(name)}")
            elif info.isfifo():
                reader.note(f"skipped fifo {_one_line(name)}")
            else:
                reader.note(f"skipped member {_one_line(name)} of type {info.type!r}")


def _read_zip(data: bytes, reader: _Reader) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            reader.entry()
            name = info.filename
            mode = info.external_attr >> 16
            if info.is_dir():
                continue
            if stat.S_ISLNK(mode):
                reader.note(f"skipped symlink {_one_line(name)}")
                continue
            if mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                reader.note(f"skipped special member {_one_line(name)}")
                continue
            if info.flag_bits & 0x1:
                reader.note(f"skipped encrypted member {_one_line(name)}")
                continue
            path = safe_path(name, reader.note)
            if path is None:
                reader.note(f"skipped unnamed member {_one_line(name)!r}")
                continue
            # Declared sizes are not trusted (pip would read past a lie): stream in chunks instead.
            try:
                if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    with archive.open(info) as stream:
                        reader.read_chunked(path, stream)
                else:  # zipfile inflates bzip2/lzma members with no output bound: do it here, bounded
                    reader.read_chunked(path, _zip_member_bounded(archive, info))
            except _READ_ERRORS as exc:
                reader.note(f"unreadable member {_one_line(name)} ({_one_line(exc, 80)})")


class _Decompressed:
    """Output of a bzip2/lzma decompressor, at most ``size`` bytes per read."""

    def __init__(self, decompressor: bz2.BZ2Decompressor | lzma.LZMADecompressor, data: bytes) -> None:
        self.decompressor = decompressor
        self.pending = data

    def read(self, size: int = -1) -> bytes:
        if self.decompressor.eof:
            return b""
        out = self.decompressor.decompress(self.pending, max_length=size if size >= 0 else CHUNK)
        self.pending = b""
        if not out and self.decompressor.needs_input:
            raise EOFError("compressed member ended before the end-of-stream marker")
        return out


def _zip_member_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> IO[bytes]:
    """A bzip2 or lzma zip member, decompressed with bounded output per read."""
    raw_info = copy.copy(info)
    raw_info.compress_type, raw_info.file_size = zipfile.ZIP_STORED, info.compress_size
    raw_info.CRC = None  # type: ignore[assignment]  # the CRC is of the decompressed bytes: skip its check
    with archive.open(raw_info) as stream:  # the stored bytes, not decompressed, no CRC check
        raw = stream.read(info.compress_size)
    if info.compress_type == zipfile.ZIP_BZIP2:
        return _Decompressed(bz2.BZ2Decompressor(), raw)  # type: ignore[return-value]
    if info.compress_type == zipfile.ZIP_LZMA:
        (size,) = struct.unpack("<H", raw[2:4])
        props = lzma._decode_filter_properties(lzma.FILTER_LZMA1, raw[4 : 4 + size])  # type: ignore[attr-defined]
        decompressor = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=[props])
        return _Decompressed(decompressor, raw[4 + size :])  # type: ignore[return-value]
    raise NotImplementedError(f"compression method {info.compress_type}")


def _read_folder(root: Path, reader: _Reader) -> None:
    """Walk ``root`` without following symlinks; read regular files only."""
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            reader.note(f"unreadable folder {prefix or '.'} ({_one_line(exc.strerror or exc, 80)})")
            continue
        subfolders = []
        for entry in entries:
            reader.entry()
            rel = prefix + _fix_name(entry.name)
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    target = "?"
                reader.note(f"skipped symlink {rel} -> {_one_line(target)}")
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
                    reader.note(f"unreadable file {rel} ({_one_line(exc.strerror or exc, 80)})")
            else:
                reader.note(f"skipped special file {rel}")
        pending.extend(reversed(subfolders))


def _finish(reader: _Reader, stop: str | None, *, target: str, filename: str, sha: str, fmt: str) -> Archive:
    if stop is not None and not reader.members:
        raise LimitExceeded(f"{filename}: {stop}")
    return Archive(
        target=target,
        filename=filename,
        sha256=sha,
        format=fmt,
        members=tuple(reader.members),
        notes=tuple(reader.notes),
        limit_hit=stop,
    )


def _too_big(name: str, size: int, limits: Limits) -> str:
    return f"{name}: archive: {human_bytes(size)} is more than {human_bytes(limits.max_archive_bytes)}"


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
        name = filename or source.name or str(source)
        reader = _Reader(limits, None)
        stop = None
        try:
            _read_folder(source, reader)
        except _Stop as exc:
            stop = str(exc)
        return _finish(reader, stop, target=target, filename=name, sha="", fmt="folder")

    if isinstance(source, Path):
        name = filename or source.name
        try:
            info = source.stat()
            if not stat.S_ISREG(info.st_mode):
                raise AcquireError(f"{name}: not a readable archive (not a regular file)")
            size = info.st_size
            if size > limits.max_archive_bytes:
                raise LimitExceeded(_too_big(name, size, limits))
            data = source.read_bytes()
        except OSError as exc:
            raise AcquireError(f"{name}: cannot read ({_one_line(exc.strerror or exc, 80)})") from exc
    else:
        name = filename or target
        data = bytes(source)
    if len(data) > limits.max_archive_bytes:
        raise LimitExceeded(_too_big(name, len(data), limits))

    fmt = detect_format(data[:HEAD_BYTES], name)
    if fmt == "unknown":
        why = "empty file" if not data else "unknown format"
        raise AcquireError(f"{name}: not a readable archive ({why})")
    sha = hashlib.sha256(data).hexdigest()
    reader = _Reader(limits, len(data))
    stop = None
    try:
        if fmt in _TAR_FORMATS:
            _read_tar(data, fmt, reader)
        else:
            _read_zip(data, reader)
    except _Stop as exc:
        stop = str(exc)
    except _READ_ERRORS as exc:
        why = _one_line(exc, 100) or type(exc).__name__
        raise AcquireError(f"{name}: not a readable archive ({why})") from exc
    return _finish(reader, stop, target=target, filename=name, sha=sha, fmt=fmt)


__all__ = ["RATIO_FLOOR", "human_bytes", "open_archive", "safe_path"]
