"""How `vetpy diff` behaves on real consecutive releases: the malware dataset's projects with several
versions, each version diffed against the one before it (in memory; nothing is extracted or run).

Reports the time per diff (median, p95) and how many diffs were notable (new behaviours, endpoints or
install hooks), and of what kind. The results JSON holds names, versions and counts only, no code.

    python benchmarks/diff_release_pairs.py [--data DIR] [--max-pairs N] [--seed S] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from vetpy.acquire.archive import open_archive
from vetpy.diff import diff_archives
from vetpy.lab.dataset.paths import data_dir


def _pairs(data: Path) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    by_project: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    with open(data / "malicious" / "manifest.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            by_project[row["normalized_name"]].setdefault(row["version"], row)
    pairs = []
    for project, versions in by_project.items():
        try:
            ordered = sorted(versions, key=Version)
        except InvalidVersion:
            continue
        pairs += [(project, versions[a], versions[b]) for a, b in itertools.pairwise(ordered)]
    return pairs


def _diff(data: Path, old: dict[str, str], new: dict[str, str]) -> dict[str, Any]:
    root = data / "malicious"
    start = time.perf_counter()
    opened = [
        open_archive((root / row["file"]).read_bytes(), target=label, filename=Path(row["file"]).name)
        for label, row in (("new", new), ("old", old))
    ]
    diff = diff_archives(*opened)
    seconds = time.perf_counter() - start
    return {
        "seconds": round(seconds, 4),
        "notable": diff.notable,
        "files": [len(diff.added), len(diff.removed), len(diff.changed)],
        "behaviours": len(diff.behaviours),
        "new_kinds": len({b.feature for b in diff.behaviours if b.new_feature}),
        "endpoints_new_host": sum(e.new_host for e in diff.endpoints),
        "hooks": sorted({f"{h.kind}:{h.change}" for h in diff.hooks}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data")
    parser.add_argument("--max-pairs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/diff-malicious-pairs.json"))
    args = parser.parse_args()
    data = data_dir(args.data)
    pairs = _pairs(data)
    random.Random(args.seed).shuffle(pairs)
    chosen = pairs[: args.max_pairs]
    rows = []
    for project, old, new in chosen:
        try:
            row = _diff(data, old, new)
        except Exception as exc:  # an unreadable sample: counted, not fatal
            row = {"error": f"{type(exc).__name__}"}
        rows.append({"project": project, "old": old["version"], "new": new["version"], **row})
    ok = [r for r in rows if "error" not in r]
    times = sorted(r["seconds"] for r in ok)
    summary = {
        "pairs_available": len(pairs),
        "pairs_diffed": len(rows),
        "errors": len(rows) - len(ok),
        "median_ms": round(1000 * statistics.median(times), 1) if times else None,
        "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 1) if times else None,
        "notable": sum(r["notable"] for r in ok),
        "identical_files": sum(r["files"] == [0, 0, 0] for r in ok),
        "with_new_kinds_of_behaviour": sum(r["new_kinds"] > 0 for r in ok),
        "with_new_hosts": sum(r["endpoints_new_host"] > 0 for r in ok),
        "with_hook_changes": sum(bool(r["hooks"]) for r in ok),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"summary": summary, "seed": args.seed, "rows": rows}, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
