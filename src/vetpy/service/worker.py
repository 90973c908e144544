"""What a service worker process runs for one job (the factory handed to the batch engine).

An upload is one archive. ``name==version`` from the index can be several files (``--artifact auto``: the
wheel pip would install here and the sdist); the job's one result is then the most severe of them
(malicious, then error, then benign; highest score first), and notes name every other file with its
verdict, so nothing scanned is hidden.
"""

from __future__ import annotations

from dataclasses import replace

from vetpy.batch.interface import ScanFn, WorkerSettings
from vetpy.result import ScanResult, Verdict, one_line
from vetpy.scan import error_result

_SEVERITY = {Verdict.MALICIOUS: 2, Verdict.ERROR: 1, Verdict.BENIGN: 0}


def most_severe(target: str, results: list[ScanResult]) -> ScanResult:
    """One result for a target that expanded to ``results`` (see the module docstring)."""
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


def service_scanner(settings: WorkerSettings) -> ScanFn:
    """Build one Scanner per worker (model loaded once) and scan each job's target with it."""
    from vetpy.scan import Scanner, default_scorer, load_scorer

    scorer = load_scorer(settings.model) if settings.model else default_scorer()
    scanner = Scanner(scorer=scorer, limits=settings.limits, threshold=settings.threshold)

    def scan(target: str) -> ScanResult:
        return most_severe(target, scanner.scan([target]))

    return scan
