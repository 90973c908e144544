"""Explanations by occlusion (how much a package's score drops when one thing that fired is taken away), and
the scorer base shared by both forms of a saved model (skops through scikit-learn, compiled NumPy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.model.interface import Contribution
from vetpy.model.manifest import Manifest

TEXT_PSEUDO_FEATURES = {"code_text": "text.code_tokens", "suspicious_text": "text.suspicious_lines"}


def explain_by_occlusion(
    score: Callable[[Sequence[PackageFeatures]], list[float]], package: PackageFeatures, top: int = 5
) -> list[Contribution]:
    """Score the package once with each fired feature zeroed (and each text field emptied), all in one
    batch; a contribution is the score it loses. Largest first, at most ``top``."""
    variants: list[PackageFeatures] = [package]
    labels: list[str] = []
    for feature in FEATURE_IDS:
        if package.values.get(feature, 0.0):
            values = dict(package.values)
            values[feature] = 0.0
            variants.append(replace(package, values=values))
            labels.append(feature)
    for text_field, label in TEXT_PSEUDO_FEATURES.items():
        if getattr(package, text_field):
            variants.append(_without_text(package, text_field))
            labels.append(label)
    scores = score(variants)
    base = scores[0]
    contributions = [Contribution(label, base - s) for label, s in zip(labels, scores[1:], strict=True)]
    contributions = [c for c in contributions if c.weight > 1e-4]
    contributions.sort(key=lambda c: c.weight, reverse=True)
    return contributions[:top]


def _without_text(package: PackageFeatures, text_field: str) -> PackageFeatures:
    if text_field == "code_text":
        return replace(package, code_text="")
    return replace(package, suspicious_text="")


class SavedModelScorer:
    """A Scorer over a saved model: name and threshold from its manifest (or the caller's threshold),
    explanations by occlusion. Subclasses give ``malicious_proba``."""

    def __init__(self, manifest: Manifest, threshold: float | None = None) -> None:
        self.manifest = manifest
        self.name = manifest.kind
        self.threshold = float(manifest.threshold if threshold is None else threshold)

    def malicious_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        raise NotImplementedError

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        if not packages:
            return []
        return [float(p) for p in self.malicious_proba(packages)]

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        return explain_by_occlusion(self.score, package, top)
