"""The result of scanning one package: the public contract's JSON object (see the design brief)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    MALICIOUS = "malicious"
    BENIGN = "benign"
    ERROR = "error"


class Outcome(StrEnum):
    """What happened to a target: read and scored, left out on purpose, or not (completely) scanned."""

    SCANNED = "scanned"
    SKIPPED = "skipped"  # on purpose (``-e .``, VCS links): exit 0, with a note
    FAILED = "failed"  # could not be scanned completely: verdict ``error``, exit 3 when nothing is flagged


@dataclass(frozen=True)
class Reason:
    """One feature that pushed the score, with where it was seen."""

    feature: str
    message: str
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"feature": self.feature, "message": self.message, "file": self.file, "line": self.line}


@dataclass(frozen=True)
class Ignored:
    """Why a result is ignored (an entry of ``[tool.vetpy] ignore``): it stays in the report, marked."""

    match: str  # the entry's name==version or sha256
    reason: str
    expires: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"match": self.match, "reason": self.reason, "expires": self.expires}


@dataclass(frozen=True)
class ScanResult:
    """One package's result. ``verdict`` is ``error`` (with a one-line ``error``) when it could not be
    scanned completely; a target skipped on purpose has ``skipped`` true, no ``error`` and a note."""

    target: str
    name: str | None
    version: str | None
    sha256: str | None
    verdict: Verdict
    score: float | None
    threshold: float | None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    error: str | None = None
    seconds: float = 0.0
    skipped: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    filename: str | None = None  # the archive (or folder) that was scanned
    known_malicious: tuple[str, ...] = field(default_factory=tuple)  # advisory ids (known-malicious lookup)
    origin: str | None = None  # "file:line" of the project file line that brought the package in
    ignored: Ignored | None = None  # matched by an entry of the [tool.vetpy] ignore list
    out_of_memory: bool = False  # the scan failed with MemoryError (not reported: batch replaces the worker)

    @property
    def flagged(self) -> bool:
        return self.verdict is Verdict.MALICIOUS or bool(self.known_malicious)

    @property
    def outcome(self) -> Outcome:
        """The typed outcome: skipped on purpose, failed (an ``error`` verdict), or scanned."""
        if self.skipped:
            return Outcome.SKIPPED
        return Outcome.FAILED if self.verdict is Verdict.ERROR else Outcome.SCANNED

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "name": self.name,
            "version": self.version,
            "filename": self.filename,
            "sha256": self.sha256,
            "verdict": self.verdict.value,
            "score": None if self.score is None else round(self.score, 6),
            "threshold": self.threshold,
            "reasons": [r.to_dict() for r in self.reasons],
            "error": self.error,
            "seconds": round(self.seconds, 6),
            "skipped": self.skipped,
            "known_malicious": list(self.known_malicious),
            "notes": list(self.notes),
            "origin": self.origin,
            "ignored": self.ignored.to_dict() if self.ignored else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanResult:
        return cls(
            target=data["target"],
            name=data.get("name"),
            version=data.get("version"),
            sha256=data.get("sha256"),
            verdict=Verdict(data["verdict"]),
            score=data.get("score"),
            threshold=data.get("threshold"),
            reasons=tuple(Reason(**r) for r in data.get("reasons", [])),
            error=data.get("error"),
            seconds=float(data.get("seconds", 0.0)),
            skipped=bool(data.get("skipped", False)),
            notes=tuple(data.get("notes", [])),
            filename=data.get("filename"),
            known_malicious=tuple(str(i) for i in data.get("known_malicious", [])),
            origin=data.get("origin"),
            ignored=Ignored(**data["ignored"]) if data.get("ignored") else None,
        )


def one_line(message: object) -> str:
    """A message squeezed onto one line (errors in results must never span lines)."""
    text = " ".join(str(message).split())
    return text[:500] if text else "unknown error"
