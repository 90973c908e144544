"""Project files (requirements, lockfiles, pyproject): their common types and their safe, bounded reading.

A project file is untrusted input (a pull request can change it), so it is read only when it is a regular
file outside ``/proc``, ``/sys`` and ``/dev``, opened without blocking (a FIFO never hangs the scan), and
never past its size on disk nor past ``MAX_FILE_BYTES``. Every reader works on bounded text in linear time.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from vetpy.errors import AcquireError

MAX_FILE_BYTES = 16 * 1024 * 1024  # a larger requirements file or lockfile is refused, not truncated
MAX_REQUIREMENTS_BYTES = 4 * 1024 * 1024  # one requirements file (pip's option parsing is the slow part)
MAX_TOTAL_BYTES = 8 * 1024 * 1024  # all files of one requirements tree (-r / -c includes) together
MAX_ENTRIES = 10_000  # packages one project file (with its includes) may ask for
MAX_LINE_CHARS = 32 * 1024  # a longer logical line is an error for that line (quoted, cut to 80 chars)
MAX_PARENTHESES = 64  # in one requirement's markers (packaging parses them recursively)
QUOTE_CHARS = 80
FORBIDDEN_ROOTS = ("/proc", "/sys", "/dev")


class ProjectFileError(AcquireError):
    """A project file cannot be read at all (missing, special, too large, not a format vetpy reads).

    Raised for a file the user named (exit 2); an include inside a requirements file that fails becomes
    an error entry for that line instead.
    """


@dataclass(frozen=True)
class Origin:
    """Where a target came from: the project file (requirements, lockfile, pyproject) and its line."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class ProjectEntry:
    """One package a project file asks for, or the reason it is not scanned.

    ``skipped`` starts with "skipped:" (not scanned on purpose: editable, URL, local path) or "error:"
    (the line could not be read).
    """

    label: str
    origin: Origin
    requirement: Requirement | None = None
    hashes: tuple[str, ...] = ()  # "algorithm:hexdigest", any one must match the downloaded file
    skipped: str | None = None


@dataclass(frozen=True)
class ProjectFile:
    """What one project file (with its includes) asks for."""

    path: str
    kind: str  # "requirements", "pylock", "uv.lock", "poetry.lock", "Pipfile.lock", "pyproject"
    entries: tuple[ProjectEntry, ...]
    index_url: str | None = None  # --index-url / -i in a requirements file (used only when trusted)
    extra_index_urls: tuple[str, ...] = field(default_factory=tuple)


def cut(text: str) -> str:
    """``text`` on one line, cut to ``QUOTE_CHARS`` characters (for labels and error messages)."""
    flat = " ".join(text[: QUOTE_CHARS * 4].split())
    return flat if len(flat) <= QUOTE_CHARS else flat[: QUOTE_CHARS - 3] + "..."


def quote(text: str) -> str:
    """``cut(text)`` in quotes."""
    return repr(cut(text))


def _forbidden(path: Path) -> bool:
    resolved = str(path)
    return any(resolved == root or resolved.startswith(root + "/") for root in FORBIDDEN_ROOTS)


def read_bounded(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of regular file ``path``; ``ProjectFileError`` for anything else or anything too big.

    The size read never exceeds what ``fstat`` reports, so pseudo-files that claim size 0 (``/proc``
    anywhere it is mounted) read as empty rather than leaking their content.
    """
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        raise ProjectFileError(f"{cut(str(path))}: cannot resolve the path ({exc})") from exc
    if _forbidden(resolved):
        raise ProjectFileError(
            f"{cut(str(path))}: refused: a special file under {resolved.parts[1]!r} is never read"
        )
    try:
        fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError as exc:
        raise ProjectFileError(f"{cut(str(path))}: no such file") from exc
    except (OSError, ValueError) as exc:
        raise ProjectFileError(
            f"{cut(str(path))}: cannot open ({getattr(exc, 'strerror', None) or exc})"
        ) from exc
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ProjectFileError(f"{cut(str(path))}: is a folder, not a project file")
        if not stat.S_ISREG(info.st_mode):
            raise ProjectFileError(f"{cut(str(path))}: refused: not a regular file (FIFO, device or socket)")
        if info.st_size > max_bytes:
            raise ProjectFileError(f"{cut(str(path))}: too large ({info.st_size} bytes, limit {max_bytes})")
        chunks: list[bytes] = []
        remaining = info.st_size
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise ProjectFileError(f"{cut(str(path))}: cannot read ({exc.strerror or exc})") from exc
    finally:
        os.close(fd)


def decode_text(data: bytes, path: Path) -> str:
    """UTF-8 text (a BOM is dropped); binary content is one clear error."""
    if b"\x00" in data:
        raise ProjectFileError(f"{cut(str(path))}: binary content, not a project file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectFileError(f"{cut(str(path))}: not UTF-8 text (byte {exc.start})") from exc


def parse_requirement(text: str) -> Requirement | str:
    """``packaging``'s parse of a PEP 508 string, or a one-line reason it is not one (never raises)."""
    if text.count("(") > MAX_PARENTHESES:
        return f"more than {MAX_PARENTHESES} parentheses"
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        return cut(first)
    except RecursionError:
        return "nested too deeply"
    except (ValueError, TypeError) as exc:
        return cut(f"{type(exc).__name__}: {exc}")
