#!/usr/bin/env python3
"""Benchmark: vetpy on the latest releases of the most-downloaded projects, beside the read-and-decompress
floor and GuardDog, in one run, one package at a time on one core.

The latest release of each of the top ``--top`` names of ``popular.csv`` (sdist, else a wheel) is fetched
once into ``$VETPY_BENCH_CACHE/popular`` with vetpy's own index client (sha256-verified; releases that are
in the development data are left out). Then, each in a fresh process:
  * floor: reading the file and decompressing every member (``open_archive``);
  * vetpy: the Scanner with the bundled model (no result cache), one core;
  * GuardDog (unless ``--skip-guarddog``): ``guarddog pypi scan`` per package, from its own venv.
Reported per tool: median, p95, max and total seconds per package; vetpy's ratios to the floor and to
GuardDog. Results (names, versions, sha256, verdicts, timings: no code) go to ``benchmarks/results/``.

Usage: python benchmarks/popular.py --top 100 [--skip-guarddog] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import guarddog_vs_vetpy as gd


def development_sha256s(data: Path) -> set[str]:
    found: set[str] = set()
    for name in ("benign.csv", "benign_recent.csv", "benign_popular.csv", "malicious/manifest.csv"):
        path = data / name
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as handle:
                found.update(row.get("sha256", "").lower() for row in csv.DictReader(handle))
    return found


def latest_file(client: Any, name: str) -> Any:
    """The latest release's sdist, else one of its wheels (the index client raises when there is no sdist)."""
    from vetpy.errors import IndexLookupError

    try:
        return client.select(name, None, "sdist")[0]
    except IndexLookupError as exc:
        if "no sdist" not in str(exc):
            raise
    return client.select(name, None, "wheel")[0]


def fetch(top: int, data: Path, folder: Path, start: int = 0) -> list[dict[str, Any]]:
    """The latest release of ``top`` most-downloaded names from rank ``start + 1`` on, downloaded once
    (skips what fails)."""
    from vetpy.acquire.index import IndexClient

    client = IndexClient()
    seen = development_sha256s(data)
    folder.mkdir(parents=True, exist_ok=True)
    with (data / "popular.csv").open(newline="", encoding="utf-8") as handle:
        names = [row["name"] for row in csv.DictReader(handle)][start : start + top]
    samples: list[dict[str, Any]] = []
    for i, name in enumerate(names, 1):
        try:
            release = latest_file(client, name)
        except Exception as exc:
            gd.log(f"{name}: {type(exc).__name__}: {exc}")
            continue
        if (release.sha256 or "").lower() in seen:
            continue
        path = folder / release.filename
        if not path.is_file():
            try:
                path.write_bytes(client.download(release))
            except Exception as exc:
                gd.log(f"{release.filename}: {type(exc).__name__}: {exc}")
                continue
        samples.append(
            {
                "name": name,
                "version": release.version,
                "path": str(path),
                "sha256": release.sha256,
                "bytes": path.stat().st_size,
            }
        )
        if i % 25 == 0:
            gd.log(f"fetched {i}/{len(names)}")
    return samples


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def summarise(
    samples: list[dict[str, Any]],
    floor: dict[str, Any],
    vetpy: dict[str, Any],
    guard: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    f_sec = [r["seconds"] for r in floor["records"]]
    v_sec = [r["seconds"] for r in vetpy["records"]]
    out: dict[str, Any] = {
        "packages": len(samples),
        "archive_mb_total": round(sum(s["bytes"] for s in samples) / 1e6, 1),
        "floor": gd.timing(f_sec),
        "vetpy": gd.timing(v_sec),
        "vetpy_info": vetpy["info"],
        "vetpy_verdicts": {
            v: sum(r["verdict"] == v for r in vetpy["records"]) for v in ("benign", "malicious", "error")
        },
        "vetpy_over_10s": [s["name"] for s, t in zip(samples, v_sec, strict=True) if t > 10],
        "vetpy_total_over_floor_total": ratio(sum(v_sec), sum(f_sec)),
    }
    if guard is not None:
        g_sec = [r["seconds"] for r in guard]
        out["guarddog"] = gd.timing(g_sec)
        out["guarddog_errors"] = sum(1 for r in guard if r["error"])
        out["guarddog_total_over_vetpy_total"] = ratio(sum(g_sec), sum(v_sec))
        out["guarddog_median_over_vetpy_median"] = ratio(
            out["guarddog"]["median_ms"], out["vetpy"]["median_ms"]
        )
    out["per_package"] = [
        {
            "name": s["name"],
            "version": s["version"],
            "sha256": s["sha256"],
            "bytes": s["bytes"],
            "floor_s": f,
            "vetpy_s": v,
            "verdict": r["verdict"],
            "guarddog_s": None if guard is None else guard[i]["seconds"],
        }
        for i, (s, f, v, r) in enumerate(zip(samples, f_sec, v_sec, vetpy["records"], strict=True))
    ]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=100)
    parser.add_argument(
        "--start",
        type=int,
        default=0,
        help="skip the first N names (300: past the clone index, whose files vetpy would not scan)",
    )
    parser.add_argument("--data", type=Path, help="development data (default: as vetpy finds it)")
    parser.add_argument("--skip-guarddog", action="store_true")
    parser.add_argument("--guarddog-timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    from vetpy.lab.dataset.paths import data_dir

    samples = fetch(args.top, data_dir(args.data), gd.BENCH_CACHE / "popular", args.start)
    gd.log(f"{len(samples)} releases")
    with tempfile.TemporaryDirectory() as tmp:
        floor = gd.run_worker("floor", samples, None, Path(tmp))
        gd.log("floor done")
        vetpy = gd.run_worker("scan", samples, None, Path(tmp))
        gd.log("vetpy done")
    guard = None
    if not args.skip_guarddog:
        exe, version = gd.ensure_guarddog(gd.BENCH_CACHE / "guarddog-venv", gd.GUARDDOG_VERSION)
        guard = gd.run_guarddog(exe, samples, args.guarddog_timeout, sandbox=False)
        gd.log(f"{version} done")
    result = {
        "date": dt.date.today().isoformat(),
        "machine": platform.platform(),
        "top": args.top,
        "start": args.start,
        **summarise(samples, floor, vetpy, guard),
    }
    out = args.out or gd.REPO / "benchmarks" / "results" / f"{result['date']}-popular.json"
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "per_package"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
