"""The Markdown report for pull-request comments: flagged first, evidence, inert package strings."""

from __future__ import annotations

from vetpy.report import Format, render
from vetpy.report.markdown import MAX_CHARS, escape
from vetpy.result import Ignored, Reason, ScanResult, Verdict


def _result(name: str, verdict: Verdict, **extra: object) -> ScanResult:
    return ScanResult(
        target=f"{name}==1.0", name=name, version="1.0", sha256=None, verdict=verdict,
        score=None if verdict is Verdict.ERROR else (0.9 if verdict is Verdict.MALICIOUS else 0.1),
        threshold=0.5, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def test_flagged_errors_ignored_and_benign_sections() -> None:
    results = [
        _result("good", Verdict.BENIGN),
        _result("evil", Verdict.MALICIOUS, origin="requirements.txt:4",
                reasons=(Reason("install.cmdclass", "setup.py overrides install", "evil-1.0/setup.py", 9),)),
        _result("broken", Verdict.ERROR, error="hash mismatch"),
        _result("fork", Verdict.MALICIOUS, ignored=Ignored("fork==1.0", "our own fork", None)),
    ]  # fmt: skip
    text = render(results, Format.MARKDOWN, model="default")
    assert text.startswith("## vetpy: :x: 1 of 4 package(s) flagged malicious")
    assert text.index("### Flagged malicious") < text.index("### Not scanned") < text.index("### Ignored")
    assert "requirements.txt:4" in text and "install.cmdclass" in text and "setup.py:9" in text
    assert "hash mismatch" in text and "our own fork" in text
    assert "1 benign package(s)" in text
    clean = render([_result("good", Verdict.BENIGN)], Format.MARKDOWN, model="default")
    assert clean.startswith("## vetpy: :white_check_mark: nothing flagged in 1 package(s)")


def test_package_strings_cannot_inject_markup_or_mentions() -> None:
    hostile = "x](https://127.0.0.1/phish) <img src=x onerror=alert(1)> @org/team | `code` \x1b[31m\u202e"
    text = render(
        [_result(hostile, Verdict.MALICIOUS, reasons=(Reason("f", hostile, hostile, 1),))],
        Format.MARKDOWN,
        model="default",
    )
    assert "](" not in text.replace("\\](", "").replace("\\]\\(", "")
    assert "<img" not in text and "@org" not in text and "\x1b" not in text and "\u202e" not in text
    assert "&#64;org/team" in text and "&lt;img" in text
    assert escape("a\nb|c") == "a b&#124;c"


def test_a_huge_run_fits_in_a_comment() -> None:
    results = [_result(f"pkg{i}", Verdict.MALICIOUS, reasons=(Reason("f", "m" * 300),)) for i in range(2000)]
    text = render(results, Format.MARKDOWN, model="default")
    assert len(text) <= MAX_CHARS + 200 and text.rstrip().endswith("see the JSON report.")
