"""One batch line per target, even when ``name==version`` expands to a wheel and an sdist; a worker that
ran out of memory inside the Scanner is told apart by type, not by the wording of its error."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from vetpy.acquire.interface import Archive, ArchiveFormat, Member
from vetpy.batch.interface import most_severe, safe_scan
from vetpy.errors import AcquireError
from vetpy.features.interface import PackageFeatures
from vetpy.model.interface import Contribution
from vetpy.result import ScanResult, Verdict
from vetpy.scan import Scanner


def _result(filename: str, verdict: Verdict, score: float | None) -> ScanResult:
    return ScanResult(
        target="demo==1.0",
        name="demo",
        version="1.0",
        sha256="0" * 64,
        verdict=verdict,
        score=score,
        threshold=0.9,
        filename=filename,
        seconds=0.5,
    )


def test_the_most_severe_file_speaks_for_the_target_and_the_others_are_noted() -> None:
    wheel = _result("demo-1.0-py3-none-any.whl", Verdict.BENIGN, 0.1)
    sdist = _result("demo-1.0.tar.gz", Verdict.MALICIOUS, 0.99)
    merged = most_severe("demo==1.0", [wheel, sdist])
    assert merged.filename == "demo-1.0.tar.gz" and merged.verdict is Verdict.MALICIOUS
    assert merged.notes == ("also scanned demo-1.0-py3-none-any.whl: benign (0.100)",)
    assert merged.seconds == 1.0


def test_an_error_outranks_a_benign_file_and_nothing_is_an_error() -> None:
    failed = _result("demo-1.0.tar.gz", Verdict.ERROR, None)
    assert most_severe("demo==1.0", [_result("w.whl", Verdict.BENIGN, 0.0), failed]).verdict is Verdict.ERROR
    assert most_severe("demo==1.0", []).verdict is Verdict.ERROR


class _FailingScorer:
    name = "failing"
    threshold = 0.5

    def __init__(self, error: Exception) -> None:
        self.error = error

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        raise self.error

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        return []


ARCHIVE = Archive(
    "demo-1.0.tar.gz",
    "demo-1.0.tar.gz",
    "0" * 64,
    ArchiveFormat.TAR_GZ,
    (Member("demo-1.0/a.py", b"x = 1\n"),),
)


@pytest.mark.parametrize(
    ("error", "message", "out_of_memory"),
    [
        (MemoryError(), "out of memory (limit 512 MB per worker)", True),
        (RuntimeError("boom"), "internal error: RuntimeError: boom", False),
        # a user-facing error is reported as it is, whatever it says (no longer read as a MemoryError)
        (AcquireError("internal error: MemoryError: a.py"), "internal error: MemoryError: a.py", False),
    ],
)
def test_a_memory_error_caught_by_the_scanner_retires_the_worker(
    error: Exception, message: str, out_of_memory: bool
) -> None:
    scanner = Scanner(scorer=_FailingScorer(error))
    outcome = safe_scan(lambda _target: scanner.scan_archive(ARCHIVE), "demo-1.0.tar.gz", 512)
    assert outcome.out_of_memory is out_of_memory and outcome.result.out_of_memory is out_of_memory
    assert outcome.result.verdict is Verdict.ERROR and outcome.result.error == message
    assert outcome.result.filename == "demo-1.0.tar.gz"  # the Scanner's result is kept, only relabelled
    assert "out_of_memory" not in outcome.result.to_dict()  # a worker's concern, not part of the report
