"""Start-up of ``vetpy``: wall and CPU time of short commands, each a fresh process (issue 19).

    python benchmarks/startup.py                      # this checkout's vetpy, 15 runs per command
    python benchmarks/startup.py --src /other/src     # another checkout (its ``src`` folder), to compare

Each command runs ``--runs`` times after one warm-up, with byte-code written to a private folder
(``PYTHONPYCACHEPREFIX``: an installed vetpy has its ``.pyc`` files, a checkout with
``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every start) and vetpy's caches in a
fresh temporary folder (``VETPY_CACHE``), so the scan is a cold one: no cached result. It prints median
and minimum wall time and median user+system CPU; on a shared machine the CPU time and the minimum are the
steadier figures. ``--json FILE`` also writes them.
"""

from __future__ import annotations

import argparse
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
COMMANDS: dict[str, list[str]] = {
    "vetpy --version": ["--version"],
    "vetpy scan EXAMPLE --no-osv": ["scan", "--no-osv", str(EXAMPLE)],
    "vetpy scan EXAMPLE": ["scan", str(EXAMPLE)],
    "vetpy scan EXAMPLE (cached result)": ["scan", str(EXAMPLE)],
}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``python -m vetpy ARGV`` (its output is discarded)."""
    cpu = _children_cpu()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "vetpy", *argv], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start, _children_cpu() - cpu


def measure(name: str, argv: list[str], env: dict[str, str], runs: int) -> dict[str, float]:
    """Median and minimum over ``runs`` runs; a cold scan gets an empty cache folder for every run."""
    walls: list[float] = []
    cpus: list[float] = []
    for i in range(runs + 1):
        with tempfile.TemporaryDirectory(prefix="vetpy-startup-") as cache:
            run_env = dict(env)
            if "cached" in name:
                run_env["VETPY_CACHE"] = env["VETPY_CACHE"]  # shared: the first run fills it
            else:
                run_env["VETPY_CACHE"] = cache
            wall, cpu = run_once(argv, run_env)
        if i:  # the first run is a warm-up (byte-code, disk cache)
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
        env.update(
            PYTHONPATH=str(args.src.resolve()),
            PYTHONPYCACHEPREFIX=str(Path(scratch) / "pyc"),
            VETPY_CACHE=str(Path(scratch) / "cache"),
        )
        found = {name: measure(name, argv, env, args.runs) for name, argv in COMMANDS.items()}
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
