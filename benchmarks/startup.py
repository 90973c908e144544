"""Start-up of ``vetpy``: wall and CPU time of short commands, each a fresh process (issue 19).

    python benchmarks/startup.py                      # this checkout's vetpy, 15 runs per command
    python benchmarks/startup.py --src /other/src     # another checkout (its ``src`` folder), to compare

Each command runs ``--runs`` times after one warm-up, with byte-code written to a private folder
(``PYTHONPYCACHEPREFIX``: an installed vetpy has its ``.pyc`` files, a checkout with
``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every start) and vetpy's caches in a
temporary folder (``VETPY_CACHE``) that the command's runs share (as a user's runs do), or an empty one per
run for the "empty cache folder" row. ``NEW`` is the example archive re-compressed with another gzip time
stamp before every run: the same package, bytes never scanned, so nothing comes from the result cache.
It prints median and minimum wall time and median user+system CPU; on a shared machine the CPU time and
the minimum are the steadier figures. ``--json FILE`` also writes them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "hello-0.1.0.tar.gz"
NEW = "{new}"  # replaced, before every run, by a copy of the example never scanned before (a new sha256)
#: name -> (arguments, whether each run gets an empty cache folder)
COMMANDS: dict[str, tuple[list[str], bool]] = {
    "vetpy --version": (["--version"], False),
    "vetpy scan NEW --no-osv": (["scan", "--no-osv", NEW], False),
    "vetpy scan NEW": (["scan", NEW], False),
    "vetpy scan EXAMPLE (result cached)": (["scan", str(EXAMPLE)], False),
    "vetpy scan NEW, empty cache folder": (["scan", NEW], True),
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def new_archive(folder: Path, stamp: int) -> Path:
    """The example with another gzip time stamp: the same package and features, bytes never scanned."""
    path = folder / EXAMPLE.name
    path.write_bytes(gzip.compress(gzip.decompress(EXAMPLE.read_bytes()), mtime=stamp))
    return path


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m vetpy ARGV`` (its output is discarded)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "vetpy", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def measure(argv: list[str], fresh: bool, env: dict[str, str], scratch: Path, runs: int) -> dict[str, float]:
    """Median and minimum over ``runs`` runs after one warm-up, all sharing one cache folder unless
    ``fresh`` (an empty one per run: a first run on the machine)."""
    walls: list[float] = []
    cpus: list[float] = []
    shared = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch))
    for i in range(runs + 1):
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=scratch)) if fresh else shared
        folder = Path(tempfile.mkdtemp(prefix="new-", dir=scratch))
        args = [str(new_archive(folder, stamp=i + 1)) if a == NEW else a for a in argv]
        wall, cpu = run_once(args, {**env, "VETPY_CACHE": str(cache)})
        if i:  # the first run is a warm-up (byte-code, disk cache, the shared cache folder)
            walls.append(wall)
            cpus.append(cpu)
    return {
        "wall_median": statistics.median(walls),
        "wall_min": min(walls),
        "cpu_median": statistics.median(cpus),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the src folder of the vetpy to time")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vetpy-startup-") as scratch:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(PYTHONPATH=str(args.src.resolve()), PYTHONPYCACHEPREFIX=str(Path(scratch) / "pyc"))
        found = {name: measure(*spec, env, Path(scratch), args.runs) for name, spec in COMMANDS.items()}
    print(f"vetpy from {args.src}, {args.runs} runs each, load average {os.getloadavg()[0]:.1f}")
    print("| command | wall median | wall min | CPU median |")
    print("|---|---|---|---|")
    for name, f in found.items():
        row = f"| `{name}` | {f['wall_median'] * 1000:.0f} ms | {f['wall_min'] * 1000:.0f} ms "
        print(row + f"| {f['cpu_median'] * 1000:.0f} ms |")
    if args.json:
        args.json.write_text(
            json.dumps({"src": str(args.src), "runs": args.runs, "commands": found}, indent=2)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
