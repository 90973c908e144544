"""Run a batch: skip what the output already holds, stream the rest through an engine, summarise."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vetpy.batch.interface import Engine, WorkerSettings
from vetpy.batch.output import ResultWriter, locked_output, prepare_output, target_key
from vetpy.result import Outcome, ScanResult
from vetpy.scan import exit_code


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: counts for this run, timings, and the exit code over the whole output file."""

    targets: int  # targets in the input
    already_done: int  # skipped because the output already had them (--resume)
    scanned: int  # results written by this run
    flagged: int
    errors: int
    median_seconds: float
    p95_seconds: float
    wall_seconds: float
    exit_code: int

    @property
    def per_second(self) -> float:
        return self.scanned / self.wall_seconds if self.wall_seconds > 0 else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0-1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered) - 1e-9)))
    return ordered[rank - 1]


def run_batch(
    targets: Sequence[str],
    out: Path,
    engine: Engine,
    settings: WorkerSettings | None = None,
    *,
    resume: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[ScanResult], None] | None = None,
) -> BatchSummary:
    """Scan ``targets`` not yet in ``out`` and append one line per package as each finishes.

    ``on_start(n)`` is told how many targets are left to scan; ``on_result`` sees every new result.
    """
    with locked_output(out) as fd:
        previous = prepare_output(out, resume, fd)
        done = {target_key(r.target) for r in previous}
        todo = [t for t in targets if target_key(t) not in done]
        if on_start:
            on_start(len(todo))
        new: list[ScanResult] = []
        start = time.perf_counter()
        with ResultWriter(out) as writer:
            for result in engine.run(todo, settings or WorkerSettings()):
                writer.write(result)
                new.append(result)
                if on_result:
                    on_result(result)
        wall = time.perf_counter() - start
    seconds = [r.seconds for r in new]
    return BatchSummary(
        targets=len(targets),
        already_done=len(targets) - len(todo),
        scanned=len(new),
        flagged=sum(r.flagged for r in new),
        errors=sum(r.outcome is Outcome.FAILED for r in new),
        median_seconds=statistics.median(seconds) if seconds else 0.0,
        p95_seconds=percentile(seconds, 0.95),
        wall_seconds=wall,
        exit_code=exit_code(previous + new),
    )
