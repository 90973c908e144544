"""Small file-system helpers shared by the runtime and the lab."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def replace_atomically(path: Path, data: bytes, *, prefix: str = ".part-") -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and one rename, so a reader
    never sees a half-written file; the temporary file is removed on any failure (which is re-raised)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
