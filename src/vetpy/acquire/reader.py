"""The bookkeeping shared by the archive readers: limits across an archive, members kept, notes, links.

A limit that stops reading raises :class:`Stop`; a code file too large to read does not stop reading but
marks the archive incomplete (``Reader.incomplete``), so the package can never be reported benign.
"""

from __future__ import annotations

import lzma
import posixpath
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from vetpy.acquire.interface import Finding, Limits, Member

#: Bytes read per call when a member's size is not known in advance (zip members).
CHUNK = 1024 * 1024
#: Below this many decompressed bytes the ratio limit does not apply (a tiny archive is not a bomb).
RATIO_FLOOR = 1024 * 1024
#: Most notes kept per archive (a hostile archive could otherwise produce millions).
MAX_NOTES = 200
#: Most decompressed bytes a tar may spend between two members' data (headers: pax, GNU long names,
#: sparse maps). tarfile reads a header's data in one piece, so a 1 GiB pax header would be held in memory.
MAX_HEADER_BYTES = 1024 * 1024
#: Files Python or pip can run: too large to read means an incomplete scan, never a silent skip.
#: (Notebooks are read for their code cells, but pip never runs them: an oversized one is only noted.)
CODE_SUFFIXES = (".py", ".pyw", ".pth", ".pyc", ".pyo")

_clock: Callable[[], float] = time.monotonic

READ_ERRORS = (
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


def one_line(text: object, limit: int = 160) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def is_code_path(path: str) -> bool:
    """True for files Python or pip run or import (by name; content views add the rest)."""
    return path.lower().endswith(CODE_SUFFIXES)


class Stop(Exception):
    """A limit was hit; the message names it."""


@dataclass(frozen=True)
class Link:
    """A tar symlink or hardlink, resolved once every member has been read."""

    path: str  # where the link sits (safe relative path)
    target: str  # the link's target as an archive path, or "" when it leaves the archive
    raw: str  # the link's target as written
    hard: bool


class Reader:
    """Collects members and enforces the limits that apply across an archive."""

    def __init__(self, limits: Limits, compressed_size: int | None) -> None:
        self.limits = limits
        self.compressed = None if compressed_size is None else max(compressed_size, 1)
        self.members: list[Member] = []
        self.notes: list[str] = []
        self.findings: list[Finding] = []
        self.links: list[Link] = []
        self.oversized: list[str] = []  # members not read for size (data files: code may execute them)
        self.incomplete: str | None = None  # a code file left unread for size
        self.seen: set[str] = set()
        self.entries = 0
        self.code_files = 0
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

    def find(self, kind: str, message: str, file: str | None = None) -> None:
        """Record a hard signal (and a note, so every output shows it)."""
        if len(self.findings) < MAX_NOTES:
            self.findings.append(Finding(kind, one_line(message), file))
        self.note(one_line(message))

    def entry(self) -> None:
        """Count one archive entry (of any type) and check the per-archive limits."""
        self.entries += 1
        if self.entries > self.limits.max_members:
            raise Stop(f"members: more than {self.limits.max_members}")
        self.check_time()

    def check_time(self) -> None:
        if _clock() > self.deadline:
            raise Stop(f"time: more than {self.limits.max_seconds:g} s")

    def inflate(self, size: int) -> None:
        """Account for ``size`` bytes about to be decompressed; stop before a bomb is inflated."""
        self.inflated += size
        if (
            self.compressed is not None
            and self.inflated > RATIO_FLOOR
            and self.inflated > self.limits.max_ratio * self.compressed
        ):
            raise Stop(f"ratio: {human_bytes(self.inflated)} from {human_bytes(self.compressed)}")

    def too_large(self, path: str, size: int) -> bool:
        """True (with a note) when a member of ``size`` bytes is over the per-member limit.

        A code file over the limit marks the scan incomplete (its content is unknown); other files are
        remembered, and the scan is incomplete too when code turns out to read them (see code views).
        """
        if size <= self.limits.max_member_bytes:
            return False
        limit = human_bytes(self.limits.max_member_bytes)
        if is_code_path(path):
            if self.incomplete is None:
                self.incomplete = one_line(f"member: {path} is more than {limit}")
            self.note(f"unread large code file {path} (more than {limit})")
        else:
            self.oversized.append(path)
            self.note(f"skipped large member {path} (more than {limit})")
        return True

    def read(self, path: str, stream: IO[bytes], declared: int) -> None:
        """Read one member that should be at most ``declared`` bytes; never more than the member limit."""
        data = stream.read(min(declared, self.limits.max_member_bytes) + 1)
        if len(data) > declared:
            self.inflated += len(data) - declared
        if not self.too_large(path, len(data)):
            self.keep(path, data)
        self.check_time()

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
            self.keep(path, data)
        self.check_time()

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
            raise Stop(f"ratio: {human_bytes(self.streamed)} from {human_bytes(self.compressed)}")
        if self.streamed > self.allowed:
            raise Stop(f"header: more than {human_bytes(MAX_HEADER_BYTES)} of tar header data")

    def keep(self, path: str, data: bytes) -> None:
        if self.kept + len(data) > self.limits.max_total_bytes:
            raise Stop(f"total: more than {human_bytes(self.limits.max_total_bytes)}")
        if is_code_path(path):
            self.code_files += 1
            if self.code_files > self.limits.max_code_files:
                raise Stop(f"code files: more than {self.limits.max_code_files}")
        self.kept += len(data)
        if path in self.seen:
            self.note(f"duplicate path {path} (every copy is read)")
        self.seen.add(path)
        self.members.append(Member(path, data))


def safe_path(raw: str, notes: Callable[[str], None]) -> str | None:
    """A relative POSIX path with no "..", leading "/" or drive; None when nothing is left."""
    name = raw.replace("\\", "/")
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        name = name[2:]
    if name.startswith("/"):
        notes(f"absolute path: {one_line(raw)}")
    parts = name.split("/")
    if ".." in parts:
        notes(f"path traversal: {one_line(raw)}")
        parts = posixpath.normpath("/" + "/".join(parts)).split("/")
    clean = "/".join(p for p in parts if p and p != ".")
    return clean or None


def fix_name(name: str) -> str:
    """Undecodable bytes (kept by tarfile as surrogates) become U+FFFD."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
