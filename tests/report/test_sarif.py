"""SARIF: valid against the official 2.1.0 schema, located at the project-file line, fingerprinted."""

from __future__ import annotations

import json
import os
from typing import Any

import jsonschema
import pytest

from vetpy.report import Format, render
from vetpy.report.sarif import FINGERPRINT, split_origin
from vetpy.result import Ignored, Reason, ScanResult, Verdict


def _schema() -> dict[str, Any]:
    """The official schema from the development data folder (``VETPY_DATA``, or a ``shared/data`` beside
    the repository, as in CI). CI must have it; elsewhere (a clone without the data) the test is skipped
    with the reason."""
    from vetpy.errors import VetpyError
    from vetpy.lab.dataset.paths import data_dir

    try:
        path = data_dir() / "sarif-schema-2.1.0.json"
    except VetpyError:
        path = None
    if path is None or not path.is_file():
        if os.environ.get("CI"):
            raise AssertionError(
                "sarif-schema-2.1.0.json not found: set VETPY_DATA to the shared data folder"
            )
        pytest.skip("the SARIF schema lives in the development data folder: set VETPY_DATA to run this test")
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(_schema()).validate(doc)


def _flagged(name: str, origin: str | None, **extra: Any) -> ScanResult:
    return ScanResult(
        target=f"{name}==1.0", name=name, version="1.0", sha256="ab" * 32, verdict=Verdict.MALICIOUS,
        score=0.91, threshold=0.5, filename=f"{name}-1.0.tar.gz", origin=origin,
        reasons=(
            Reason("install.cmdclass", "setup.py overrides install", f"{name}-1.0/setup.py", 9),
            Reason("meta.no_author", "no author"),
        ),
        **extra,
    )  # fmt: skip


RESULTS = [
    _flagged("evilone", "requirements.txt:3"),
    _flagged("eviltwo", "/elsewhere/uv.lock:42"),
    _flagged("evilthree", None),
    _flagged("allowed", "requirements.txt:7", ignored=Ignored("allowed==1.0", "our fork", "2099-01-01")),
    ScanResult(
        target="good==1.0",
        name="good",
        version="1.0",
        sha256=None,
        verdict=Verdict.BENIGN,
        score=0.1,
        threshold=0.5,
        origin="requirements.txt:1",
    ),
    ScanResult(
        target="broken==1",
        name=None,
        version=None,
        sha256=None,
        verdict=Verdict.ERROR,
        score=None,
        threshold=None,
        error="hash mismatch",
        origin="requirements.txt:5",
    ),
]


def test_valid_against_the_official_schema() -> None:
    doc = json.loads(render(RESULTS, Format.SARIF, model="default"))
    _validate(doc)
    empty = json.loads(render([], Format.SARIF, model="default"))
    _validate(empty)
    assert empty["runs"][0]["results"] == []


def test_results_located_at_the_line_that_brought_the_package_in() -> None:
    run = json.loads(render(RESULTS, Format.SARIF, model="default"))["runs"][0]
    results = run["results"]
    assert [r["properties"]["package"] for r in results] == ["evilone", "eviltwo", "evilthree", "allowed"]
    first = results[0]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "requirements.txt"}, "region": {"startLine": 3}}
    second = results[1]["locations"][0]["physicalLocation"]
    assert (
        second["artifactLocation"]["uri"] == "file:///elsewhere/uv.lock"
        and second["region"]["startLine"] == 42
    )
    third = results[2]["locations"][0]["physicalLocation"]
    assert third == {"artifactLocation": {"uri": "evilthree-1.0.tar.gz"}}
    evidence = results[0]["relatedLocations"][0]
    assert (
        evidence["physicalLocation"]["artifactLocation"]["uri"] == "evilone-1.0.tar.gz/evilone-1.0/setup.py"
    )
    assert evidence["physicalLocation"]["region"] == {"startLine": 9}
    assert "install.cmdclass" in results[0]["message"]["text"]


def test_fingerprints_rules_suppressions_and_notifications() -> None:
    run = json.loads(render(RESULTS, Format.SARIF, model="default"))["runs"][0]
    prints = [r["partialFingerprints"][FINGERPRINT] for r in run["results"]]
    assert len(set(prints)) == len(prints) and all(len(p) == 64 for p in prints)
    moved = json.loads(render([_flagged("evilone", "requirements.txt:30")], Format.SARIF, model="x"))
    assert moved["runs"][0]["results"][0]["partialFingerprints"][FINGERPRINT] == prints[0]  # lines move
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["id"] == "VETPY001" and "Do not install it" in rule["help"]["text"]
    assert 0 <= float(rule["properties"]["security-severity"]) <= 10
    suppressed = run["results"][3]["suppressions"]
    assert suppressed == [
        {"kind": "external", "status": "accepted", "justification": "our fork (until 2099-01-01)"}
    ]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "hash mismatch" in notes[0]["message"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is False


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("requirements.txt:12", ("requirements.txt", 12)),
        ("C:\\r.txt:3", ("C:\\r.txt", 3)),
        ("uv.lock", ("uv.lock", None)),
    ],
)
def test_split_origin(origin: str, expected: tuple[str, int | None]) -> None:
    assert split_origin(origin) == expected
