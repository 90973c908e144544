"""Read a zip (sdist, wheel, egg) into a :class:`~vetpy.acquire.reader.Reader`, as pip unpacks it.

pip writes every zip member as a regular file whatever its mode bits say (symlink, FIFO, device), so
such members are read like any other file, with a note. Encrypted members are skipped with a note (pip
cannot extract them either).
"""

from __future__ import annotations

import bz2
import copy
import io
import lzma
import stat
import struct
import zipfile
from typing import IO

from vetpy.acquire.reader import CHUNK, READ_ERRORS, Reader, one_line, safe_path

_KINDS = {
    stat.S_IFLNK: "symlink",
    stat.S_IFIFO: "fifo",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFSOCK: "socket",
}


def read_zip(data: bytes, reader: Reader) -> None:
    """Read every member of a zip (declared sizes are not trusted: members are streamed in chunks)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            reader.entry()
            name = info.filename
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                reader.note(f"skipped encrypted member {one_line(name)}")
                continue
            path = safe_path(name, reader.note)
            if path is None:
                reader.note(f"skipped unnamed member {one_line(name)!r}")
                continue
            mode = info.external_attr >> 16
            kind = _KINDS.get(stat.S_IFMT(mode)) if mode else None
            if kind:
                reader.note(
                    f"member {one_line(name)} has {kind} mode bits: read as the regular file pip writes"
                )
            try:
                if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    with archive.open(info) as stream:
                        reader.read_chunked(path, stream)
                else:  # zipfile inflates bzip2/lzma members with no output bound: do it here, bounded
                    reader.read_chunked(path, _zip_member_bounded(archive, info))
            except READ_ERRORS as exc:
                reader.note(f"unreadable member {one_line(name)} ({one_line(exc, 80)})")


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
