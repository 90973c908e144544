"""The watcher's ``--out`` file: contract JSON lines (the batch format), each appended with one write and
fsynced before the checkpoint moves past it; on start, a torn last line is cut and the files already
there are remembered by sha256 so none is written twice."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vetpy.batch.output import result_line
from vetpy.errors import VetpyError
from vetpy.result import ScanResult

TAIL_BYTES = 64 * 1024 * 1024  # how much of an existing file is read back for sha256s


class LineWriter:
    """Appends one result per line with a single ``write`` on an ``O_APPEND`` descriptor."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.done = self._recover()
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise VetpyError(f"cannot write {path}: {exc.strerror or exc}") from exc

    def _recover(self) -> set[str]:
        """The sha256s already written (from the file's last TAIL_BYTES), after cutting a torn last line."""
        try:
            size = self.path.stat().st_size
            with open(self.path, "rb") as handle:
                handle.seek(max(0, size - TAIL_BYTES))
                data = handle.read()
        except FileNotFoundError:
            return set()
        except OSError as exc:
            raise VetpyError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        end = data.rfind(b"\n") + 1
        if end < len(data):
            os.truncate(self.path, size - (len(data) - end))
        done: set[str] = set()
        for line in data[:end].splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and isinstance(item.get("sha256"), str):
                done.add(item["sha256"])
        return done

    def write(self, result: ScanResult) -> None:
        data = result_line(result)
        written = os.write(self._fd, data)
        while written < len(data):
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)
        if result.sha256:
            self.done.add(result.sha256)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
