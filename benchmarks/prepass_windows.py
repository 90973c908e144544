#!/usr/bin/env python3
"""The fast pass's verdicts with the windowed word search are those of one search of the whole text, on
every Python file of the development corpus (features/source/prepass.py, ``_has_word``).

For every Python member of every archive: ``needs_tree`` as the scanner calls it, and the verdict of the
same checks with the mark words searched in the whole lower-cased text at once (the code before the
windows). Counts files, files sent to the tree and disagreements (there must be none).

    python benchmarks/prepass_windows.py --data ../shared/data --jobs 2 --out results.json

Malware is read as bytes, in memory; only counts (and the sha256 and path of a disagreement) are written.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prepass_check import setup_path

from vetpy.acquire.archive import open_archive
from vetpy.features.source import prepass as pp
from vetpy.features.source import prepass_shapes as ps
from vetpy.features.source.prepass_reach import dynamic_call
from vetpy.features.source.text import PY_SUFFIXES, decode_source
from vetpy.lab.dataset.corpus import benign_samples, malicious_samples

LISTS = ("benign.csv", "benign_recent.csv", "benign_popular.csv")


def whole_text_verdict(path: str, text: str, is_setup: bool) -> bool:
    """needs_tree with the mark words searched in the whole text (no windows)."""
    if pp.always_full(path, is_setup):
        return True
    low = text.lower()
    if pp._automaton().find_matches_as_indexes(low, overlapping=False) or ps.shape_marked(low):
        return True
    if "://" in text and pp._suspicious_url(text):
        return True
    return dynamic_call(text) or pp._packed_literal(text) or pp.built_marks(text, pp._marked_text)


def check(item: tuple[str, str, str]) -> dict[str, Any]:
    path, sha, label = item
    out: dict[str, Any] = {"label": label, "files": 0, "tree": 0, "differ": []}
    try:
        archive = open_archive(Path(path).read_bytes(), target=path, filename=Path(path).name)
    except Exception:
        out["error"] = True
        return out
    py = [m for m in archive.members if m.path.lower().endswith(PY_SUFFIXES)]
    setup = setup_path([m.path for m in py])
    for m in py:
        text, is_setup = decode_source(m.data), m.path == setup
        try:
            new = pp.needs_tree(m.path, text, is_setup)
        except UnicodeEncodeError:
            new = None
        try:
            old = whole_text_verdict(m.path, text, is_setup)
        except UnicodeEncodeError:
            old = None
        out["files"] += 1
        out["tree"] += bool(new)
        if new != old:
            out["differ"].append({"sha256": sha, "file": m.path, "new": new, "old": old})
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    start = time.time()
    items = [(str(s.path), s.sha256, "malicious") for s in malicious_samples(args.data)]
    for name in LISTS:
        items += [(str(s.path), s.sha256, "benign") for s in benign_samples(args.data, list_name=name)]
    totals: dict[str, Counter[str]] = {"malicious": Counter(), "benign": Counter()}
    differ: list[dict[str, Any]] = []
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for n, row in enumerate(pool.imap_unordered(check, items, chunksize=8), start=1):
            t = totals[row["label"]]
            t["archives"] += 1
            t["unreadable"] += int(bool(row.get("error")))
            t["files"] += row["files"]
            t["tree"] += row["tree"]
            t["differ"] += len(row["differ"])
            differ.extend(row["differ"])
            if n % 1000 == 0:
                print(f"{n}/{len(items)} {json.dumps(totals)}", file=sys.stderr)
    result = {
        "command": " ".join(["python", "benchmarks/prepass_windows.py", *(argv or sys.argv[1:])]),
        "totals": {k: dict(v) for k, v in totals.items()},
        "differ": differ,
        "seconds": round(time.time() - start, 1),
    }
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))
    return 0 if not differ else 1


if __name__ == "__main__":
    raise SystemExit(main())
