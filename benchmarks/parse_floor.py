#!/usr/bin/env python3
"""The cost of the syntax trees a scan must build, beside the read-and-decompress floor (issue 19).

For each release of a ``popular.py`` result (``--names``), the in-process Scanner scans it once (bundled
model, no cache, one core) while every source text it hands to ``ast.parse`` is recorded; then those texts
are parsed again, alone, with the cyclic collector off (as in a scan), and the trees freed. The sum is a
lower bound on the time of any scan that builds CPython syntax trees for the files vetpy's fast pass marks
(plus setup.py, ``__init__.py`` and ``__main__.py``), whatever it does with the trees: compare it with the
floor (``floor_s`` of the same result: reading and decompressing every member) and with vetpy's own time.

With ``--regions`` it also reports how many of those bytes lie in top-level functions and classes, and in
functions and methods, that hold no mark of the fast pass: what a scan that parsed only marked regions
would skip (a measure for a future design; the trees decide the features the shipped model reads).

    python benchmarks/parse_floor.py --names results/2026-12-02-popular-ranks-301-340-small-packages.json

Only names, byte counts and seconds are printed or written (``--out``); no code.
"""

from __future__ import annotations

import argparse
import ast
import gc
import hashlib
import json
import sys
import time
import types
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import guarddog_vs_vetpy as gd  # noqa: E402


def _releases(names: Path) -> list[tuple[dict[str, Any], Path]]:
    wanted = json.loads(names.read_text())["per_package"]
    by_sha = {hashlib.sha256(p.read_bytes()).hexdigest(): p for p in (gd.BENCH_CACHE / "popular").iterdir()}
    return [(row, by_sha[row["sha256"]]) for row in wanted if row["sha256"] in by_sha]


def _segment(lines: list[str], node: ast.stmt) -> str:
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "".join(lines[start - 1 : node.end_lineno])


def _unmarked_bytes(path: str, text: str) -> tuple[int, int]:
    """Bytes of top-level functions/classes without a mark, and of functions/methods without one."""
    from vetpy.features.source.prepass import always_full, has_marks

    if always_full(path, False):
        return 0, 0
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return 0, 0
    lines = text.splitlines(keepends=True)
    top = inner = 0
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in tree.body:
        if not isinstance(node, defs):
            continue
        block = _segment(lines, node)
        if not has_marks(block):
            top += len(block)
            inner += len(block)
        elif isinstance(node, ast.ClassDef):
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef):
                    method = _segment(lines, sub)
                    inner += 0 if has_marks(method) else len(method)
    return top, inner


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--names", type=Path, required=True, help="a popular.py result: its releases")
    parser.add_argument("--regions", action="store_true")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    import vetpy.features.source.scan as scan_module
    from vetpy.scan import Scanner, default_scorer

    texts: list[tuple[str, str]] = []

    def recording_parse(source: str, *rest: Any, **named: Any) -> ast.AST:
        texts.append((str(named.get("filename", "")), source))
        return ast.parse(source, *rest, **named)

    scan_module.ast = types.SimpleNamespace(parse=recording_parse, AST=ast.AST)  # type: ignore[attr-defined]
    scanner = Scanner(scorer=default_scorer())
    warnings.simplefilter("ignore")
    rows = []
    for row, path in _releases(args.names):
        texts.clear()
        scanner.scan([str(path)])
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        for _, text in texts:
            tree = ast.parse(text)
            del tree
        parse = time.perf_counter() - start
        gc.enable()
        out = {
            "name": row["name"],
            "version": row["version"],
            "files_parsed": len(texts),
            "bytes_parsed": sum(len(t.encode("utf-8", "surrogatepass")) for _, t in texts),
            "parse_s": round(parse, 4),
            "floor_s": row.get("floor_s"),
            "vetpy_s": row.get("vetpy_s"),
        }
        if args.regions:
            top = inner = 0
            for name, text in texts:
                a, b = _unmarked_bytes(name, text)
                top, inner = top + a, inner + b
            out["unmarked_top_level_bytes"], out["unmarked_function_bytes"] = top, inner
        rows.append(out)
    total = {
        k: round(sum(r[k] or 0 for r in rows), 3) for k in ("parse_s", "floor_s", "vetpy_s", "bytes_parsed")
    }
    summary: dict[str, Any] = {
        "releases": len(rows),
        "totals": total,
        "parse_over_floor": round(total["parse_s"] / total["floor_s"], 2) if total["floor_s"] else None,
        "vetpy_over_floor": round(total["vetpy_s"] / total["floor_s"], 2) if total["floor_s"] else None,
    }
    if args.regions and total["bytes_parsed"]:
        for key in ("unmarked_top_level_bytes", "unmarked_function_bytes"):
            summary[key.replace("bytes", "share")] = round(
                sum(r[key] for r in rows) / total["bytes_parsed"], 3
            )
    print(json.dumps(summary, indent=1))
    for r in sorted(rows, key=lambda r: -r["parse_s"])[:8]:
        size = r["bytes_parsed"] / 1e6
        print(f"  {r['name']:28} {r['files_parsed']:5} files {size:6.2f} MB parse {r['parse_s']:.3f} s")
    if args.out:
        args.out.write_text(
            json.dumps({"command": " ".join(sys.argv), "summary": summary, "releases": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
