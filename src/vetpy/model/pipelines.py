"""The two model families: ``seed`` (the paper's pipeline, as faithfully as it allows) and ``default``
(our best: wider features, code-token text, gradient boosting in the stack, imbalance handled, a threshold
chosen on out-of-fold training predictions for a false-positive budget)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
)
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import BernoulliNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import MaxAbsScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

from vetpy.features.registry import PAPER_FEATURE_IDS
from vetpy.model.columns import NumericColumns, TextColumn, ToDense

MODEL_KINDS = ("seed", "default")
WORD_TOKENS = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"
CODE_TOKENS = r"\S+"


def seed_pipeline(random_state: int = 0) -> Pipeline:
    """The paper: 7 numeric features + a binary bag of the 500 most frequent tokens of the suspicious
    lines; RF(12), linear SVM, DT(depth 15), MLP(logistic, adam), BernoulliNB, stacked by a
    LogisticRegression."""
    features = FeatureUnion(
        [
            ("paper", NumericColumns(PAPER_FEATURE_IDS)),
            (
                "bow",
                Pipeline(
                    [
                        ("text", TextColumn("suspicious_text")),
                        ("vec", CountVectorizer(binary=True, max_features=500, token_pattern=WORD_TOKENS)),
                    ]
                ),
            ),
        ]
    )
    base = [
        ("rf", RandomForestClassifier(n_estimators=12, random_state=random_state)),
        ("svm", LinearSVC(random_state=random_state)),
        ("dt", DecisionTreeClassifier(max_depth=15, random_state=random_state)),
        ("mlp", MLPClassifier(activation="logistic", solver="adam", max_iter=300, random_state=random_state)),
        ("nb", BernoulliNB()),
    ]
    stack = StackingClassifier(
        estimators=base,
        final_estimator=LogisticRegression(max_iter=1000),
        cv=StratifiedKFold(5, shuffle=True, random_state=random_state),
    )
    return Pipeline([("features", features), ("stack", stack)])


def default_features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("numeric", NumericColumns()),
            (
                "code",
                Pipeline(
                    [
                        ("text", TextColumn("code_text")),
                        (
                            "vec",
                            CountVectorizer(
                                binary=True,
                                lowercase=False,
                                token_pattern=CODE_TOKENS,
                                min_df=5,
                                max_features=1500,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "lines",
                Pipeline(
                    [
                        ("text", TextColumn("suspicious_text")),
                        (
                            "vec",
                            CountVectorizer(
                                binary=True, token_pattern=WORD_TOKENS, min_df=5, max_features=1000
                            ),
                        ),
                    ]
                ),
            ),
        ]
    )


def default_stack(random_state: int = 0) -> StackingClassifier:
    base = [
        (
            "hgb",
            Pipeline(
                [
                    ("dense", ToDense()),
                    (
                        "gb",
                        HistGradientBoostingClassifier(
                            max_iter=250,
                            learning_rate=0.08,
                            max_leaf_nodes=31,
                            l2_regularization=1.0,
                            class_weight="balanced",
                            random_state=random_state,
                        ),
                    ),
                ]
            ),
        ),
        (
            "lr",
            Pipeline(
                [
                    ("scale", MaxAbsScaler()),
                    ("lr", LogisticRegression(C=0.5, class_weight="balanced", max_iter=3000)),
                ]
            ),
        ),
        (
            "rf",
            RandomForestClassifier(
                n_estimators=150,
                min_samples_leaf=2,
                max_features="sqrt",
                class_weight="balanced_subsample",
                n_jobs=-1,
                random_state=random_state,
            ),
        ),
    ]
    return StackingClassifier(
        estimators=base,
        final_estimator=LogisticRegression(class_weight="balanced", max_iter=1000),
        cv=StratifiedKFold(3, shuffle=True, random_state=random_state),
    )


def threshold_at_fpr(benign_scores: np.ndarray, max_fpr: float) -> float:
    """The smallest threshold (flag when score >= t) whose false-positive rate on these benign scores is
    at most ``max_fpr``."""
    scores = np.sort(np.asarray(benign_scores, dtype=np.float64))[::-1]
    if scores.size == 0:
        return 0.5
    allowed = int(np.floor(max_fpr * scores.size))
    above = scores[allowed] if allowed < scores.size else scores[-1]
    return float(np.nextafter(above, np.inf))


class FprThresholdClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Wraps a classifier; ``fit`` picks ``threshold_`` on out-of-fold predictions of the *training* data
    so that the benign false-positive rate stays within ``max_fpr``, then refits on all of it."""

    def __init__(self, estimator: Any, max_fpr: float = 0.001, cv: int = 3, random_state: int = 0) -> None:
        self.estimator = estimator
        self.max_fpr = max_fpr
        self.cv = cv
        self.random_state = random_state

    def fit(self, X: Sequence[Any], y: Any) -> FprThresholdClassifier:
        y = np.asarray(y)
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(clone(self.estimator), X, y, cv=folds, method="predict_proba")[:, 1]
        self.oof_scores_ = oof
        self.threshold_ = threshold_at_fpr(oof[y == 0], self.max_fpr)
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.classes_ = self.estimator_.classes_
        return self

    def predict_proba(self, X: Sequence[Any]) -> np.ndarray:
        return np.asarray(self.estimator_.predict_proba(X))

    def predict(self, X: Sequence[Any]) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= self.threshold_).astype(int)


def default_pipeline(random_state: int = 0, max_fpr: float = 0.001) -> FprThresholdClassifier:
    inner = Pipeline([("features", default_features()), ("stack", default_stack(random_state))])
    return FprThresholdClassifier(inner, max_fpr=max_fpr, cv=3, random_state=random_state)


def build(kind: str, random_state: int = 0) -> Any:
    if kind == "seed":
        return seed_pipeline(random_state)
    if kind == "default":
        return default_pipeline(random_state)
    raise ValueError(f"unknown model kind {kind!r}: choose one of {', '.join(MODEL_KINDS)}")
