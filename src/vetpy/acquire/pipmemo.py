"""pip's configuration files, remembered between runs while nothing pip reads to find them has changed.

Reading pip's configuration with pip's own loader (pipconfig.py) imports much of pip: about 0.2 s, more
than the rest of a scan answered from the cache. That loader reads ini files and ``PIP_*`` variables and
nothing else; so after it has run, vetpy keeps what the *files* said (the options it uses) and pip's
default index in its cache folder, under a fingerprint of everything that decides them: pip's loader
module (size and time: another pip, another fingerprint), the interpreter prefix, the locale encoding,
the variables that locate the files (``HOME``, ``XDG_CONFIG_HOME``, ``XDG_CONFIG_DIRS``,
``PIP_CONFIG_FILE``, the Windows folders) and every file pip looked at, there or not (size, time, inode).
Any change, and pip reads them again. ``PIP_*`` variables are read live on every run and never stored;
a configuration file whose values hold a login (``user:password@``) is never stored either: pip reads
it every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import locale
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from vetpy.fsutil import replace_atomically

FORMAT = 1
MEMO_NAME = "pip-config.json"
#: The variables pip's loader uses to find its files (pip._internal.utils.appdirs, configuration.py).
LOCATING = (
    "HOME",
    "USERPROFILE",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "APPDATA",
    "LOCALAPPDATA",
    "PROGRAMDATA",
    "ALLUSERSPROFILE",
    "PIP_CONFIG_FILE",
)
Items = list[tuple[str, str]]


def memo_path() -> Path:
    from vetpy.settings import current

    return current().cache_dir / MEMO_NAME


def _loader_stamp() -> list[object] | None:
    """Where pip's configuration loader is, and its size and time (None: pip is not installed)."""
    spec = importlib.util.find_spec("pip")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "_internal" / "configuration.py"
    stat = path.stat()
    return [str(path), stat.st_size, stat.st_mtime_ns]


def _stat(path: str) -> list[int]:
    try:
        stat = os.stat(path)
    except OSError:
        return []
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def fingerprint(files: Sequence[str]) -> str:
    """A digest of everything that decides what pip's loader reads from ``files``."""
    parts = {
        "loader": _loader_stamp(),
        "prefix": sys.prefix,
        "encoding": locale.getpreferredencoding(False),
        "environment": {name: os.environ.get(name) for name in LOCATING},
        "files": {path: _stat(path) for path in files},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def recall() -> tuple[Items, str] | None:
    """The remembered (section.key, value) items of pip's files and pip's default index, or None when
    nothing is remembered or anything they depend on has changed."""
    try:
        data = json.loads(memo_path().read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("fingerprint") != fingerprint(data["files"]):
            return None
        items = [(str(key), str(value)) for key, value in data["items"]]
        return items, str(data["default_index"])
    except Exception:  # a damaged memo, another pip's layout: pip reads the files
        return None


def remember(items: Iterable[tuple[str, str]], files: Sequence[str], default_index: str, stamp: str) -> None:
    """Keep what pip read from ``files`` (``stamp``: their fingerprint taken before pip read them); never
    a value with a login; a failure to write is ignored."""
    kept = list(items)
    if any("@" in value for _, value in kept):
        return
    data = {
        "format": FORMAT,
        "fingerprint": stamp,
        "files": list(files),
        "items": kept,
        "default_index": default_index,
    }
    with contextlib.suppress(OSError):  # a temporary file of mode 0600, then one rename
        replace_atomically(memo_path(), json.dumps(data).encode(), prefix=f".{MEMO_NAME}.")
