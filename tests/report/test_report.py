"""Reports: JSON contract fields, SARIF 2.1.0 shape, text table content."""

from __future__ import annotations

import json
from typing import Any

import pytest

from vetpy import __version__
from vetpy.report import Format, render, text
from vetpy.report.sarif import SARIF_SCHEMA, archive_name
from vetpy.result import Reason, ScanResult, Verdict

CONTRACT_FIELDS = {
    "target", "name", "version", "filename", "sha256", "verdict", "score", "threshold", "reasons", "error",
    "seconds", "known_malicious",
}  # fmt: skip


def _bad() -> ScanResult:
    return ScanResult(
        target="/tmp/in/evil-1.0.tar.gz",
        name="evil",
        version="1.0",
        sha256="ab" * 32,
        verdict=Verdict.MALICIOUS,
        score=0.97,
        threshold=0.5,
        reasons=(
            Reason("code.decode_exec", "exec of base64-decoded data", "evil-1.0/setup.py", 12),
            Reason("install.cmdclass", "cmdclass overrides install", "evil-1.0/setup.py", 20),
            Reason("meta.no_author", "no author declared"),
        ),
        seconds=0.01,
    )


def _good() -> ScanResult:
    return ScanResult(
        target="hello==0.1.0", name="hello", version="0.1.0", sha256="cd" * 32, verdict=Verdict.BENIGN,
        score=0.02, threshold=0.5, reasons=(Reason("meta.no_license", "no licence declared"),), seconds=0.002,
    )  # fmt: skip


def _broken() -> ScanResult:
    return ScanResult(
        target="broken.tar.gz", name=None, version=None, sha256=None, verdict=Verdict.ERROR, score=None,
        threshold=None, error="broken.tar.gz: not a supported archive",
    )  # fmt: skip


def _skipped() -> ScanResult:
    return ScanResult(
        target="git+https://example.invalid/x.git", name=None, version=None, sha256=None,
        verdict=Verdict.ERROR, score=None, threshold=None, skipped=True,
        notes=("skipped: VCS requirements are not scanned",),
    )  # fmt: skip


ALL = [_bad(), _good(), _broken(), _skipped()]


def test_json_report_has_contract_fields() -> None:
    doc = json.loads(render(ALL, Format.JSON, model="rules"))
    assert set(doc) == {"vetpy_version", "model", "results"}
    assert doc["vetpy_version"] == __version__
    assert doc["model"] == "rules"
    assert [r["verdict"] for r in doc["results"]] == ["malicious", "benign", "error", "error"]
    for item in doc["results"]:
        assert set(item) == CONTRACT_FIELDS | {
            "skipped",
            "notes",
            "filename",
            "known_malicious",
            "origin",
            "ignored",
        }
        for reason in item["reasons"]:
            assert set(reason) == {"feature", "message", "file", "line"}
    bad = doc["results"][0]
    assert bad["score"] == 0.97 and bad["threshold"] == 0.5 and bad["error"] is None
    assert bad["reasons"][0] == {
        "feature": "code.decode_exec", "message": "exec of base64-decoded data",
        "file": "evil-1.0/setup.py", "line": 12,
    }  # fmt: skip
    assert doc["results"][2]["error"] == "broken.tar.gz: not a supported archive"
    assert doc["results"][3]["skipped"] is True
    assert [ScanResult.from_dict(r) for r in doc["results"]] == ALL


def _check_sarif_shape(doc: dict[str, Any]) -> None:
    """The 2.1.0 schema's required fields for what we emit (no network: checked by hand)."""
    assert doc["version"] == "2.1.0"
    assert doc["$schema"] == SARIF_SCHEMA and "2.1.0" in doc["$schema"]
    assert isinstance(doc["runs"], list) and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "vetpy"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    for rule in driver["rules"]:
        assert isinstance(rule["shortDescription"]["text"], str) and rule["shortDescription"]["text"]
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"none", "note", "warning", "error"}
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert result["locations"]
        for location in result["locations"]:
            physical = location["physicalLocation"]
            assert isinstance(physical["artifactLocation"]["uri"], str)
            if "region" in physical:
                assert physical["region"]["startLine"] >= 1
    for invocation in run.get("invocations", []):
        assert isinstance(invocation["executionSuccessful"], bool)
        for note in invocation.get("toolExecutionNotifications", []):
            assert note["message"]["text"]


def test_sarif_results_only_for_flagged_packages() -> None:
    doc = json.loads(render(ALL, Format.SARIF, model="rules"))
    _check_sarif_shape(doc)
    run = doc["runs"][0]
    [only] = run["results"]  # one result per flagged package (the contract), its evidence related
    assert only["ruleId"] == "VETPY001" and only["level"] == "error"
    physical = only["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "evil-1.0.tar.gz" and "region" not in physical
    related = only["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "evil-1.0.tar.gz/evil-1.0/setup.py"
    assert related["region"] == {"startLine": 12}
    assert "evil" in only["message"]["text"] and "0.970" in only["message"]["text"]
    assert "code.decode_exec" in only["message"]["text"] and only["partialFingerprints"]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["VETPY001"]["help"]["text"] and rules["VETPY001"]["properties"]["security-severity"]
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False
    texts = [n["message"]["text"] for n in invocation["toolExecutionNotifications"]]
    assert len(texts) == 2 and "not a supported archive" in texts[0] and "skipped" in texts[1]


def test_sarif_for_benign_run_has_no_results() -> None:
    doc = json.loads(render([_good()], Format.SARIF, model="rules"))
    _check_sarif_shape(doc)
    assert doc["runs"][0]["results"] == []
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_flagged_without_reasons_still_reported() -> None:
    bare = ScanResult(
        target="x-1.0.zip", name="x", version="1.0", sha256=None, verdict=Verdict.MALICIOUS, score=0.9,
        threshold=0.5,
    )  # fmt: skip
    doc = json.loads(render([bare], Format.SARIF, model="default"))
    _check_sarif_shape(doc)
    assert len(doc["runs"][0]["results"]) == 1


@pytest.mark.parametrize(
    ("target", "name", "expected"),
    [("/a/b/pkg-1.0.tar.gz", "pkg", "pkg-1.0.tar.gz"), ("pkg==1.0", "pkg", "pkg-1.0"), ("dir/", None, "dir")],
)
def test_archive_name(target: str, name: str | None, expected: str) -> None:
    result = ScanResult(target, name, "1.0" if name else None, None, Verdict.BENIGN, 0.1, 0.5)
    assert archive_name(result) == expected


def test_text_report_shows_verdicts_reasons_and_errors() -> None:
    out = render(ALL, Format.TEXT, model="rules")
    assert "\x1b[" not in out  # no colour codes unless asked
    for needle in ("evil", "malicious", "benign", "skipped", "not a supported archive", "0.970", "rules"):
        assert needle in out
    wide = text.render(ALL, model="rules", width=400)
    assert "code.decode_exec: exec of base64-decoded data (evil-1.0/setup.py:12)" in wide
    summary = "4 package(s): 1 flagged malicious, 1 benign, 1 not scanned completely, 1 skipped on purpose"
    assert summary in out


def test_text_report_colour_when_asked() -> None:
    assert "\x1b[" in render([_bad()], Format.TEXT, model="rules", color=True)
