"""Snapshot of every corpus archive's features and score, for equivalence proofs between two code versions.

Used for the behaviour-preserving restructure of the feature stage (issue 17): a snapshot of the old code
and of the new one over the whole development corpus must compare with zero mismatches.

run:     PYTHONPATH=SRC python corpus_snapshot.py run --out FILE.jsonl [--lists malicious,benign,...]
         [--jobs N] [--limit N]   (resumable: archives already in FILE are skipped)
compare: python corpus_snapshot.py compare A.jsonl B.jsonl [--tol 1e-6]
Each line: {"sha256", "list", "error", "values": {id: v}, "suspicious_text", "code_text", "score", "seconds"}.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path("/work/shared/data")
LISTS = {
    "malicious": None,
    "benign": "benign.csv",
    "benign_recent": "benign_recent.csv",
    "benign_popular": "benign_popular.csv",
}

_SCORER: Any = None


def samples(names: list[str]) -> list[tuple[str, str, str]]:
    from vetpy.lab.dataset.benign import archive_path, read_benign_csv

    out: list[tuple[str, str, str]] = []
    for name in names:
        if name == "malicious":
            with (DATA / "malicious" / "manifest.csv").open(newline="", encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    out.append((name, row["sha256"].lower(), str(DATA / "malicious" / row["file"])))
        else:
            for release in read_benign_csv(DATA / str(LISTS[name])):
                path = archive_path(release)
                if path.is_file():
                    out.append((name, release.sha256, str(path)))
    return out


def one(item: tuple[str, str, str]) -> dict[str, Any]:
    global _SCORER
    from vetpy.acquire.archive import open_archive
    from vetpy.features.extract import extract_features
    from vetpy.features.registry import FEATURE_IDS

    if _SCORER is None:
        from vetpy.model.loader import load_default_scorer

        _SCORER = load_default_scorer()
    listname, sha, path = item
    start = time.perf_counter()
    row: dict[str, Any] = {"sha256": sha, "list": listname, "error": None}
    try:
        data = Path(path).read_bytes()
        archive = open_archive(data, target=path, filename=Path(path).name)
        feats = extract_features(archive)
        row["values"] = {f: float(feats.values.get(f, 0.0)) for f in FEATURE_IDS}
        row["suspicious_text"] = feats.suspicious_text
        row["code_text"] = feats.code_text
        row["score"] = float(_SCORER.score([feats])[0])
        row["limit_hit"] = archive.limit_hit
        row["evidence"] = [[e.feature, e.message, e.file, e.line, e.snippet] for e in feats.evidence]
    except Exception as exc:  # recorded, compared like any other outcome
        row["error"] = f"{type(exc).__name__}: {exc}"[:300]
    row["seconds"] = time.perf_counter() - start
    return row


def run(args: argparse.Namespace) -> None:
    out = Path(args.out)
    done: set[str] = set()
    if out.is_file():
        for line in out.read_text().splitlines():
            with contextlib.suppress(ValueError, KeyError):
                done.add(json.loads(line)["sha256"])
    todo = [s for s in samples(args.lists.split(",")) if s[1] not in done]
    seen: set[str] = set()
    todo = [s for s in todo if not (s[1] in seen or seen.add(s[1]))]  # type: ignore[func-returns-value]
    if args.limit:
        todo = todo[: args.limit]
    print(f"{len(todo)} archives to do ({len(done)} already in {out})", flush=True)
    with (
        out.open("a") as handle,
        multiprocessing.get_context("spawn").Pool(args.jobs, maxtasksperchild=200) as pool,
    ):
        for i, row in enumerate(pool.imap_unordered(one, todo, chunksize=4), 1):
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            if i % 500 == 0:
                print(f"{i}/{len(todo)}", flush=True)


def compare(args: argparse.Namespace) -> None:
    def load(p: str) -> dict[str, dict[str, Any]]:
        return {r["sha256"]: r for r in map(json.loads, Path(p).read_text().splitlines())}

    a, b = load(args.a), load(args.b)
    common = sorted(set(a) & set(b))
    mism: dict[str, int] = {}
    max_score_diff = 0.0
    verdict_flips = 0
    examples: list[str] = []
    for sha in common:
        ra, rb = a[sha], b[sha]
        diffs = []
        if (ra["error"] is None) != (rb["error"] is None):
            diffs.append("error")
        if ra["error"] is None and rb["error"] is None:
            for f in set(ra["values"]) | set(rb["values"]):
                if ra["values"].get(f) != rb["values"].get(f):
                    diffs.append(f"value:{f}")
            for t in ("suspicious_text", "code_text"):
                if ra[t] != rb[t]:
                    diffs.append(t)
            if "evidence" in ra and "evidence" in rb and ra["evidence"] != rb["evidence"]:
                diffs.append("evidence")
            d = abs(ra["score"] - rb["score"])
            max_score_diff = max(max_score_diff, d)
            if d > args.tol:
                diffs.append("score")
            if (ra["score"] >= args.threshold) != (rb["score"] >= args.threshold):
                verdict_flips += 1
        for d in diffs:
            mism[d] = mism.get(d, 0) + 1
        if diffs and len(examples) < 10:
            examples.append(f"{sha} {ra['list']} {diffs[:5]}")
    by_list: dict[str, int] = {}
    for sha in common:
        by_list[a[sha]["list"]] = by_list.get(a[sha]["list"], 0) + 1
    only_a, only_b = len(set(a) - set(b)), len(set(b) - set(a))
    print(f"compared {len(common)} archives {by_list}; only in A {only_a}, only in B {only_b}")
    print(f"max |score diff| {max_score_diff:.3g}; verdict flips at {args.threshold}: {verdict_flips}")
    print(f"mismatches: {mism or 'none'}")
    for e in examples:
        print("  e.g.", e)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--out", required=True)
    r.add_argument("--lists", default="malicious,benign,benign_recent,benign_popular")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--limit", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("a")
    c.add_argument("b")
    c.add_argument("--tol", type=float, default=1e-6)
    c.add_argument("--threshold", type=float, default=0.914)
    args = parser.parse_args()
    run(args) if args.cmd == "run" else compare(args)


if __name__ == "__main__":
    sys.exit(main())
