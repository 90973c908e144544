"""scikit-learn transformers that read PackageFeatures, so every preprocessing step (vectorisers too) lives
inside the pipeline and is fitted per cross-validation fold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS


class NumericColumns(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """The registry features named in ``ids`` (all of them when None), as a dense float matrix."""

    def __init__(self, ids: tuple[str, ...] | None = None) -> None:
        self.ids = ids

    def fit(self, X: Sequence[PackageFeatures], y: Any = None) -> NumericColumns:
        self.ids_ = list(self.ids if self.ids is not None else FEATURE_IDS)
        return self

    def transform(self, X: Sequence[PackageFeatures]) -> np.ndarray:
        ids = self.ids_
        return np.array([[float(p.values.get(i, 0.0)) for i in ids] for p in X], dtype=np.float64).reshape(
            len(X), len(ids)
        )

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.array(self.ids_, dtype=object)


class TextColumn(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """One text field of PackageFeatures (``suspicious_text`` or ``code_text``) as a list of strings,
    without the whitespace-separated tokens that start with one of ``drop_prefixes``."""

    def __init__(self, field: str = "suspicious_text", drop_prefixes: tuple[str, ...] = ()) -> None:
        self.field = field
        self.drop_prefixes = drop_prefixes

    def fit(self, X: Sequence[PackageFeatures], y: Any = None) -> TextColumn:
        return self

    def transform(self, X: Sequence[PackageFeatures]) -> list[str]:
        texts = [str(getattr(p, self.field)) for p in X]
        if not self.drop_prefixes:
            return texts
        drop = tuple(self.drop_prefixes)
        return [" ".join(t for t in text.split() if not t.startswith(drop)) for text in texts]


class ToDense(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Sparse to dense, for estimators that need arrays (gradient boosting)."""

    def fit(self, X: Any, y: Any = None) -> ToDense:
        return self

    def transform(self, X: Any) -> np.ndarray:
        return np.asarray(X.toarray() if sparse.issparse(X) else X, dtype=np.float32)


def threshold_at_fpr(benign_scores: np.ndarray, max_fpr: float) -> float:
    """The smallest threshold (flag when score >= t) whose false-positive rate on these benign scores is
    at most ``max_fpr``."""
    scores = np.sort(np.asarray(benign_scores, dtype=np.float64))[::-1]
    if scores.size == 0:
        return 0.5
    allowed = int(np.floor(max_fpr * scores.size))
    above = scores[allowed] if allowed < scores.size else scores[-1]
    return float(np.nextafter(above, np.inf))


class FprThresholdLogistic(LogisticRegression):  # type: ignore[misc]
    """The stack's meta-learner. Its training inputs are the base models' *out-of-fold* predictions, so
    its own scores on them are honest validation scores: ``fit`` sets ``threshold_`` there so that the
    benign false-positive rate stays within ``max_fpr`` (test data never takes part)."""

    def __init__(
        self, max_fpr: float = 0.001, C: float = 1.0, class_weight: Any = "balanced", max_iter: int = 1000
    ) -> None:
        super().__init__(C=C, class_weight=class_weight, max_iter=max_iter)
        self.max_fpr = max_fpr

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> FprThresholdLogistic:
        super().fit(X, y, sample_weight=sample_weight)
        y = np.asarray(y)
        oof = self.predict_proba(X)[:, 1]
        self.threshold_ = threshold_at_fpr(oof[y == 0], self.max_fpr)
        self.validation_fpr_ = float((oof[y == 0] >= self.threshold_).mean()) if (y == 0).any() else 0.0
        self.validation_recall_ = float((oof[y == 1] >= self.threshold_).mean()) if (y == 1).any() else 0.0
        return self
