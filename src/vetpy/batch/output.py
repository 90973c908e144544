"""The batch output: one JSON line per package, appended with a single write so a kill never tears one.

Each line is written with one ``os.write`` on a descriptor opened ``O_APPEND``; the file is fsynced at
most once a second and on close. A kill can then only lose whole lines that were never written; a crash
of the machine can leave a partial last line, which ``--resume`` cuts off before carrying on.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from vetpy.errors import VetpyError
from vetpy.redact import redact
from vetpy.result import ScanResult


def result_line(result: ScanResult) -> bytes:
    """The contract's JSON object on one line (ASCII-escaped, so any target string encodes)."""
    return (redact(json.dumps(result.to_dict(), ensure_ascii=True)) + "\n").encode("ascii")


class ResultWriter:
    """Appends result lines to ``path`` (created if missing)."""

    def __init__(self, path: Path, fsync_interval: float = 1.0) -> None:
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise VetpyError(f"cannot write {path}: {exc.strerror or exc}") from exc
        self.path = path
        self._interval = fsync_interval
        self._last_sync = time.monotonic()
        self._dirty = False

    def write(self, result: ScanResult) -> None:
        """Append one line with a single write (a short write, e.g. a full disk, is finished off)."""
        data = result_line(result)
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        self._dirty = True
        if time.monotonic() - self._last_sync >= self._interval:
            self.sync()

    def sync(self) -> None:
        if self._dirty:
            os.fsync(self._fd)
            self._dirty = False
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1

    def __enter__(self) -> ResultWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def locked_output(path: Path) -> Iterator[int]:
    """Hold an exclusive lock on the batch output for the whole batch: a second batch on the same file
    refuses at once instead of interleaving (and duplicating) lines. Yields the locked descriptor."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise VetpyError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            why = "is being written by another batch; wait for it or choose another --out"
            raise VetpyError(f"{path} {why}") from exc
        yield fd
    finally:
        os.close(fd)


def target_key(target: str) -> str:
    """A target as ``--resume`` compares it: an existing path by its real location (however it is
    spelled: relative, ``./``, doubled slashes, symlinks), anything else as written, trimmed."""
    text = target.strip()
    try:
        if os.path.exists(text):
            return os.path.realpath(text)
    except (OSError, ValueError):
        pass
    return text


def prepare_output(path: Path, resume: bool, fd: int | None = None) -> list[ScanResult]:
    """Check ``path`` before a batch and return the results already in it.

    Without ``resume`` an existing non-empty file is refused (appending would duplicate lines). With it,
    a trailing partial line is cut off and a complete line that is not a result is dropped (the file is
    then rewritten without it), so the file holds only whole results and the batch skips their targets.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise VetpyError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not data:
        return []
    if not resume:
        raise VetpyError(f"{path} already exists: use --resume to continue it, or choose another --out")
    end = data.rfind(b"\n") + 1
    results: list[ScanResult] = []
    kept: list[bytes] = []
    for line in data[:end].splitlines(keepends=True):
        parsed = _parse(line)
        if parsed is not None:
            results.append(parsed)
            kept.append(line)
    if len(kept) < data[:end].count(b"\n"):
        _rewrite(path, b"".join(kept), fd)
    elif end < len(data):
        os.truncate(path, end)
    return results


def _rewrite(path: Path, data: bytes, fd: int | None) -> None:
    """Replace the file's content in place (the lock stays on the same file)."""
    if fd is None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


def _parse(line: bytes) -> ScanResult | None:
    try:
        data: Any = json.loads(line)
        return ScanResult.from_dict(data) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError):
        return None
