#!/usr/bin/env python3
"""Where one package's scan time goes, stage by stage (issue 19's profile), one core, in this process.

Each stage is a function of the scan wrapped with a timer that keeps its *own* time (time spent in another
wrapped stage below it is charged to that one), so the rows add up to the whole ``Scanner.scan`` time;
``other`` is what no wrapper covers. The archive is scanned ``--runs`` times (the first run is a warm-up
and not counted) and the per-stage seconds of the best run are kept (the least disturbed by other work on
the machine). No result cache, bundled model. ``--cprofile N`` also prints cProfile's top N functions by
own time for each package.

Usage: python benchmarks/profile_stages.py ARCHIVE... [--runs 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import importlib
import json
import pstats
import sys
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# (module, attribute, stage): the function under that name in that module is timed as the stage.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("vetpy.scan", "load_target", "read + decompress"),
    ("vetpy.acquire.archive", "add_code_views", "code views of the archive (in open_archive)"),
    ("vetpy.features.forensics", "_mixed_script_name", "forensics: identifiers' scripts (tokenize)"),
    ("vetpy.features.gather", "known_file", "clone look-up"),
    ("vetpy.features.gather", "_test_suite", "test-suite detection"),
    ("vetpy.features.gather", "_text_file", "text files (URLs, scripts)"),
    ("vetpy.features.source.pool", "decode_source", "decode source"),
    ("vetpy.features.gather", "decode_source", "decode source"),
    ("vetpy.features.source.pool", "needs_tree", "fast pass (prepass)"),
    ("vetpy.features.source.pool", "install_time_setup", "setup.py blanking"),
    ("vetpy.features.gather", "install_time_setup", "setup.py blanking"),
    ("vetpy.features.source.scan", "scan_text_patterns", "text patterns (escapes, long lines)"),
    ("vetpy.features.source.walker", "scan_string", "string literal checks"),
    ("vetpy.features.source.scan", "scan_string_patterns", "string path/command patterns"),
    ("vetpy.features.source.scan", "scan_regex", "regex fallback (unparsable files)"),
    ("vetpy.features.metadata", "detect", "metadata"),
    ("vetpy.features.collect.Collector", "finish", "feature values + texts"),
    ("vetpy.assess", "_reasons", "reasons (explanations)"),
    ("vetpy.assess", "hard_findings", "reasons (explanations)"),
)
WALK = "syntax-tree walk (Python)"
PARSE = "ast.parse (C)"
SUSP = "suspicious-lines text"
SCORE = "model scoring"


class Timers:
    """Own time per stage: a stage's time less that of the stages called inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._child: list[float] = []

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._child.append(0.0)
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                inner = self._child.pop()
                self.own[stage] += elapsed - inner
                self.calls[stage] += 1
                if self._child:
                    self._child[-1] += elapsed

        return timed

    def wrap_generator(self, stage: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        """Time each step of a generator (the caller may stop early)."""

        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            it = iter(fn(*args, **kwargs))
            step = self.wrap(stage, lambda: next(it, StopIteration))
            while (item := step()) is not StopIteration:
                yield item

        return timed


def _owner(path: str) -> Any:
    """A module, or a class when the last part of ``path`` is capitalised."""
    module, _, last = path.rpartition(".")
    if last[:1].isupper():
        return getattr(importlib.import_module(module), last)
    return importlib.import_module(path)


def _detector(fn: Callable[..., Any]) -> str:
    return f"detector {fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"


def instrument(timers: Timers, scorer: Any) -> None:
    for where, attr, stage in STAGES:
        owner = _owner(where)
        setattr(owner, attr, timers.wrap(stage, getattr(owner, attr)))
    scan_mod = importlib.import_module("vetpy.features.source.scan")
    scan_mod.ast = types.SimpleNamespace(parse=timers.wrap(PARSE, ast.parse), AST=ast.AST)  # type: ignore[attr-defined]
    walker = importlib.import_module("vetpy.features.source.walker").Walker
    walker.run = timers.wrap(WALK, walker.run)
    extract = importlib.import_module("vetpy.features.extract")
    for group in ("BEFORE_METADATA", "AFTER_METADATA"):
        detectors = getattr(extract, group)
        setattr(extract, group, tuple(timers.wrap(_detector(d), d) for d in detectors))
    gather = importlib.import_module("vetpy.features.gather")
    gather.iter_suspicious_lines = timers.wrap_generator(SUSP, gather.iter_suspicious_lines)
    scorer.score = timers.wrap(SCORE, scorer.score)
    if hasattr(scorer, "scored_explanation"):  # a saved model: the score comes with the explanation
        scorer.scored_explanation = timers.wrap(SCORE, scorer.scored_explanation)


def profile_one(scanner: Any, timers: Timers, path: str, runs: int) -> dict[str, Any]:
    best: dict[str, Any] | None = None
    for run in range(runs + 1):
        timers.own.clear()
        timers.calls.clear()
        start = time.perf_counter()
        result = scanner.scan([path])[0]
        total = time.perf_counter() - start
        if run and (best is None or total < best["total"]):
            own = dict(timers.own)
            own["other"] = total - sum(own.values())
            best = {"total": total, "own": own, "calls": dict(timers.calls), "verdict": result.verdict.value}
    assert best is not None
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archives", nargs="+")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    from vetpy.model.loader import DeferredScorer
    from vetpy.scan import Scanner, default_scorer

    scorer = default_scorer()
    if isinstance(scorer, DeferredScorer):  # time the model itself, not its wrapper
        scorer = scorer.loaded()
    timers = Timers()
    instrument(timers, scorer)
    scanner = Scanner(scorer=scorer)
    out: dict[str, Any] = {}
    for path in args.archives:
        name = Path(path).name
        out[name] = profile_one(scanner, timers, path, args.runs)
        row = out[name]
        parts = sorted(row["own"].items(), key=lambda kv: -kv[1])
        print(
            f"{name}: {row['total']:.3f} s  "
            + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in parts if v > 0.001)
        )
        if args.cprofile:
            prof = cProfile.Profile()
            prof.runcall(scanner.scan, [path])
            pstats.Stats(prof, stream=sys.stdout).sort_stats("tottime").print_stats(args.cprofile)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
