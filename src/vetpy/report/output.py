"""Write a report file so it can never be half-written: a temporary file beside it, then a rename (a
device or a pipe is written in place: it cannot be half-written, and must not be replaced)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from vetpy.errors import VetpyError
from vetpy.report.escape import escape_text


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one rename; on any failure the old file is untouched,
    the temporary file is removed, and a one-line VetpyError says why."""
    shown = escape_text(str(path))
    target = Path(path)
    data = text.encode("utf-8", "backslashreplace")
    tmp: str | None = None
    try:
        if target.is_dir():
            raise IsADirectoryError(21, "is a folder")
        if target.exists() and not target.is_file():
            target.write_bytes(data)  # a device or a pipe (/dev/null, /dev/stdout): a rename would
            return  # put a regular file in its place
        if target.is_symlink():
            target = target.resolve()  # replace the file the link points to, not the link
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise VetpyError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
