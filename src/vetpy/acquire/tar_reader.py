"""Read a tar (plain, gzip, bzip2, xz) into a :class:`~vetpy.acquire.reader.Reader`, as pip unpacks it.

Regular files are read; a symlink or hardlink whose target is inside the archive is read as that
target's content (pip recreates the link, so a ``setup.py`` linking to a data file runs that file); a
link that leaves the archive is noted, recorded as a finding, and never followed. Devices and FIFOs are
noted and skipped (pip does not create them either).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import posixpath
import tarfile

from vetpy.acquire.interface import ArchiveFormat
from vetpy.acquire.reader import CHUNK, Link, Reader, fix_name, one_line, safe_path
from vetpy.acquire.tar_header import tarinfo_class

#: Most links followed one after another (a loop or a long chain stops here).
MAX_LINK_HOPS = 40


class _Inflated:
    """The decompressed bytes of a tar, produced at most ``size`` at a time and counted by the reader.

    tarfile's own stream mode hands whole input blocks to the decompressor with no output bound (a few KiB
    of bzip2 can ask for gigabytes at once); the gzip/bz2/lzma file classes bound each read instead.
    """

    def __init__(self, data: bytes, fmt: ArchiveFormat, reader: Reader) -> None:
        raw = io.BytesIO(data)  # all in memory: nothing to close
        self.source: io.BufferedIOBase
        if fmt is ArchiveFormat.TAR_GZ:
            self.source = gzip.GzipFile(fileobj=raw, mode="rb")
        elif fmt is ArchiveFormat.TAR_BZ2:
            self.source = bz2.BZ2File(raw, mode="rb")
        elif fmt is ArchiveFormat.TAR_XZ:
            self.source = lzma.LZMAFile(raw, mode="rb")  # noqa: SIM115
        else:
            self.source = raw
        self.reader = reader

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size if 0 <= size <= CHUNK else CHUNK)
        self.reader.streamed_bytes(len(chunk))
        return chunk


def link_target(path: str, raw_name: str, linkname: str, *, hard: bool) -> str:
    """The archive path a link points to ("" when it leaves the archive). A symlink is relative to its
    own folder, a hardlink to the archive root (as tarfile resolves them)."""
    target = linkname.replace("\\", "/")
    if target.startswith("/") or (len(target) >= 2 and target[1] == ":"):
        return ""
    base = "" if hard else posixpath.dirname(raw_name.replace("\\", "/"))
    joined = posixpath.normpath(posixpath.join(base, target)) if target else ""
    if not joined or joined == "." or joined == ".." or joined.startswith(("../", "/")):
        return ""
    return joined


def _link(reader: Reader, info: tarfile.TarInfo, name: str) -> None:
    kind = "hardlink" if info.islnk() else "symlink"
    raw_target = fix_name(info.linkname)
    path = safe_path(name, reader.note)
    if path is None:
        reader.note(f"skipped unnamed {kind} {one_line(name)!r}")
        return
    target = link_target(path, name, raw_target, hard=info.islnk())
    if not target:
        reader.find(
            "link_escape",
            f"{kind} {one_line(name)} points outside the archive ({one_line(raw_target)}); not followed",
            path,
        )
        return
    reader.links.append(Link(path, target, raw_target, info.islnk()))


def read_tar(data: bytes, fmt: ArchiveFormat, reader: Reader) -> None:
    """Read every member of a tar; links are collected for :func:`resolve_links`."""
    source = _Inflated(data, fmt, reader)
    with tarfile.open(fileobj=source, mode="r|", tarinfo=tarinfo_class()) as tar:  # type: ignore[call-overload]
        for info in tar:
            reader.entry()
            reader.expect(info.size if info.isreg() else 0)
            name = fix_name(info.name)
            if info.isreg():
                # A tar header's size is exact (it places the next header), so check before inflating.
                reader.inflate(info.size)
                path = safe_path(name, reader.note)
                if path is None:
                    reader.note(f"skipped unnamed member {one_line(name)!r}")
                elif not reader.too_large(path, info.size):
                    stream = tar.extractfile(info)
                    if stream is not None:
                        reader.read(path, stream, info.size)
            elif info.isdir():
                continue
            elif info.issym() or info.islnk():
                _link(reader, info, name)
            elif info.ischr() or info.isblk():
                reader.note(f"skipped device {one_line(name)}")
            elif info.isfifo():
                reader.note(f"skipped fifo {one_line(name)}")
            else:
                reader.note(f"skipped member {one_line(name)} of type {info.type!r}")


def resolve_links(reader: Reader) -> None:
    """Read each link inside the archive as its target's content (the last copy of the target, as an
    extraction leaves it); a link to a folder or to nothing is noted."""
    files = {m.path: m.data for m in reader.members}
    links = {link.path: link for link in reader.links}
    folders = {"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)}
    for link in reader.links:
        target, hops = link.target, 0
        while target in links and target not in files and hops < MAX_LINK_HOPS:
            target, hops = links[target].target, hops + 1
        kind = "hardlink" if link.hard else "symlink"
        shown = f"{kind} {link.path} -> {one_line(link.raw)}"
        if target in files:
            reader.note(f"{shown} read as the content of {target}")
            reader.keep(link.path, files[target])
        elif target in folders:
            reader.note(f"{shown} (a folder inside the archive, read where it is)")
        else:
            reader.note(f"{shown} (target not in the archive)")
