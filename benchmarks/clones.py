"""Cost of the clone look-up: loading the shipped index, and ``known_file`` per Python file.

Reads every ``.py`` file under the given folders (default: this interpreter's site-packages) as bytes,
never imports or runs them, and reports the index load time, microseconds per file, throughput and the
share of files the index knows. Usage: ``python benchmarks/clones.py [FOLDER ...]``.
"""

from __future__ import annotations

import json
import sys
import sysconfig
import time
from pathlib import Path

from vetpy.features import clones


def main(folders: list[Path]) -> dict[str, object]:
    started = time.perf_counter()
    info = clones.index_info()  # loads the shipped index
    load_ms = (time.perf_counter() - started) * 1000
    files = [p.read_bytes() for folder in folders for p in sorted(folder.rglob("*.py")) if p.is_file()]
    started = time.perf_counter()
    known = sum(clones.known_file(data) for data in files)
    seconds = time.perf_counter() - started
    size = sum(map(len, files))
    return {
        "index": {k: info[k] for k in ("built", "projects", "digests")},
        "load_ms": round(load_ms, 1),
        "files": len(files),
        "known": known,
        "us_per_file": round(seconds / max(len(files), 1) * 1e6, 1),
        "mb_per_s": round(size / 1e6 / max(seconds, 1e-9), 1),
    }


if __name__ == "__main__":
    paths = [Path(a) for a in sys.argv[1:]] or [Path(sysconfig.get_paths()["purelib"])]
    print(json.dumps(main(paths), indent=2))
