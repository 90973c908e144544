"""One batch line per target, even when ``name==version`` expands to a wheel and an sdist."""

from __future__ import annotations

from vetpy.batch.interface import most_severe
from vetpy.result import ScanResult, Verdict


def _result(filename: str, verdict: Verdict, score: float | None) -> ScanResult:
    return ScanResult(
        target="demo==1.0", name="demo", version="1.0", sha256="0" * 64, verdict=verdict,
        score=score, threshold=0.9, filename=filename, seconds=0.5,
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
