"""The watcher's checkpoint: a small JSON file beside ``--out``, replaced atomically after every file.

It holds the index serial the watcher has fully handled, the time of that poll (the watermark), and the
files handled since (by filename, with their upload times), so a restart resumes with no gap and no
repeat. A lock file beside it keeps two watchers off one checkpoint.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from vetpy.errors import VetpyError

FORMAT = 1


@dataclass(frozen=True)
class Checkpoint:
    """Where the watcher stands: ``serial`` fully handled, ``watermark`` (epoch seconds) the start of the
    poll that reached it, ``seen`` the files handled since (filename -> upload time)."""

    index: str  # a hash of the index URL (the URL itself may carry a password)
    feed: str
    serial: int
    watermark: float | None = None
    seen: dict[str, float] = field(default_factory=dict)

    def with_seen(self, filename: str, uploaded: float) -> Checkpoint:
        return replace(self, seen={**self.seen, filename: uploaded})

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "index": self.index,
            "feed": self.feed,
            "serial": self.serial,
            "watermark": self.watermark,
            "seen": self.seen,
        }


def index_id(index_url: str) -> str:
    return hashlib.sha256(index_url.encode()).hexdigest()[:16]


def checkpoint_path(out: Path) -> Path:
    return out.with_name(out.name + ".checkpoint.json")


class CheckpointStore:
    """Reads and atomically replaces one checkpoint file, holding its lock while open."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock: IO[bytes] | None = None

    def lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "ab")  # noqa: SIM115 - held open for the watcher's lifetime
        except OSError as exc:
            raise VetpyError(f"cannot write {lock_path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise VetpyError(f"another watcher is using {self.path}") from exc
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None

    def load(self) -> Checkpoint | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise VetpyError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise ValueError("unknown format")
            return Checkpoint(
                index=str(data["index"]),
                feed=str(data["feed"]),
                serial=int(data["serial"]),
                watermark=None if data.get("watermark") is None else float(data["watermark"]),
                seen={str(k): float(v) for k, v in dict(data.get("seen") or {}).items()},
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            message = f"{self.path} is not a vetpy watch checkpoint (delete it to start afresh)"
            raise VetpyError(message) from exc

    def save(self, checkpoint: Checkpoint) -> None:
        """Write to a temporary file, fsync, then rename over the checkpoint (never a torn file)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps(checkpoint.to_json(), sort_keys=True).encode()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except OSError as exc:
            raise VetpyError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
