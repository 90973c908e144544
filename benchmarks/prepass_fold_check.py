"""Soundness of the fast pass since built-string folding (issue 19): on every file the fast pass skips,
the full analysis (scan_source, folding included) against the light one (scan_light).

Each file gets two fast-pass verdicts: the marks of its text alone (prepass.py before the built-string
marks, ``_marked_text``) and the fast pass as shipped (``needs_tree``, with prepass_built.py). A
*difference* is a file the first skips on which the full analysis fires a detector the light pass does
not (any feature but the long-string texture counts), emits a token the light pass does not, or records a
suspicious URL host (the import and call tokens, the very-long-string and parse-state tokens, which
every skipped file loses by design, are left out). Each difference is run again with folding switched
off, to tell the differences
folding introduced from the older ones, and the fold shapes that produced something are named (``concat``,
``reverse-slice``, the root call of a fold such as ``*.join`` or ``bytes.fromhex``, ``getattr-name``).
``parsed_now``: the shipped fast pass sends that file to the tree. ``newly_parsed``: files the built-string
marks send to the tree that the text marks skip (their records gain import and call tokens). No timing:
prepass_check.py does that.

    python benchmarks/prepass_fold_check.py --data ../shared/data --sample 2500 --out OUT.json

Malware is read as bytes, in memory; only counts, shapes, sha256s and member paths are written.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prepass_check import TEXTURE, setup_path

from vetpy.acquire.archive import open_archive
from vetpy.features.source import folding
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.prepass import _marked_text, always_full, needs_tree
from vetpy.features.source.scan import scan_light, scan_source
from vetpy.features.source.text import PY_SUFFIXES, decode_source
from vetpy.lab.dataset.corpus import benign_samples, malicious_samples

LISTS = ("benign.csv", "benign_recent.csv", "benign_popular.csv")
#: Tokens every skipped file loses by design (what it imports and calls, its parse state): not signals.
STRUCTURAL = ("import:", "call:", "str:very_long", "src:")
_SHAPES: list[str] = []  # shapes of the folds of the file being scanned
_ORIGINAL = {"scan_folded": folding.FoldChecks.scan_folded, "folded_name": folding.FoldChecks.folded_name}


def _shape_of(self: folding.FoldChecks, node: ast.AST) -> str:
    if isinstance(node, ast.BinOp):
        return "concat"
    if isinstance(node, ast.Subscript):
        return "reverse-slice"
    if isinstance(node, ast.Call):
        q = self.resolve(node.func)
        return q or "call"
    return type(node).__name__


def _recording_scan_folded(
    self: folding.FoldChecks, text: str, pieces: list[str], node: ast.AST, top: bool, obfuscated: bool
) -> None:
    _SHAPES.append(_shape_of(self, node) + ("+obf" if obfuscated else ""))
    _ORIGINAL["scan_folded"](self, text, pieces, node, top, obfuscated)


def _recording_folded_name(self: folding.FoldChecks, node: ast.expr) -> str | None:
    name = _ORIGINAL["folded_name"](self, node)
    if name is not None and not isinstance(node, ast.Constant):
        _SHAPES.append("getattr-name")
    return name


def _constant_name(self: folding.FoldChecks, node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


@contextmanager
def no_folding() -> Iterator[None]:
    """The walker as before folding: built strings are not scanned, names only from literals."""
    folding.FoldChecks.scan_folded = lambda *a, **k: None  # type: ignore[method-assign]
    folding.FoldChecks.folded_name = _constant_name  # type: ignore[method-assign]
    try:
        yield
    finally:
        folding.FoldChecks.scan_folded = _recording_scan_folded  # type: ignore[method-assign]
        folding.FoldChecks.folded_name = _recording_folded_name  # type: ignore[method-assign]


def difference(full: FileFacts, light: FileFacts) -> dict[str, list[str]]:
    """What the full analysis of a file holds that the light one does not (empty: the same facts)."""
    out: dict[str, list[str]] = {}
    fired = sorted(f for f, n in full.counts.items() if f not in TEXTURE and n > light.counts.get(f, 0))
    tokens = sorted(t for t in set(full.tokens) - set(light.tokens) if not t.startswith(STRUCTURAL))
    hosts = sorted({h.host for _, h in full.urls if h.suspicious} - {h.host for _, h in light.urls})
    for key, value in (("features", fired), ("tokens", tokens), ("hosts", hosts)):
        if value:
            out[key] = value
    return out


def check(item: tuple[str, str, str]) -> dict[str, Any]:
    path, sha, label = item
    out: dict[str, Any] = {"sha256": sha, "label": label, "files": 0, "tree": 0, "differ": []}
    out.update(text_marks_skip=0, newly_parsed=0)
    try:
        archive = open_archive(Path(path).read_bytes(), target=path, filename=Path(path).name)
    except Exception as exc:  # an unreadable archive: recorded, not fatal
        out["error"] = f"{type(exc).__name__}"
        return out
    py = [m for m in archive.members if m.path.lower().endswith(PY_SUFFIXES)]
    setup = setup_path([m.path for m in py])
    for m in py:
        text, is_setup = decode_source(m.data), m.path == setup
        out["files"] += 1
        tree = needs_tree(m.path, text, is_setup)
        out["tree"] += tree
        if always_full(m.path, is_setup) or _marked_text(text):
            continue
        out["text_marks_skip"] += 1
        out["newly_parsed"] += tree
        _SHAPES.clear()
        full = scan_source(m.path, text, is_setup=is_setup, data=m.data)
        diff = difference(full, scan_light(m.path, text))
        if not diff:
            continue
        shapes = sorted(set(_SHAPES))
        with no_folding():
            no_fold = scan_source(m.path, text, is_setup=is_setup, data=m.data)
            old = difference(no_fold, scan_light(m.path, text))
        out["differ"].append(
            {
                "file": m.path,
                **diff,
                "fold_shapes": shapes,
                "by_folding": diff != old,
                "old": old,
                "parsed_now": tree,
            }
        )
    return out


def items(data: Path, sample: int, seed: int) -> list[tuple[str, str, str]]:
    mal = [(str(s.path), s.sha256, "malicious") for s in malicious_samples(data)]
    ben = [(str(s.path), s.sha256, "benign") for n in LISTS for s in benign_samples(data, list_name=n)]
    rng = random.Random(seed)
    if sample:
        ben = rng.sample(ben, min(sample, len(ben)))
    return mal + ben


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--sample", type=int, default=0, help="this many benign archives (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    folding.FoldChecks.scan_folded = _recording_scan_folded  # type: ignore[method-assign]
    folding.FoldChecks.folded_name = _recording_folded_name  # type: ignore[method-assign]
    start = time.time()
    todo = items(args.data, args.sample, args.seed)
    totals: dict[str, Counter[str]] = {"malicious": Counter(), "benign": Counter()}
    differ: list[dict[str, Any]] = []
    for n, item in enumerate(todo, start=1):
        row = check(item)
        t = totals[row["label"]]
        t["archives"] += 1
        t["unreadable"] += int("error" in row)
        t["files"] += row["files"]
        t["tree"] += row["tree"]
        t["skipped_by_text_marks"] += row["text_marks_skip"]
        t["newly_parsed"] += row["newly_parsed"]
        t["archives_newly_parsed"] += int(row["newly_parsed"] > 0)
        t["skipped_files_differ_after"] += sum(not d["parsed_now"] for d in row["differ"])
        t["archives_differ_after"] += int(any(not d["parsed_now"] for d in row["differ"]))
        t["archives_facts_change"] += int(any(d["parsed_now"] for d in row["differ"]))
        t["skipped_files_differ"] += len(row["differ"])
        t["skipped_files_differ_by_folding"] += sum(d["by_folding"] for d in row["differ"])
        t["archives_differ"] += int(bool(row["differ"]))
        t["archives_differ_by_folding"] += int(any(d["by_folding"] for d in row["differ"]))
        differ += [{"sha256": row["sha256"], "label": row["label"], **d} for d in row["differ"]]
        if n % 500 == 0:
            print(f"{n}/{len(todo)} {time.time() - start:.0f}s {json.dumps(totals)}", file=sys.stderr)
    result = {
        "command": " ".join(["python", "benchmarks/prepass_fold_check.py", *(argv or sys.argv[1:])]),
        "totals": {k: dict(v) for k, v in totals.items()},
        "shapes_by_folding": dict(Counter(s for d in differ if d["by_folding"] for s in d["fold_shapes"])),
        "differ": differ,
        "seconds": round(time.time() - start, 1),
    }
    args.out.write_text(json.dumps(result, indent=1))
    print(json.dumps({k: v for k, v in result.items() if k != "differ"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
