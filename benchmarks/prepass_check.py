"""Soundness and speed of the fast pass (features/source/prepass.py) over the development corpus.

For every Python file of every archive: the fast pass's verdict, and the full syntax-tree analysis anyway.
A *miss* is a file the fast pass would skip on which the full analysis fires a behaviour detector (any
feature other than the texture counts in TEXTURE). Also times, per archive, the full pass over all files
against the fast pass plus the full pass over the marked files only.

    python benchmarks/prepass_check.py --data ../shared/data --lists benign.csv benign_recent.csv \
        benign_popular.csv --malicious --out /tmp/prepass.jsonl --jobs 2

Resumable: archives already in ``--out`` are skipped. ``--summary`` prints totals of an output file.
Malware is read as bytes, in memory; nothing from it is written but counts and file paths.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from vetpy.acquire.archive import open_archive
from vetpy.features.roles import install_time_setup
from vetpy.features.source.prepass import needs_tree
from vetpy.features.source.scan import scan_light, scan_source
from vetpy.features.source.text import PY_SUFFIXES, decode_source
from vetpy.lab.dataset.corpus import benign_samples, malicious_samples

#: Size and texture statistics: what a skipped file may lose by design (not behaviour detectors).
TEXTURE = frozenset({"paper.long_string", "code.long_strings"})


def setup_path(paths: list[str]) -> str | None:
    """The top-most setup.py among ``paths`` (at most one folder deep), as the scanner picks it."""
    setups = sorted(
        (p for p in paths if p.rsplit("/", 1)[-1] == "setup.py" and p.count("/") <= 1),
        key=lambda p: p.count("/"),
    )
    return setups[0] if setups else None


def check_archive(item: tuple[str, str, int]) -> dict[str, Any]:
    """One archive: files, marked files, misses (path + features), seconds full vs fast."""
    path, sha, label = item
    out: dict[str, Any] = {"sha256": sha, "label": label, "path": path}
    try:
        archive = open_archive(Path(path).read_bytes(), target=path, filename=Path(path).name)
    except Exception as exc:  # an unreadable archive: recorded, not fatal
        out["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return out
    py = [m for m in archive.members if m.path.lower().endswith(PY_SUFFIXES)]
    setup = setup_path([m.path for m in py])
    full_s = fast_s = 0.0
    marked, misses, lost_tokens = 0, [], 0
    for m in py:
        t0 = time.perf_counter()
        text = decode_source(m.data)
        is_setup = m.path == setup
        source = install_time_setup(text) if is_setup else text
        full = scan_source(m.path, source, is_setup=is_setup, data=m.data)
        t1 = time.perf_counter()
        tree = needs_tree(m.path, text, is_setup)
        if tree:
            marked += 1
            t2 = time.perf_counter()
            fast_s += (t2 - t1) + (t1 - t0)
            full_s += t1 - t0
            continue
        light = scan_light(m.path, text)
        t2 = time.perf_counter()
        full_s += t1 - t0
        fast_s += t2 - t1
        fired = sorted(f for f, n in full.counts.items() if f not in TEXTURE and n > light.counts.get(f, 0))
        if fired:
            misses.append({"file": m.path, "features": fired})
        lost_tokens += len(set(full.tokens) - set(light.tokens))
    out.update(
        files=len(py),
        marked=marked,
        misses=misses,
        lost_tokens=lost_tokens,
        full_s=round(full_s, 4),
        fast_s=round(fast_s, 4),
    )
    return out


def _items(args: argparse.Namespace) -> list[tuple[str, str, int]]:
    items = []
    if args.malicious:
        items += [(str(s.path), s.sha256, 1) for s in malicious_samples(args.data)]
    benign = [(str(s.path), s.sha256, 0) for n in args.lists for s in benign_samples(args.data, list_name=n)]
    if args.sample:
        benign = random.Random(0).sample(benign, min(args.sample, len(benign)))
    return items + benign


def summary(path: Path) -> dict[str, Any]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    ok = [r for r in rows if "error" not in r]
    total: dict[str, Any] = {"archives": len(rows), "errors": len(rows) - len(ok)}
    for label in (0, 1):
        part = [r for r in ok if r["label"] == label]
        feats: Counter[str] = Counter(f for r in part for m in r["misses"] for f in m["features"])
        total["malicious" if label else "benign"] = {
            "archives": len(part),
            "files": sum(r["files"] for r in part),
            "marked": sum(r["marked"] for r in part),
            "files_missed": sum(len(r["misses"]) for r in part),
            "archives_with_miss": sum(1 for r in part if r["misses"]),
            "missed_features": dict(feats.most_common()),
            "full_s": round(sum(r["full_s"] for r in part), 1),
            "fast_s": round(sum(r["fast_s"] for r in part), 1),
        }
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--lists", nargs="*", default=[])
    parser.add_argument("--malicious", action="store_true")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sample", type=int, default=0, help="a random sample of this many benign archives")
    parser.add_argument("--summary", action="store_true")
    args = parser.parse_args(argv)
    if args.summary:
        print(json.dumps(summary(args.out), indent=1))
        return 0
    done = set()
    if args.out.exists():
        done = {json.loads(line)["sha256"] for line in args.out.read_text().splitlines() if line.strip()}
    todo = [i for i in _items(args) if i[1] not in done]
    print(f"{len(todo)} archives to check ({len(done)} done)", file=sys.stderr)
    with args.out.open("a") as handle, multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for n, row in enumerate(pool.imap_unordered(check_archive, todo, chunksize=4), start=1):
            handle.write(json.dumps(row) + "\n")
            if n % 200 == 0:
                handle.flush()
                print(f"{n}/{len(todo)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
