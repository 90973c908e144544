"""Data types shared by the feature stage: value kinds, feature specs, evidence, package features."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class ValueKind(enum.Enum):
    """How a feature's signals become its number (one place does it: :mod:`vetpy.features.collect`)."""

    FLAG = "flag"  # 1.0 when any signal fired, else 0.0
    LOG_COUNT = "log_count"  # log(1 + total count or size)
    MAX = "max"  # the largest measured value (0.0 when none)
    SCORE = "score"  # a measured value as is (similarity, ratio)

    @property
    def meaning(self) -> str:
        return _KIND_MEANINGS[self]


_KIND_MEANINGS = {
    ValueKind.FLAG: "1 when it fired, else 0",
    ValueKind.LOG_COUNT: "log(1 + count)",
    ValueKind.MAX: "largest value measured",
    ValueKind.SCORE: "a measured value (0 when absent)",
}


class Family(enum.Enum):
    """The detector family a feature belongs to (one module per family under ``vetpy.features``)."""

    PAPER = "paper"
    ARCHIVE = "archive"
    METADATA = "metadata"
    INSTALL = "install"
    DYNAMIC = "dynamic"
    NETWORK = "network"
    BEHAVIOURS = "behaviours"
    DATA_ACCESS = "data_access"
    OBFUSCATION = "obfuscation"


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
    """One numeric feature in the closed, ordered registry (its order and ids define the schema hash).

    ``description`` says what it measures, ``why`` why it matters for malware, ``signal`` is the short
    message a source-code hit of this feature carries (empty: the feature id is used).
    """

    id: str
    family: Family
    kind: ValueKind
    description: str
    why: str
    paper: bool = False  # one of the paper's 8 features
    signal: str = ""


def spec(
    id: str,
    family: Family,
    kind: ValueKind,
    description: str,
    why: str,
    *,
    paper: bool = False,
    signal: str = "",
) -> FeatureSpec:
    """A FeatureSpec (keyword-friendly constructor used by the family modules)."""
    return FeatureSpec(id, family, kind, description, why, paper, signal)


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
