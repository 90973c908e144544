"""SARIF 2.1.0 for code-scanning dashboards (GitHub, GitLab, Azure DevOps).

One result per flagged package, located at the requirements or lockfile line that brought it in (else at
the archive), with the evidence inside the archive as related locations. Each result carries a
``partialFingerprints`` entry derived from the package (name, version, file digest), so a dashboard keeps
one alert per package across runs and line moves. Rules have help text and a ``security-severity``.
Packages ignored through ``[tool.vetpy] ignore`` stay in the log with an external suppression; packages
that could not be scanned become tool execution notifications.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from vetpy import __version__
from vetpy.result import Reason, ScanResult, Verdict

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT = "vetpyPackage/v1"
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar", ".zip", ".whl", ".egg")


@dataclass(frozen=True)
class Rule:
    """A SARIF reporting descriptor."""

    id: str
    name: str
    short: str
    help: str
    severity: str  # GitHub's security-severity: a number from 0.0 to 10.0, as a string

    def descriptor(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "shortDescription": {"text": self.short},
            "fullDescription": {"text": self.help.split("\n\n", 1)[0]},
            "help": {"text": self.help, "markdown": self.help},
            "defaultConfiguration": {"level": "error"},
            "properties": {
                "security-severity": self.severity,
                "precision": "high",
                "problem.severity": "error",
                "tags": ["security", "supply-chain", "malware"],
            },
        }


MALICIOUS = Rule(
    "VETPY001",
    "MaliciousPackage",
    "A dependency is flagged as malicious by vetpy's static model",
    "vetpy read this package's archive as data (nothing was run) and its model scored it at or above the "
    "threshold: its code does what malware does (install-time execution, obfuscated payloads, "
    "exfiltration, downloads) and looks like known malicious packages.\n\n"
    "Do not install it. Check the evidence listed with the alert (file and line inside the archive), "
    "remove or replace the dependency, and report the package to its index if it is malicious. If it is "
    "a false alarm, add it to `[tool.vetpy] ignore` in pyproject.toml with a reason (and an expiry).",
    "9.8",
)
KNOWN = Rule(
    "VETPY002",
    "KnownMaliciousPackage",
    "A dependency is listed in a malicious-package advisory",
    "This package and version appear in a published advisory for malicious packages.\n\n"
    "Do not install it; remove the dependency and treat any machine that installed it as compromised.",
    "10.0",
)
RULES = (MALICIOUS, KNOWN)


def archive_name(result: ScanResult) -> str:
    """The archive's file name (the ``filename`` field, else from the target), else ``name-version``."""
    filename = getattr(result, "filename", None)
    if filename:
        return str(filename)
    base = PurePath(result.target.rstrip("/\\")).name
    if base.lower().endswith(_ARCHIVE_SUFFIXES):
        return base
    if result.name:
        return f"{result.name}-{result.version}" if result.version else result.name
    return base or result.target


def _uri(path: str) -> str:
    """A relative URI for a path (relative to the working folder when it lies inside it)."""
    candidate = Path(path)
    if candidate.is_absolute():
        with contextlib.suppress(ValueError, OSError):
            candidate = candidate.resolve().relative_to(Path.cwd().resolve())
    if candidate.is_absolute():
        return candidate.as_uri()
    return urllib.parse.quote(candidate.as_posix(), safe="/")


def split_origin(origin: str) -> tuple[str, int | None]:
    """``"requirements.txt:12"`` -> (``"requirements.txt"``, 12); no line -> (origin, None)."""
    path, _, line = origin.rpartition(":")
    if path and line.isdigit() and int(line) >= 1:
        return path, int(line)
    return origin, None


def _physical(uri: str, line: int | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}


def _primary_location(result: ScanResult) -> dict[str, Any]:
    if result.origin:
        path, line = split_origin(result.origin)
        return _physical(_uri(path), line)
    return _physical(urllib.parse.quote(archive_name(result), safe="/"), None)


def _related(result: ScanResult) -> list[dict[str, Any]]:
    related = []
    for index, reason in enumerate(result.reasons):
        if not reason.file:
            continue
        uri = urllib.parse.quote(f"{archive_name(result)}/{reason.file.lstrip('/')}", safe="/")
        location = _physical(uri, reason.line)
        location.update({"id": index + 1, "message": {"text": f"{reason.feature}: {reason.message}"}})
        related.append(location)
    return related


def _reason_line(reason: Reason) -> str:
    where = f" ({reason.file}:{reason.line})" if reason.file and reason.line else ""
    where = where or (f" ({reason.file})" if reason.file else "")
    return f"{reason.feature}: {reason.message}{where}"


def package_label(result: ScanResult) -> str:
    name = f"{result.name or result.target} {result.version or ''}".strip()
    return f"{name} ({archive_name(result)})"


def _message(result: ScanResult, rule: Rule) -> str:
    if rule is KNOWN:
        advisories = ", ".join(getattr(result, "known_malicious", ()) or ())
        head = f"{package_label(result)} is known malicious ({advisories})"
    else:
        score = "-" if result.score is None else f"{result.score:.3f}"
        head = f"{package_label(result)} is flagged malicious (score {score}, threshold {result.threshold})"
    reasons = "; ".join(_reason_line(r) for r in result.reasons[:5])
    return head + (f". Why: {reasons}" if reasons else ".")


def fingerprint(result: ScanResult) -> str:
    """Stable per package and file: name, version and archive digest (or file name)."""
    key = "\0".join(
        [(result.name or result.target).lower(), result.version or "", result.sha256 or archive_name(result)]
    )
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def _sarif_result(result: ScanResult) -> dict[str, Any]:
    rule = KNOWN if getattr(result, "known_malicious", None) else MALICIOUS
    item: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": RULES.index(rule),
        "level": "error",
        "message": {"text": _message(result, rule)},
        "locations": [_primary_location(result)],
        "partialFingerprints": {FINGERPRINT: fingerprint(result)},
        "properties": {
            "package": result.name,
            "version": result.version,
            "filename": archive_name(result),
            "sha256": result.sha256,
            "score": result.score,
            "threshold": result.threshold,
        },
    }
    related = _related(result)
    if related:
        item["relatedLocations"] = related
    if result.ignored is not None:
        justification = result.ignored.reason + (
            f" (until {result.ignored.expires})" if result.ignored.expires else ""
        )
        item["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return item


def _is_flagged(result: ScanResult) -> bool:
    return result.verdict is Verdict.MALICIOUS or bool(getattr(result, "known_malicious", None))


def document(results: Sequence[ScanResult], *, model: str) -> dict[str, Any]:
    errors = [r for r in results if r.verdict is Verdict.ERROR and r.ignored is None]
    notifications = [
        {"level": "note", "message": {"text": f"{r.target}: {'; '.join(r.notes) or r.error or 'skipped'}"}}
        if r.skipped
        else {"level": "error", "message": {"text": f"{r.target}: {r.error}"}}
        for r in errors
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "vetpy",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule.descriptor() for rule in RULES],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not any(not r.skipped for r in errors),
                        "toolExecutionNotifications": notifications,
                        "workingDirectory": {"uri": Path.cwd().resolve().as_uri()},
                    }
                ],
                "results": [_sarif_result(r) for r in results if _is_flagged(r)],
                "properties": {"model": model},
            }
        ],
    }


def render(results: Sequence[ScanResult], *, model: str) -> str:
    return json.dumps(document(results, model=model), indent=2, ensure_ascii=False) + "\n"


__all__ = ["FINGERPRINT", "RULES", "archive_name", "document", "fingerprint", "render", "split_origin"]
