"""Data types shared by the feature stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    """Why a feature fired: the feature id, a human message, and where (file, 1-based line, snippet)."""

    feature: str
    message: str
    file: str | None = None
    line: int | None = None
    snippet: str = ""


@dataclass(frozen=True)
class FeatureSpec:
    """One numeric feature in the closed, ordered registry (its order and ids define the schema hash)."""

    id: str
    group: str  # "metadata" | "code" | "file" | "text" | "archive"
    description: str
    paper: bool = False  # one of the paper's 8 features


@dataclass(frozen=True)
class PackageFeatures:
    """Everything the model and the report need to know about one package.

    ``values`` holds one number per registry feature (missing ids count as 0). ``suspicious_text`` is the
    paper's "suspicious lines of code" text (lower-cased) for its bag of words; ``code_text`` is a wider
    token stream (API names, imports, metadata words) for our default model's text features.
    """

    name: str | None
    version: str | None
    values: Mapping[str, float]
    suspicious_text: str
    code_text: str
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    def evidence_for(self, feature: str) -> tuple[Evidence, ...]:
        return tuple(e for e in self.evidence if e.feature == feature)
