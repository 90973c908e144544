"""Scan many resolved targets on several processes; results come back in input order.

Workers are forked from the process that built the scanner (on Linux), so the model is loaded once and
shared copy-on-write; elsewhere each worker receives the scanner pickled. A worker that dies takes only
its own target with it: that target becomes an ``error`` result.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool

from vetpy.acquire.targets import Target
from vetpy.model.loader import DeferredScorer
from vetpy.result import ScanResult
from vetpy.scan import Scanner, error_result, redact_result

OnResult = Callable[[ScanResult], None]
_WORKER_SCANNER: Scanner | None = None


def default_jobs() -> int:
    """Cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _init_worker(scanner: Scanner) -> None:
    from vetpy.features.source.pool import set_file_jobs

    global _WORKER_SCANNER
    _WORKER_SCANNER = scanner
    set_file_jobs(1)  # the cores are taken by the other targets


def _scan_in_worker(target: Target) -> ScanResult:
    assert _WORKER_SCANNER is not None
    return _WORKER_SCANNER.scan_target(target, cache_asked=True)  # scan_resolved asked it


def _context() -> multiprocessing.context.BaseContext:
    if sys.platform == "linux":
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def scan_resolved(
    scanner: Scanner,
    items: Sequence[Target | ScanResult],
    *,
    jobs: int | None = None,
    on_result: OnResult | None = None,
) -> list[ScanResult]:
    """Scan every Target in ``items`` (ScanResults pass through); ``on_result`` is called as each ends."""
    results: list[ScanResult | None] = [
        redact_result(item) if isinstance(item, ScanResult) else None for item in items
    ]
    for passed in results:
        if passed is not None and on_result:
            on_result(passed)
    pending: list[tuple[int, Target]] = []
    for i, item in enumerate(items):  # results from the cache first: no worker, no model, no extractor
        if isinstance(item, Target):
            hit = scanner.cached_result(item)
            if hit is None:
                pending.append((i, item))
                continue
            results[i] = hit
            if on_result:
                on_result(hit)
    if not pending:
        return [r for r in results if r is not None]
    from vetpy.features.source.pool import file_jobs, set_file_jobs  # the extractor: only to scan

    workers = min(jobs or default_jobs(), len(pending))
    if workers <= 1:  # one target at a time: a large one may use the cores for its files
        before = file_jobs()
        set_file_jobs(jobs or default_jobs())
        try:
            for i, target in pending:
                results[i] = scanner.scan_target(target, cache_asked=True)
                if on_result:
                    on_result(results[i])  # type: ignore[arg-type]
        finally:
            set_file_jobs(before)
        return [r for r in results if r is not None]
    if isinstance(scanner.scorer, DeferredScorer):  # load the model once, here: forked workers share it
        scanner.scorer.loaded()
    context = _context()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(scanner,)
    ) as pool:
        futures: dict[Future[ScanResult], tuple[int, Target]] = {
            pool.submit(_scan_in_worker, target): (i, target) for i, target in pending
        }
        for future in as_completed(futures):
            i, target = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                result = error_result(target.label, "internal error: the scanning process died")
            except Exception as exc:  # a result that could not be sent back
                result = error_result(target.label, f"internal error: {type(exc).__name__}: {exc}")
            results[i] = result
            if on_result:
                on_result(result)
    return [r for r in results if r is not None]
