"""The selection check: chooses between model variants on the time split's training rows only.

Grouped CV over those rows (malware family, benign project), so every held-out family is new to its
fold's model; each fold also plants some of its held-out malware in its held-out benign projects, so a
variant that buys recall on real-looking projects is judged without the test split's injection hold-out.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from vetpy.lab import injection
from vetpy.lab.dataset.extraction import FeatureCache
from vetpy.lab.evaluate import (
    EvalData,
    Progress,
    fit_predict,
    model_threshold,
    stacking_groups,
    time_split_indices,
)
from vetpy.lab.metrics import recall_at_fpr
from vetpy.lab.protocols import SELECTION_FOLDS, SELECTION_PLANTED


def selection_cv(
    kind: str,
    data: EvalData,
    folds: int = SELECTION_FOLDS,
    progress: Progress | None = None,
    planted_per_fold: int = SELECTION_PLANTED,
    cache: FeatureCache | None = None,
) -> dict[str, Any]:
    """The check that chooses between model variants without touching the time split's test rows:
    ``folds``-fold CV over the time split's *training* rows only, grouped like the stack's own folds
    (malware family, benign project), so every held-out family is new to its fold's model. Out-of-fold
    scores are pooled: recall at fixed false-positive rates, and recall and false positives at each fold
    model's own threshold (the rule that ships). With ``planted_per_fold``, each fold also plants that many
    of its held-out malware in its held-out benign projects (``injection.planted_scores``; merged
    archives' features kept in ``cache``)."""
    rows, _ = time_split_indices(data)
    y = data.y[rows]
    groups = stacking_groups(data, rows)
    scores = np.zeros(len(rows))
    flagged = np.zeros(len(rows), dtype=bool)
    position = {int(r): k for k, r in enumerate(rows)}
    planted: list[tuple[bool, float, bool]] = []  # (caught alone, planted score, caught planted)
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=1)
    start = time.perf_counter()
    for f, (a, b) in enumerate(splitter.split(np.zeros(len(rows)), y, groups)):
        model, scores[b] = fit_predict(kind, data, rows[a], rows[b], f)
        threshold = model_threshold(model)
        flagged[b] = scores[b] >= threshold
        if planted_per_fold:
            held = rows[b]
            chosen = injection.choose_pairs(
                data.samples, data.groups, held[y[b] == 1], held[y[b] == 0], planted_per_fold, seed=f
            )
            pairs, planted_scores, _, _ = injection.planted_scores(model, data.samples, chosen, cache=cache)
            planted += [
                (bool(flagged[position[p.malware]]), float(s), bool(s >= threshold))
                for p, s in zip(pairs, planted_scores, strict=True)
            ]
        if progress:
            progress(f"{kind} selection fold {f + 1}/{folds} ({time.perf_counter() - start:.0f}s)")
    benign = y == 0
    return {
        "protocol": "selection-cv",
        "n_splits": folds,
        "n_malicious": int((~benign).sum()),
        "n_benign": int(benign.sum()),
        "own_threshold_recall": float(flagged[~benign].mean()),
        "own_threshold_fp": int(flagged[benign].sum()),
        **{f"recall_at_fpr_{pct}%": recall_at_fpr(y, scores, pct / 100) for pct in (0.1, 0.2, 0.5, 1)},
        **_planted_summary(planted, scores[benign]),
    }


def _planted_summary(planted: list[tuple[bool, float, bool]], benign_scores: np.ndarray) -> dict[str, Any]:
    """The selection check's planted malware: recall alone and planted (own thresholds) and at FPR 0.1%."""
    if not planted:
        return {"planted_n": 0}
    alone, scores, caught = (np.array(column) for column in zip(*planted, strict=True))
    y = np.concatenate([np.ones(len(scores)), np.zeros(len(benign_scores))])
    return {
        "planted_n": len(planted),
        "planted_recall_alone": float(alone.mean()),
        "planted_recall": float(caught.mean()),
        "planted_recall_at_fpr_0.1%": recall_at_fpr(y, np.concatenate([scores, benign_scores]), 0.001),
    }
