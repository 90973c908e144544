"""Tell an archive's format from its first bytes: extensions lie (real samples are zips named .tar.gz)."""

from __future__ import annotations

import io
import zipfile

from vetpy.acquire.interface import ArchiveFormat

#: How many leading bytes ``detect_format`` needs to see (the tar header block).
HEAD_BYTES = 512


def _is_tar_header(head: bytes) -> bool:
    """A POSIX/GNU tar header ("ustar" at 257), or a pre-POSIX one whose checksum adds up."""
    if len(head) < 512:
        return False
    if head[257:262] == b"ustar":
        return True
    field = head[148:156].replace(b"\x00", b" ").strip()
    if not field or not head[:100].strip(b"\x00"):
        return False
    try:
        stored = int(field, 8)
    except ValueError:
        return False
    unsigned = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return stored == unsigned


def detect_format(head: bytes, filename: str | None = None) -> ArchiveFormat:
    """The format of an archive whose first bytes are ``head``, by content only.

    Returns "zip", "tar.gz", "tar.bz2", "tar.xz", "tar" or "unknown". A zip whose ``filename`` ends in
    ``.whl`` or ``.egg`` is reported as "wheel" or "egg" (the name never overrides the content).
    """
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        lower = (filename or "").lower()
        if lower.endswith(".whl"):
            return ArchiveFormat.WHEEL
        if lower.endswith(".egg"):
            return ArchiveFormat.EGG
        return ArchiveFormat.ZIP
    if head[:2] == b"\x1f\x8b":
        return ArchiveFormat.TAR_GZ
    if head[:3] == b"BZh":
        return ArchiveFormat.TAR_BZ2
    if head[:6] == b"\xfd7zXZ\x00":
        return ArchiveFormat.TAR_XZ
    if _is_tar_header(head):
        return ArchiveFormat.TAR
    return ArchiveFormat.UNKNOWN


#: Names pip always unpacks as zips (pip._internal.utils.filetypes.ZIP_EXTENSIONS).
PIP_ZIP_EXTENSIONS = (".zip", ".whl")


def unpack_format(data: bytes, filename: str | None = None) -> tuple[ArchiveFormat, str | None]:
    """The format pip's unpacker would use for ``data`` (pip._internal.utils.unpacking.unpack_file), and a
    message when the bytes are also valid as another format (a polyglot).

    pip unzips any file named ``.zip``/``.whl`` *or* holding a zip central directory, even one that starts
    like a tar.gz; anything else it untars. A name that promises a zip without one is read by content.
    """
    by_content = detect_format(data[:HEAD_BYTES], filename)
    lower = (filename or "").lower()
    try:
        is_zip = zipfile.is_zipfile(io.BytesIO(data))
    except (OSError, ValueError):  # pragma: no cover - in-memory reads do not fail
        is_zip = False
    if not is_zip:
        return by_content, None
    as_zip = (
        ArchiveFormat.WHEEL
        if lower.endswith(".whl")
        else ArchiveFormat.EGG
        if lower.endswith(".egg")
        else ArchiveFormat.ZIP
    )
    if by_content.is_tar:
        return (
            as_zip,
            f"valid as {by_content} and as zip: pip unpacks it as a zip, so the zip is what is read",
        )
    if by_content is ArchiveFormat.UNKNOWN and data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        return as_zip, "a zip behind other leading bytes: pip unpacks it as a zip"
    return as_zip, None
