#!/usr/bin/env python3
"""Why the fast pass sends files to the syntax tree: per mark, how many files and bytes it marks, and how
many it marks alone, on real releases (default: the popular releases cached by ``popular.py``).

The files are those a scan reads (``gather``: test suites no package file imports and files of the clone
index left out). Each is put in one group: ``always`` (setup.py, ``__init__.py``, ``__main__.py``),
``marked`` or ``light``; a marked file lists every mark that fires in it (not only the first one the fast
pass stops at). For every file sent to the tree it also runs the full pass and the light pass and says
whether the full pass found anything more (``wasted``: same facts; ``texture``: only long-string
texture more), and times both.

    python benchmarks/prepass_marks.py [ARCHIVE ...] [--names RESULTS.json] [--out OUT.json]

Only counts, mark names and package names go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from vetpy.acquire.archive import open_archive
from vetpy.features.clones import known_file
from vetpy.features.gather import _depth, _is_setup_py, _test_suite
from vetpy.features.roles import install_time_setup
from vetpy.features.source import prepass as pp
from vetpy.features.source import prepass_shapes as ps
from vetpy.features.source.facts import FileFacts
from vetpy.features.source.prepass_reach import dynamic_call
from vetpy.features.source.scan import scan_light, scan_source
from vetpy.features.source.text import PY_SUFFIXES, decode_source

CACHE = Path.home() / ".cache" / "vetpy" / "bench" / "popular"
TEXTURE = frozenset({"paper.long_string", "code.long_strings"})


def reasons(text: str) -> list[str]:
    """Every mark that fires in one file."""
    low = text.lower()
    words = pp.mark_words()
    found = {f"word:{words[i]}" for i, _, _ in pp._automaton().find_matches_as_indexes(low, overlapping=True)}
    for pattern, left, check in ps._SHAPES:
        for m in pattern.finditer(low):
            if left and m.start() and low[m.start() - 1] in left:
                continue
            if check is None or check(low, m):
                found.add(f"shape:{pattern.pattern[:40]}")
                break
    if "://" in text and pp._suspicious_url(text):
        found.add("url")
    if dynamic_call(text):
        found.add("dynamic_call")
    if pp._packed_literal(text):
        found.add("packed_literal")
    if not found and pp.built_marks(text, pp._marked_text):
        found.add("built_string")  # a string the module builds from pieces holds a mark (prepass_built.py)
    return sorted(found)


def view(f: FileFacts, texture: bool) -> tuple[Any, ...]:
    """The parts of a file's facts the features read (texture left out when ``texture`` is False)."""
    counts = {k: v for k, v in f.counts.items() if texture or k not in TEXTURE}
    return (
        counts,
        f.strong,
        f.module_level,
        f.tokens,
        f.urls,
        f.entry_modules,
        f.max_entropy if texture else 0.0,
        f.import_time,
        f.parsed,
        {k: [(h.line, h.message) for h in v] for k, v in f.examples.items() if texture or k not in TEXTURE},
    )


def archive_rows(path: Path) -> list[dict[str, Any]]:
    archive = open_archive(path.read_bytes(), target=str(path), filename=path.name)
    py = [m for m in archive.members if m.path.lower().endswith(PY_SUFFIXES)]
    setups = sorted((m.path for m in py if _is_setup_py(m.path)), key=_depth)
    setup = setups[0] if setups else None
    tests = _test_suite(py)
    rows: list[dict[str, Any]] = []
    for m in py:
        row: dict[str, Any] = {"archive": path.name, "bytes": len(m.data)}
        if m.path in tests:
            rows.append({**row, "group": "test_suite"})
            continue
        if known_file(m.data):
            rows.append({**row, "group": "known"})
            continue
        text = decode_source(m.data)
        is_setup = m.path == setup
        marks = reasons(text)
        always = pp.always_full(m.path, is_setup)
        group = "always" if always else "marked" if marks else "light"
        row.update(group=group, marks=marks, name=m.path.rsplit("/", 1)[-1])
        t0 = time.perf_counter()
        light = scan_light(m.path, text)
        t1 = time.perf_counter()
        if group != "light":
            full = scan_source(
                m.path, install_time_setup(text) if is_setup else text, is_setup=is_setup, data=m.data
            )
            row["full_s"] = time.perf_counter() - t1
            row["wasted"] = view(full, True) == view(light, True)
            row["texture_only"] = view(full, False) == view(light, False)
        row["light_s"] = t1 - t0
        rows.append(row)
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    scanned = [r for r in rows if r["group"] in ("always", "marked", "light")]
    tree = [r for r in scanned if r["group"] != "light"]
    out: dict[str, Any] = {"groups": {}}
    for g in ("test_suite", "known", "always", "marked", "light"):
        sel = [r for r in rows if r["group"] == g]
        out["groups"][g] = {
            "files": len(sel),
            "bytes": sum(r["bytes"] for r in sel),
            "full_s": round(sum(r.get("full_s", 0.0) for r in sel), 3),
        }
    out["tree_share"] = {
        "files": round(len(tree) / max(1, len(scanned)), 3),
        "bytes": round(sum(r["bytes"] for r in tree) / max(1, sum(r["bytes"] for r in scanned)), 3),
    }
    for key in ("wasted", "texture_only"):
        sel = [r for r in tree if r[key]]
        out[key] = {
            "files": len(sel),
            "bytes": sum(r["bytes"] for r in sel),
            "full_s": round(sum(r["full_s"] for r in sel), 3),
        }
    per: dict[str, Counter[str]] = {}
    for r in tree:
        for mark in r["marks"]:
            c = per.setdefault(mark, Counter())
            c["files"] += 1
            c["bytes"] += r["bytes"]
            c["full_s_x1000"] += round(r["full_s"] * 1000)
            if len(r["marks"]) == 1 and r["group"] == "marked":
                c["alone"] += 1
                c["alone_bytes"] += r["bytes"]
        if r["group"] == "always" and not r["marks"]:
            out.setdefault("always_unmarked", Counter())["files"] += 1
            out["always_unmarked"]["bytes"] += r["bytes"]
            out["always_unmarked"]["full_s_x1000"] += round(r["full_s"] * 1000)
    out["marks"] = {k: dict(v) for k, v in sorted(per.items(), key=lambda kv: -kv[1]["files"])}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archives", nargs="*", type=Path)
    parser.add_argument("--names", type=Path, help="a popular.py result: only its releases")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    archives = list(args.archives) or sorted(CACHE.iterdir())
    if args.names:
        wanted = {f"{p['name']}=={p['version']}" for p in json.loads(args.names.read_text())["per_package"]}
        archives = [a for a in archives if _label(a) in wanted]
    rows: list[dict[str, Any]] = []
    for a in archives:
        rows.extend(archive_rows(a))
        print(f"{a.name}: {sum(1 for r in rows if r['archive'] == a.name)} files", file=sys.stderr)
    result = {"archives": len(archives), **summarise(rows)}
    if args.out:
        args.out.write_text(json.dumps({**result, "files": rows}, indent=1))
    print(json.dumps(result, indent=1))
    return 0


def _label(path: Path) -> str:
    """``name==version`` of an sdist or wheel file name (normalised name)."""
    stem = path.name.removesuffix(".tar.gz").removesuffix(".zip").removesuffix(".whl")
    parts = stem.split("-")
    return f"{parts[0].replace('_', '-').lower()}=={parts[1]}" if len(parts) > 1 else stem


if __name__ == "__main__":
    raise SystemExit(main())
