"""The contract every scorer meets (the transparent rule set and the trained models alike)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from vetpy.features.interface import PackageFeatures


@dataclass(frozen=True)
class Contribution:
    """How much one feature pushed one package's score up (larger = more suspicious)."""

    feature: str
    weight: float


class Scorer(Protocol):
    """Scores packages: probability of malice in [0, 1], plus the features that pushed each score most."""

    name: str
    threshold: float

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]: ...

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]: ...
