"""``vetpy batch INPUT --out results.jsonl``: scan many packages in parallel, one JSON line each."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from vetpy.acquire.release import ARTIFACTS, Artifact
from vetpy.batch import BatchSummary, LocalEngine, WorkerSettings, discover, run_batch
from vetpy.batch.interface import Engine
from vetpy.cli.argtypes import positive_float, positive_int, probability
from vetpy.cli.limits import add_limit_arguments, limits_from_args
from vetpy.errors import VetpyError
from vetpy.result import ScanResult


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "batch",
        help="scan every archive under a folder, or every target in a file, in parallel (JSON lines)",
        description="Scan many packages in parallel and append one JSON result per line to --out. "
        "INPUT is a folder (every archive under it, recursively, recognised by content) or a text file "
        "of targets, one per line (paths or name==version; blank lines and # comments are skipped). "
        "Exit 0: nothing flagged; 1: something flagged; 2: usage error; 3: nothing flagged, but a "
        "package could not be scanned completely.",
    )
    parser.add_argument("input", type=Path, metavar="INPUT", help="a folder of archives, or a targets file")
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="results, one JSON per line")
    parser.add_argument(
        "--jobs", type=positive_int, metavar="N", help="parallel workers (default: CPU cores)"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue an interrupted batch: skip targets already in --out"
    )
    parser.add_argument("--engine", choices=("local", "ray"), default="local", help="where scans run")
    parser.add_argument("--address", metavar="ADDR", help="Ray cluster address (default: a local Ray)")
    parser.add_argument(
        "--timeout", type=positive_float, default=60.0, metavar="SECONDS", help="time limit per package"
    )
    parser.add_argument(
        "--max-memory",
        type=positive_int,
        default=2048,
        metavar="MB",
        help="address-space limit per local worker, in MB",
    )
    parser.add_argument("--threshold", type=probability, metavar="T", help="flag when score >= T (0-1)")
    parser.add_argument(
        "--artifact",
        choices=ARTIFACTS,
        default="auto",
        help="which index files of a name==version line to scan (one line per target: the most severe "
        "file, the others in notes): auto (the file pip would install here, and the sdist), sdist, wheel,"
        " all",
    )
    parser.add_argument(
        "--model", metavar="PATH", help="a saved model file, or 'rules' for the built-in transparent rule set"
    )
    add_limit_arguments(parser)
    parser.set_defaults(func=run)


def make_engine(args: argparse.Namespace) -> Engine:
    if args.engine == "ray":
        from vetpy.batch.ray_engine import RayEngine

        return RayEngine(jobs=args.jobs, address=args.address, timeout=args.timeout)
    return LocalEngine(jobs=args.jobs, timeout=args.timeout)


class _RateColumn(ProgressColumn):
    """Packages per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("-- pkg/s" if speed is None else f"{speed:.1f} pkg/s", style="progress.data.speed")


@contextmanager
def _progress(console: Console, enabled: bool) -> Iterator[tuple[Callable[[int], None], Callable[[], None]]]:
    """Yields ``(start(total), advance())``; draws a bar only when ``enabled``."""
    if not enabled:
        yield (lambda total: None), (lambda: None)
        return
    with Progress(
        TextColumn("scanning"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("batch", total=None)
        yield (lambda total: progress.update(task, total=total)), (lambda: progress.advance(task))


def format_summary(summary: BatchSummary) -> str:
    """The end-of-batch summary, one line."""
    resumed = f" ({summary.already_done} already in the output)" if summary.already_done else ""
    return (
        f"scanned {summary.scanned} of {summary.targets}{resumed}: {summary.flagged} flagged, "
        f"{summary.errors} errors; per package median {summary.median_seconds:.3f} s, "
        f"p95 {summary.p95_seconds:.3f} s; {summary.per_second:.1f} packages/s "
        f"in {summary.wall_seconds:.1f} s"
    )


def run(args: argparse.Namespace) -> int:
    targets = discover(args.input)
    if args.model and args.model != "rules" and not Path(args.model).is_file():
        raise VetpyError(f"no model file at {args.model}")
    limits = limits_from_args(args)
    settings = WorkerSettings(
        model=args.model,
        threshold=args.threshold,
        limits=replace(limits, max_seconds=min(limits.max_seconds, args.timeout)),
        max_memory_mb=args.max_memory,
        artifact=Artifact(args.artifact),
    )
    console = Console(stderr=True)
    with _progress(console, sys.stderr.isatty()) as (start, advance):

        def on_result(_result: ScanResult) -> None:
            advance()

        summary = run_batch(
            targets,
            args.out,
            make_engine(args),
            settings,
            resume=args.resume,
            on_start=start,
            on_result=on_result,
        )
    console.print(format_summary(summary), highlight=False, soft_wrap=True)
    return summary.exit_code
