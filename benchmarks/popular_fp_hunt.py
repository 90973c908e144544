#!/usr/bin/env python3
"""False-positive hunt: vetpy (bundled model, or the one ``PYTHONPATH`` selects) on the latest releases of
popular projects that are not in the development data, with score, hard findings and top reasons per
release.

Walks ``popular.csv`` from rank ``--start + 1`` for ``--top`` names, one at a time in this process: fetches
the latest release (sdist, else a wheel) into ``$VETPY_BENCH_CACHE/popular`` with vetpy's index client (sha256
verified), skips it when its sha256 or its name and version is in a development list, scans it, and stops
starting new ones after ``--budget`` seconds of wall time. Writes names, versions, sha256, verdicts, scores,
timings and reasons (feature, file, line, message with URLs and host names masked) to ``--out`` after every
release, so an interrupted run keeps what it did.

Usage: nice -n 19 python benchmarks/popular_fp_hunt.py --top 600 --budget 3600 --out FILE
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import guarddog_vs_vetpy as gd
from popular import development_sha256s, latest_file

TOP_REASONS = 5
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>)]+", re.I)
_HOST = re.compile(r"\b(?:[a-z0-9-]+\.)+(?:org|com|net|io|dev|co|ai|app|cloud|sh|me|xyz)\b", re.I)


def normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def development_releases(data: Path) -> set[tuple[str, str]]:
    """(normalised name, version) of every release in the benign development lists."""
    found: set[tuple[str, str]] = set()
    for name in ("benign.csv", "benign_recent.csv", "benign_popular.csv"):
        path = data / name
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as handle:
                found.update((normal(r["name"]), r["version"]) for r in csv.DictReader(handle))
    return found


def masked(message: str) -> str:
    """A reason's message without URLs or host names (results never name a host)."""
    return _HOST.sub("<host>", _URL.sub("<url>", message))[:300]


def model_info() -> dict[str, Any]:
    import vetpy

    meta = Path(vetpy.__file__).resolve().parent / "models" / "default.json"
    info = json.loads(meta.read_text()) if meta.is_file() else {}
    keys = ("model_sha256", "created", "threshold", "training_data_id", "schema_hash")
    return {k: info.get(k) for k in keys}


def scan_record(scanner: Any, path: Path) -> dict[str, Any]:
    start = time.perf_counter()
    result = scanner.scan([str(path)])[0]
    seconds = time.perf_counter() - start
    reasons = [
        {"feature": r.feature, "file": r.file, "line": r.line, "message": masked(r.message)}
        for r in result.reasons
    ]
    return {
        "seconds": round(seconds, 4),
        "verdict": result.verdict.value,
        "score": None if result.score is None else round(result.score, 5),
        "flagged": result.flagged,
        "findings": sorted({r["feature"] for r in reasons if r["feature"].startswith("policy.")}),
        "reasons": reasons[:TOP_REASONS],
        "error": None if result.error is None else masked(result.error),
    }


def fetch_one(client: Any, name: str, folder: Path) -> tuple[Any, Path]:
    release = latest_file(client, name)
    path = folder / release.filename
    if not path.is_file():
        path.write_bytes(client.download(release))
    return release, path


def hunt(args: argparse.Namespace, data: Path) -> dict[str, Any]:
    from vetpy.acquire.index import IndexClient
    from vetpy.scan import Scanner

    scanner = Scanner()
    client = IndexClient()
    seen_sha = development_sha256s(data)
    seen_rel = development_releases(data)
    folder = gd.BENCH_CACHE / "popular"
    folder.mkdir(parents=True, exist_ok=True)
    with (data / "popular.csv").open(newline="", encoding="utf-8") as handle:
        rows = [(int(r["rank"]), r["name"]) for r in csv.DictReader(handle)]
    rows = rows[args.start : args.start + args.top]
    out: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "machine": platform.platform(),
        "model": model_info(),
        "threshold": scanner.threshold,
        "ranks": [args.start + 1, args.start + args.top],
        "budget_s": args.budget,
        "skipped_development": [],
        "fetch_errors": [],
        "per_package": [],
    }
    t0 = time.monotonic()
    for rank, name in rows:
        if time.monotonic() - t0 > args.budget:
            out["stopped_at_rank"] = rank
            break
        try:
            release, path = fetch_one(client, name, folder)
        except Exception as exc:
            error = masked(f"{type(exc).__name__}: {exc}")
            out["fetch_errors"].append({"rank": rank, "name": name, "error": error})
            continue
        if (release.sha256 or "").lower() in seen_sha or (normal(name), release.version) in seen_rel:
            out["skipped_development"].append({"rank": rank, "name": name, "version": release.version})
            continue
        record = {"rank": rank, "name": name, "version": release.version, "filename": release.filename}
        record |= {"sha256": release.sha256, "bytes": path.stat().st_size, **scan_record(scanner, path)}
        out["per_package"].append(record)
        gd.log(f"{rank} {name} {release.version}: {record['verdict']} {record['score']} {record['seconds']}s")
        out["wall_s"] = round(time.monotonic() - t0, 1)
        args.out.write_text(json.dumps(out, indent=1))
    return out


def summary(out: dict[str, Any]) -> dict[str, Any]:
    recs = out["per_package"]
    sec = [r["seconds"] for r in recs]
    verdicts = {v: sum(r["verdict"] == v for r in recs) for v in ("benign", "malicious", "error")}
    unflagged = sorted((r for r in recs if not r["flagged"]), key=lambda r: -(r["score"] or 0))
    return {
        "scanned": len(recs),
        "verdicts": verdicts,
        "flagged": [(r["name"], r["version"], r["score"], r["findings"]) for r in recs if r["flagged"]],
        "top_unflagged": [(r["name"], r["version"], r["score"]) for r in unflagged[:10]],
        "fetch_errors": len(out["fetch_errors"]),
        "skipped_development": len(out["skipped_development"]),
        "timing": gd.timing(sec) if sec else {},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=600)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--budget", type=float, default=3600.0, help="seconds of wall time to start scans in")
    parser.add_argument("--data", type=Path, help="development data (default: as vetpy finds it)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    from vetpy.lab.dataset.paths import data_dir

    out = hunt(args, data_dir(args.data))
    out["summary"] = summary(out)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps(out["summary"], indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
