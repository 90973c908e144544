"""Tell an archive's format from its first bytes: extensions lie (real samples are zips named .tar.gz)."""

from __future__ import annotations

#: How many leading bytes ``detect_format`` needs to see (the tar header block).
HEAD_BYTES = 512

FORMATS = ("zip", "wheel", "egg", "tar.gz", "tar.bz2", "tar.xz", "tar", "folder", "unknown")


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


def detect_format(head: bytes, filename: str | None = None) -> str:
    """The format of an archive whose first bytes are ``head``, by content only.

    Returns "zip", "tar.gz", "tar.bz2", "tar.xz", "tar" or "unknown". A zip whose ``filename`` ends in
    ``.whl`` or ``.egg`` is reported as "wheel" or "egg" (the name never overrides the content).
    """
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        lower = (filename or "").lower()
        if lower.endswith(".whl"):
            return "wheel"
        if lower.endswith(".egg"):
            return "egg"
        return "zip"
    if head[:2] == b"\x1f\x8b":
        return "tar.gz"
    if head[:3] == b"BZh":
        return "tar.bz2"
    if head[:6] == b"\xfd7zXZ\x00":
        return "tar.xz"
    if _is_tar_header(head):
        return "tar"
    return "unknown"
