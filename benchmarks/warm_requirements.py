"""A second ``vetpy scan -r requirements.txt``: how long, and what it still asks the network (issue 19).

    python benchmarks/warm_requirements.py                  # 20 pinned small popular projects
    python benchmarks/warm_requirements.py --src /other/src # another checkout's vetpy, to compare

Writes a 20-line pinned requirements file (``name==version``) to a temporary folder and runs
``vetpy scan -r FILE --format json`` as a fresh process several times against one fresh cache folder
(``VETPY_CACHE``): the first run is cold (every page and file comes from the index pip is configured
with), the next ones are warm. Optionally (``--aged``) it then ages the cache entries by ``--age`` seconds
(rewrites their stored time, as if the scan had run that long ago) and runs once more: what a second
scan the next day costs. Each run reports its wall time, the index requests it made (pages and files,
counted by wrapping vetpy's HTTP client in the process) and OSV requests; results must be identical
across runs (verdicts and scores), else the benchmark fails. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Small, widely used projects, pinned to releases that exist on the index (no registry host named here).
REQUIREMENTS = (
    "six==1.16.0",
    "idna==3.7",
    "certifi==2024.8.30",
    "urllib3==2.2.3",
    "requests==2.32.3",
    "packaging==24.1",
    "attrs==24.2.0",
    "click==8.1.7",
    "markupsafe==2.1.5",
    "jinja2==3.1.4",
    "itsdangerous==2.2.0",
    "python-dateutil==2.9.0.post0",
    "typing-extensions==4.12.2",
    "colorama==0.4.6",
    "tomli==2.0.1",
    "pluggy==1.5.0",
    "iniconfig==2.0.0",
    "zipp==3.20.2",
    "filelock==3.16.1",
    "platformdirs==4.3.6",
)

#: Runs vetpy's CLI in a fresh interpreter, counting index and OSV requests on the way (stderr, JSON).
PROBE = """
import json, os, sys, time
start = time.perf_counter()
from vetpy.acquire import http
from vetpy.osv import client as osv_client
fetch, request = http.HttpClient.fetch, osv_client.OsvClient._request
def note(kind):  # one line per request, appended: scanning workers are forked processes
    with open(os.environ["VETPY_BENCH_LOG"], "a") as log:
        log.write(kind + "\\n")
def counted_fetch(self, url, *, accept=None, **kw):
    note("index_pages" if accept else "index_files")
    return fetch(self, url, accept=accept, **kw)
def counted_request(self, path, body):
    note("osv")
    return request(self, path, body)
http.HttpClient.fetch = counted_fetch
osv_client.OsvClient._request = counted_request
from vetpy.cli.main import main
code = main(sys.argv[1:])
sys.stdout.flush()
print(json.dumps({"exit": code, "seconds_in_process": time.perf_counter() - start}), file=sys.stderr)
"""


def run_scan(requirements: Path, env: dict[str, str], extra: list[str]) -> dict[str, object]:
    """One ``vetpy scan -r`` as a fresh process: wall seconds, request counts and the results."""
    argv = ["scan", "-r", str(requirements), "--format", "json", *extra]
    log = requirements.with_name("requests.log")
    log.write_text("")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        env={**env, "VETPY_BENCH_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    kinds = log.read_text().split()
    counts = {k: kinds.count(k) for k in ("index_pages", "index_files", "osv")}
    status = json.loads(done.stderr.strip().splitlines()[-1])
    results = json.loads(done.stdout)["results"]
    return {"wall_seconds": wall, **counts, **status, "results": results}


def summary(results: list[dict[str, object]]) -> list[tuple[object, ...]]:
    """What must not change between runs: each result's target, file, sha256, verdict and score."""
    keys = ("target", "filename", "sha256", "verdict", "score")
    return [tuple(r.get(k) for k in keys) for r in results]


def age_cache(cache: Path, seconds: float) -> int:
    """Move every stored time in the scan caches ``seconds`` into the past; returns entries aged."""
    aged = 0
    for store in (cache / "scan").glob("*.sqlite"):
        with sqlite3.connect(store) as db:
            aged += db.execute("UPDATE entries SET stored = stored - ?", (seconds,)).rowcount
    return aged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the src folder of the vetpy to time")
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--aged", action="store_true", help="then age the cache by --age seconds, scan again")
    parser.add_argument("--age", type=float, default=86_400.0)
    parser.add_argument("--no-osv", action="store_true", help="pass --no-osv (default: OSV lookup on)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    runs: list[tuple[str, dict[str, object]]] = []
    with tempfile.TemporaryDirectory(prefix="vetpy-warm-") as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text("\n".join(REQUIREMENTS) + "\n", encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            PYTHONPATH=str(args.src.resolve()),
            PYTHONPYCACHEPREFIX=str(Path(scratch) / "pyc"),
            VETPY_CACHE=str(Path(scratch) / "cache"),
        )
        extra = ["--no-osv"] if args.no_osv else []
        runs.append(("cold", run_scan(requirements, env, extra)))
        for i in range(args.warm_runs):
            runs.append((f"warm {i + 1}", run_scan(requirements, env, extra)))
        if args.aged:
            aged = age_cache(Path(scratch) / "cache", args.age)
            runs.append(
                (f"warm, cache aged {args.age:g} s ({aged} entries)", run_scan(requirements, env, extra))
            )
    first = summary(runs[0][1]["results"])  # type: ignore[arg-type]
    same = all(summary(r["results"]) == first for _, r in runs)  # type: ignore[arg-type]
    verdicts = [row[3] for row in first]
    print(
        f"{len(REQUIREMENTS)} pinned requirements, {len(first)} files scanned, verdicts: "
        f"{ {v: verdicts.count(v) for v in sorted(set(map(str, verdicts)))} }; identical across runs: {same}"
    )
    for name, r in runs:
        for res in r["results"]:  # type: ignore[attr-defined]
            if res["verdict"] != "benign":
                what = f"{res['target']} {res.get('filename')}: {res['verdict']} {res.get('error') or ''}"
                print(f"  {name}: {what}")
    notes = {n for _, r in runs for res in r["results"] for n in res["notes"]}  # type: ignore[attr-defined]
    print("notes seen:", sorted(n for n in notes if "lookup" in n) or "none")
    print(f"vetpy from {args.src}; load average {os.getloadavg()[0]:.1f}")
    print("| run | wall | index pages | index files | OSV requests |")
    print("|---|---|---|---|---|")
    for name, r in runs:
        print(
            f"| {name} | {r['wall_seconds']:.2f} s | {r['index_pages']} | {r['index_files']} | {r['osv']} |"
        )
    if args.json:
        figures = [{"run": n, **{k: v for k, v in r.items() if k != "results"}} for n, r in runs]
        args.json.write_text(json.dumps({"requirements": REQUIREMENTS, "runs": figures, "identical": same}))
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
