#!/usr/bin/env python3
"""Interleaved before/after of vetpy's scan time on the releases of a ``popular.py`` run: the old and the
new source tree each scan all of them in a fresh process, in turn (old, new, old, new, ...), ``--rounds``
times; each package keeps its best time per side (the least disturbed by other work on the machine), as
wall and CPU seconds. Also checks that both sides give the same score, verdict and reasons (feature,
message, file, line) for every package.

    git archive OLD_COMMIT src | tar -x -C /tmp/old
    python benchmarks/before_after.py --old /tmp/old/src --names results/...-popular-ranks-301-340.json \
        --rounds 3 --out results/...-before-after.json

The releases are read from ``popular.py``'s cache (``$VETPY_BENCH_CACHE/popular``). Only names, versions,
timings and the equality verdict go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
KEYS = ("score", "verdict", "reasons")


def worker(sample_file: Path, out_file: Path) -> None:
    """Runs in a fresh process: scan every release once with the in-process Scanner."""
    from vetpy.scan import Scanner, default_scorer

    scanner = Scanner(scorer=default_scorer())
    rows = []
    for s in json.loads(sample_file.read_text()):
        wall, cpu = time.perf_counter(), time.process_time()
        result = scanner.scan([s["path"]])[0]
        rows.append(
            {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "score": result.score,
                "verdict": result.verdict.value,
                "reasons": [(r.feature, r.message, r.file, r.line) for r in result.reasons],
            }
        )
    out_file.write_text(json.dumps(rows))


def _helpers() -> Any:
    """guarddog_vs_vetpy and prepass_marks import vetpy: only the parent process loads them."""
    sys.path.insert(0, str(HERE))
    import guarddog_vs_vetpy
    import prepass_marks

    return guarddog_vs_vetpy, prepass_marks._label


def samples(names: Path) -> list[dict[str, Any]]:
    gd, _label = _helpers()

    wanted = [f"{p['name']}=={p['version']}" for p in json.loads(names.read_text())["per_package"]]
    cached = {_label(p): p for p in (gd.BENCH_CACHE / "popular").iterdir()}
    return [{"name": w.split("==")[0], "version": w.split("==")[1], "path": str(cached[w])} for w in wanted]


def best(runs: list[list[dict[str, Any]]], key: str) -> list[float]:
    return [min(run[i][key] for run in runs) for i in range(len(runs[0]))]


def timing(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 1),
        "p95_ms": round(_helpers()[0].pct([s * 1000 for s in seconds], 0.95), 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "total_s": round(sum(seconds), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", type=Path, required=True, help="the src folder of the code before")
    parser.add_argument("--new", type=Path, default=REPO / "src", help="the src folder of the code after")
    parser.add_argument("--names", type=Path, required=True, help="a popular.py result: its releases")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    gd, _ = _helpers()
    items = samples(args.names)
    runs: dict[str, list[list[dict[str, Any]]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        sample_file = Path(tmp) / "sample.json"
        sample_file.write_text(json.dumps(items))
        for n in range(args.rounds):
            for side, src in (("before", args.old), ("after", args.new)):
                out_file = Path(tmp) / f"{side}-{n}.json"
                env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
                cmd = [sys.executable, __file__, "_worker", str(sample_file), str(out_file)]
                subprocess.run(cmd, check=True, env=env)
                runs[side].append(json.loads(out_file.read_text()))
            gd.log(f"round {n + 1}/{args.rounds}")
    same = [
        all(
            a[i][k] == b[i][k]
            for a in runs["before"]
            for b in runs["after"]
            for k in ("score", "verdict", "reasons")
        )
        for i in range(len(items))
    ]
    walls = {side: best(r, "wall") for side, r in runs.items()}
    result: dict[str, Any] = {
        "rounds": args.rounds,
        **{side: {key: timing(best(r, key)) for key in ("wall", "cpu")} for side, r in runs.items()},
        "all_same": all(same),
        "per_package": [
            {
                **{k: s[k] for k in ("name", "version")},
                "before_s": round(b, 4),
                "after_s": round(a, 4),
                "same": ok,
            }
            for s, b, a, ok in zip(items, walls["before"], walls["after"], same, strict=True)
        ],
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "per_package"}, indent=1))
    return 0 if result["all_same"] else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["_worker"]:
        worker(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        raise SystemExit(main())
