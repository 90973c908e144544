"""SARIF 2.1.0 for code-scanning dashboards: one run; one result per reason of each flagged package."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

from vetpy import __version__
from vetpy.features.registry import BY_ID
from vetpy.result import Reason, ScanResult, Verdict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FLAGGED_RULE = "vetpy.flagged"  # a flagged package whose scorer gave no feature-level reason
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl", ".egg")


def archive_name(result: ScanResult) -> str:
    """The archive's file name when the target is a path to one, else ``name-version``."""
    base = PurePath(result.target.rstrip("/\\")).name
    if base.lower().endswith(_ARCHIVE_SUFFIXES):
        return base
    if result.name:
        return f"{result.name}-{result.version}" if result.version else result.name
    return base or result.target


def _location(result: ScanResult, reason: Reason) -> dict[str, Any]:
    path = archive_name(result) + (f"/{reason.file.lstrip('/')}" if reason.file else "")
    physical: dict[str, Any] = {"artifactLocation": {"uri": urllib.parse.quote(path, safe="/")}}
    if reason.line is not None and reason.line >= 1:
        physical["region"] = {"startLine": reason.line}
    return {"physicalLocation": physical}


def _message(result: ScanResult, reason: Reason) -> str:
    package = f"{result.name or result.target} {result.version or ''}".strip()
    return (
        f"{package} flagged malicious (score {result.score:.3f}, threshold {result.threshold}): "
        f"{reason.feature}: {reason.message}"
    )


def document(results: Sequence[ScanResult], *, model: str) -> dict[str, Any]:
    rule_ids: list[str] = []
    sarif_results: list[dict[str, Any]] = []
    for result in results:
        if result.verdict is not Verdict.MALICIOUS:
            continue
        fallback = Reason(FLAGGED_RULE, f"the {model} model scored the package as malicious")
        reasons = result.reasons or (fallback,)
        for reason in reasons:
            if reason.feature not in rule_ids:
                rule_ids.append(reason.feature)
            sarif_results.append(
                {
                    "ruleId": reason.feature,
                    "ruleIndex": rule_ids.index(reason.feature),
                    "level": "error",
                    "message": {"text": _message(result, reason)},
                    "locations": [_location(result, reason)],
                    "properties": {"package": result.name, "version": result.version, "score": result.score},
                }
            )
    rules = [
        {
            "id": rule_id,
            "name": rule_id,
            "shortDescription": {
                "text": BY_ID[rule_id].description if rule_id in BY_ID else "package scored as malicious"
            },
        }
        for rule_id in rule_ids
    ]
    errors = [r for r in results if r.verdict is Verdict.ERROR and not r.skipped]
    notifications = [
        {"level": "note", "message": {"text": f"{r.target}: {'; '.join(r.notes) or 'skipped'}"}}
        if r.skipped
        else {"level": "error", "message": {"text": f"{r.target}: {r.error}"}}
        for r in results
        if r.verdict is Verdict.ERROR
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": {"name": "vetpy", "version": __version__, "rules": rules}},
                "invocations": [
                    {"executionSuccessful": not errors, "toolExecutionNotifications": notifications}
                ],
                "results": sarif_results,
                "properties": {"model": model},
            }
        ],
    }


def render(results: Sequence[ScanResult], *, model: str) -> str:
    return json.dumps(document(results, model=model), indent=2, ensure_ascii=False) + "\n"
