"""Near-duplicate keys: packages whose Python sources are the same once names, versions, comments and
whitespace are normalised share a key, so cross-validation can keep copies of one malware together."""

from __future__ import annotations

import hashlib
import re

from vetpy.acquire.interface import Archive

_COMMENT = re.compile(rb"#[^\n]*")
_SPACE = re.compile(rb"\s+")


def _name_variants(name: str) -> list[bytes]:
    base = name.strip().lower()
    variants = {base, base.replace("-", "_"), base.replace("_", "-"), base.replace("-", "").replace("_", "")}
    return sorted((v.encode() for v in variants if len(v) >= 3), key=len, reverse=True)


def normalise_source(data: bytes, name: str, version: str) -> bytes:
    text = data.lower()
    for variant in _name_variants(name):
        text = text.replace(variant, b"<pkg>")
    if version and len(version) >= 3:
        text = text.replace(version.lower().encode(), b"<ver>")
    text = _COMMENT.sub(b"", text)
    return _SPACE.sub(b"", text)


def near_duplicate_key(archive: Archive, name: str, version: str) -> str:
    """Hash of the normalised Python sources (by base file name), or of all members when there are none."""
    parts: list[bytes] = []
    for member in archive.members:
        if member.path.endswith(".py"):
            base = member.path.rsplit("/", 1)[-1].lower().encode()
            parts.append(base + b"\0" + hashlib.sha256(normalise_source(member.data, name, version)).digest())
    if not parts:
        parts = [hashlib.sha256(m.data).digest() for m in archive.members]
    return hashlib.sha256(b"\n".join(sorted(parts))).hexdigest()[:20]
