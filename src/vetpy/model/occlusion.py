"""Explanations by occlusion (how much a package's score drops when one thing that fired is taken away), and
the scorer base shared by both forms of a saved model (skops through scikit-learn, compiled NumPy)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.model.interface import Contribution, Scorer
from vetpy.model.loader import DeferredScorer
from vetpy.model.manifest import Manifest

TEXT_PSEUDO_FEATURES = {"code_text": "text.code_tokens", "suspicious_text": "text.suspicious_lines"}
TEXT_FIELDS = {label: field for field, label in TEXT_PSEUDO_FEATURES.items()}


def occluded(package: PackageFeatures) -> list[str]:
    """What each occlusion variant takes away, in batch order: each fired feature (registry order), then
    each non-empty text field (as its pseudo-feature label)."""
    labels = [feature for feature in FEATURE_IDS if package.values.get(feature, 0.0)]
    return labels + [label for field, label in TEXT_PSEUDO_FEATURES.items() if getattr(package, field)]


def scored_occlusion(
    score: Callable[[Sequence[PackageFeatures]], list[float]], package: PackageFeatures, top: int = 5
) -> tuple[float, list[Contribution]]:
    """Score the package once with each fired feature zeroed (and each text field emptied), all in one
    batch: the package's score (the batch's first row) and the contributions (the score each variant
    loses; :func:`ranked`)."""
    variants: list[PackageFeatures] = [package]
    labels = occluded(package)
    for label in labels:
        field = TEXT_FIELDS.get(label)
        if field is not None:
            variants.append(_without_text(package, field))
        else:
            values = dict(package.values)
            values[label] = 0.0
            variants.append(replace(package, values=values))
    scores = score(variants)
    return scores[0], ranked(scores[0], labels, scores[1:], top)


def ranked(base: float, labels: Sequence[str], scores: Sequence[float], top: int) -> list[Contribution]:
    """Contributions (the score each occlusion loses) over 1e-4, largest first, at most ``top``."""
    contributions = [Contribution(label, base - s) for label, s in zip(labels, scores, strict=True)]
    contributions = [c for c in contributions if c.weight > 1e-4]
    contributions.sort(key=lambda c: c.weight, reverse=True)
    return contributions[:top]


def score_and_explain(scorer: Scorer, package: PackageFeatures, top: int) -> tuple[float, list[Contribution]]:
    """A package's score and its contributions; one batch for a saved model (its score is the batch's
    first row), two calls for any other scorer."""
    if isinstance(scorer, DeferredScorer):
        scorer = scorer.loaded()
    if isinstance(scorer, SavedModelScorer):
        return scorer.scored_explanation(package, top)
    return float(scorer.score([package])[0]), scorer.explain(package, top)


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
        return self.scored_explanation(package, top)[1]

    def scored_explanation(self, package: PackageFeatures, top: int = 5) -> tuple[float, list[Contribution]]:
        """The package's score and :meth:`explain`'s contributions, from one batch."""
        return scored_occlusion(self.score, package, top)
