"""The batch engine contract: what a worker needs to build its scanner, and what an engine yields.

An engine takes target strings and yields one :class:`~vetpy.result.ScanResult` per target, in the order
they finish. It never raises for a bad package: a crash, a timeout or an out-of-memory worker becomes an
``error`` result for that target, and the worker is replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from vetpy.acquire.interface import Limits
from vetpy.acquire.release import Artifact
from vetpy.result import ScanResult, Verdict, one_line
from vetpy.scan import error_result

#: Scans one target string (a path or ``name==version``) and returns its result; never raises.
ScanFn = Callable[[str], ScanResult]


def scanner_factory(settings: WorkerSettings) -> ScanFn:
    """The default factory: one :class:`~vetpy.scan.Scanner` (model loaded once) per worker."""
    from vetpy.scan import Scanner, default_scorer, load_scorer

    scorer = load_scorer(settings.model) if settings.model else default_scorer()
    scanner = Scanner(
        scorer=scorer, limits=settings.limits, threshold=settings.threshold, artifact=settings.artifact
    )

    def scan(target: str) -> ScanResult:
        return most_severe(target, scanner.scan([target]))

    return scan


_SEVERITY = {Verdict.MALICIOUS: 2, Verdict.ERROR: 1, Verdict.BENIGN: 0}


def most_severe(target: str, results: list[ScanResult]) -> ScanResult:
    """One line for a target that expanded to several files (``name==version`` with ``--artifact auto``:
    the wheel pip would install here and the sdist): the most severe result (malicious, then error, then
    benign; highest score first), with a note naming every other file and its verdict, so nothing scanned
    is hidden."""
    if not results:
        return error_result(target, "nothing to scan")
    ranked = sorted(results, key=lambda r: (_SEVERITY[r.verdict], r.score or 0.0), reverse=True)
    head, rest = ranked[0], ranked[1:]
    notes = tuple(
        one_line(
            f"also scanned {r.filename or r.target}: {r.verdict.value}"
            + (f" ({r.score:.3f})" if r.score is not None else "")
        )
        for r in rest
    )
    seconds = sum(r.seconds for r in results)
    return replace(head, target=target, notes=head.notes + notes, seconds=seconds)


@dataclass(frozen=True)
class WorkerSettings:
    """Everything a worker needs, picklable: the scanner's options and the factory that builds it.

    ``factory`` must be a module-level function (it is pickled by reference into each worker); tests
    inject their own to simulate slow or crashing scans.
    """

    model: str | None = None  # a saved model path or "rules"; None = the default scorer
    threshold: float | None = None
    limits: Limits = field(default_factory=Limits)
    max_memory_mb: int | None = 2048  # address-space cap per local worker; None = no cap
    artifact: Artifact = Artifact.AUTO  # which index files of a name==version target (``scan --artifact``)
    factory: Callable[[WorkerSettings], ScanFn] = scanner_factory


class Engine(Protocol):
    """Runs scans in parallel; ``run`` yields one result per target as each finishes."""

    def run(self, targets: Sequence[str], settings: WorkerSettings) -> Iterator[ScanResult]: ...


def timeout_result(target: str, timeout: float) -> ScanResult:
    """The error result for a package whose scan ran past the time limit."""
    return error_result(target, f"timeout after {timeout:g} s", seconds=timeout)


def worker_died_result(target: str, why: str) -> ScanResult:
    """The error result for a package whose worker died while scanning it."""
    return error_result(target, f"worker died while scanning ({why})")


@dataclass(frozen=True)
class ScanOutcome:
    """A worker's result for one target, and whether the worker ran out of memory producing it (then it
    may be in a bad state and should be replaced)."""

    result: ScanResult
    out_of_memory: bool = False


def safe_scan(scan: ScanFn, target: str, max_memory_mb: int | None) -> ScanOutcome:
    """Run ``scan`` on ``target``; an exception becomes an ``error`` result (same on every engine)."""
    limit = f" (limit {max_memory_mb} MB per worker)" if max_memory_mb else ""
    try:
        result = scan(target)
    except MemoryError:
        return ScanOutcome(error_result(target, f"out of memory{limit}"), out_of_memory=True)
    except Exception as exc:
        return ScanOutcome(error_result(target, f"internal error: {type(exc).__name__}: {exc}"))
    if result.out_of_memory:  # the Scanner caught a MemoryError of its own
        return ScanOutcome(replace(result, error=f"out of memory{limit}"), out_of_memory=True)
    return ScanOutcome(result)
