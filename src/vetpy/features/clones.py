"""Is this Python file a file of a popular project's release? A lookup in a shipped fingerprint index.

A package made mostly of someone else's files (a clone of a real library with a few injected lines) should
be judged on what it adds or changes: :func:`known_file` tells which of its files are unmodified copies.

The index (``vetpy/data/clones.npz``, built by ``vetpy dataset clones``) is a NumPy ``.npz`` read with
``allow_pickle=False``: ``digests`` is a sorted 1-D ``uint64`` array, one fingerprint per distinct file,
and ``info`` the UTF-8 bytes of a JSON object with its provenance. A fingerprint is the first 8 bytes of
the sha256 of the file's normalised content, read little-endian: CRLF becomes LF and trailing whitespace
(``bytes.isspace``: space, tab, CR, VT, FF) is stripped from each line; nothing else changes. Files shorter
than :data:`MIN_BYTES` after normalisation have no fingerprint (an empty ``__init__.py`` says nothing).
With 8-byte fingerprints and ~10^5 entries, a chance match of one unrelated file is about 10^-14.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from vetpy.errors import VetpyError

FORMAT = 1
MIN_BYTES = 64
INFO_KEYS = ("format", "built", "projects", "digests", "source")


class CloneIndexError(VetpyError):
    """The clone index is missing, unreadable or malformed."""


def normalise(data: bytes) -> bytes:
    """``data`` with CRLF as LF and trailing whitespace stripped from every line (linear time; the CRLF
    search only when there is a CR, and each line stripped by ``map``, without a Python frame per line)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    return b"\n".join(map(bytes.rstrip, data.split(b"\n")))


def fingerprint(data: bytes) -> int | None:
    """The fingerprint of a file's content, or None when it is under :data:`MIN_BYTES` once normalised."""
    text = normalise(data)
    if len(text) < MIN_BYTES:
        return None
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little")


@dataclass(frozen=True)
class CloneIndex:
    """Sorted fingerprints and their provenance (see the module docstring)."""

    digests: npt.NDArray[np.uint64]
    info: dict[str, Any]

    def __contains__(self, digest: int) -> bool:
        where = int(np.searchsorted(self.digests, np.uint64(digest)))
        return where < len(self.digests) and int(self.digests[where]) == digest

    def known(self, data: bytes) -> bool:
        """Whether ``data`` (a file's raw bytes) is one of the indexed files."""
        digest = fingerprint(data)
        return digest is not None and digest in self


def encode_index(digests: npt.ArrayLike, info: dict[str, Any]) -> bytes:
    """The index file's bytes: ``digests`` deduplicated and sorted; ``info`` gains ``format`` and
    ``digests`` (the count) and must hold every key of :data:`INFO_KEYS`."""
    array = np.unique(np.asarray(digests, dtype=np.uint64))
    info = {**info, "format": FORMAT, "digests": int(array.size)}
    missing = [k for k in INFO_KEYS if k not in info]
    if missing:
        raise CloneIndexError(f"clone index info lacks {', '.join(missing)}")
    meta = np.frombuffer(json.dumps(info, sort_keys=True).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, digests=array, info=meta)
    return buffer.getvalue()


def decode_index(raw: bytes, name: str = "clone index") -> CloneIndex:
    """Read an index file's bytes (never unpickles); anything malformed raises CloneIndexError."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            digests = npz["digests"]
            meta = npz["info"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise CloneIndexError(f"{name}: not a readable clone index ({str(exc)[:120]})") from exc
    if digests.dtype != np.uint64 or digests.ndim != 1:
        shape = f"{digests.dtype} {digests.shape}"
        raise CloneIndexError(f"{name}: digests must be a 1-D uint64 array, got {shape}")
    if digests.size > 1 and not bool(np.all(digests[1:] > digests[:-1])):
        raise CloneIndexError(f"{name}: digests are not sorted and distinct")
    try:
        info = json.loads(meta.astype(np.uint8).tobytes())
    except ValueError as exc:
        raise CloneIndexError(f"{name}: provenance is not JSON") from exc
    if not isinstance(info, dict) or any(k not in info for k in INFO_KEYS):
        raise CloneIndexError(f"{name}: provenance lacks one of {', '.join(INFO_KEYS)}")
    if info["format"] != FORMAT or info["digests"] != digests.size:
        raise CloneIndexError(
            f"{name}: format {info['format']} with {info['digests']} digests is not "
            f"format {FORMAT} with {digests.size}"
        )
    return CloneIndex(digests, info)


def load_index(path: Path | None = None) -> CloneIndex:
    """The index at ``path``, else the shipped one (package data ``vetpy/data/clones.npz``)."""
    try:
        if path is None:
            raw = resources.files("vetpy").joinpath("data", "clones.npz").read_bytes()
            return decode_index(raw, "vetpy/data/clones.npz")
        return decode_index(path.read_bytes(), str(path))
    except OSError as exc:
        where = str(path) if path is not None else "vetpy/data/clones.npz"
        raise CloneIndexError(f"{where}: cannot read the clone index ({exc.strerror or exc})") from exc


_lock = threading.Lock()
_shipped: CloneIndex | None = None


def shipped_index() -> CloneIndex:
    """The shipped index, loaded once per process on first use (thread-safe)."""
    global _shipped
    if _shipped is None:
        with _lock:
            if _shipped is None:
                _shipped = load_index()
    return _shipped


def known_file(data: bytes) -> bool:
    """Whether a Python file's raw content is, once normalised, a file of a popular project's release.

    Contract: ``data`` is the file's bytes as read from the archive (any encoding; no decoding is done).
    CRLF/LF and trailing whitespace per line do not matter; any other change (one added line, one changed
    character, re-indentation) makes the file unknown. Files under :data:`MIN_BYTES` bytes once normalised
    are never known. A True answer means "an unmodified copy of a file some popular project ships", not
    "harmless": callers should judge what the package adds or changes, not ignore a package that is only
    known files. One sha256 and one binary search per call (microseconds); the index is loaded lazily
    once per process. Raises CloneIndexError (a VetpyError) when the shipped index is missing or corrupt.
    """
    return shipped_index().known(data)


def index_info() -> dict[str, Any]:
    """The shipped index's provenance: ``built`` (UTC date), ``projects``, ``digests``, ``source`` (the
    list the projects came from), ``releases`` (the file read for each project) and ``format``."""
    return dict(shipped_index().info)
