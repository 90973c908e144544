"""Honest metrics: per class (malicious first), the macro average the paper reports, false-positive rate,
PR-AUC and recall at fixed false-positive rates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)


def recall_at_fpr(y: np.ndarray, scores: np.ndarray, max_fpr: float) -> float:
    """Best malicious recall over thresholds whose false-positive rate is at most ``max_fpr``."""
    if len(set(y.tolist())) < 2:
        return float("nan")
    fpr, tpr, _ = roc_curve(y, scores)
    ok = fpr <= max_fpr + 1e-12
    return float(tpr[ok].max()) if ok.any() else 0.0


def scan_path_metrics(y_true: np.ndarray, by_model: np.ndarray, by_findings: np.ndarray) -> dict[str, Any]:
    """The verdicts every interface gives (``Scanner.scan_archive``): flagged when the model's score is
    over its threshold *or* the features show a hard finding (``vetpy.policy.FEATURE_FINDINGS``), with how
    many of each class the findings alone decided."""
    y = np.asarray(y_true, dtype=int)
    flagged = np.asarray(by_model, dtype=bool) | np.asarray(by_findings, dtype=bool)
    malicious, benign = y == 1, y == 0
    tp, fp = int((flagged & malicious).sum()), int((flagged & benign).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / int(malicious.sum()) if malicious.any() else float("nan")
    return {
        "malicious_precision": precision,
        "malicious_recall": recall,
        "malicious_f1": 2 * precision * recall / (precision + recall) if tp else 0.0,
        "fp": fp,
        "fpr": fp / int(benign.sum()) if benign.any() else float("nan"),
        "malware_caught_only_by_findings": int((flagged & ~by_model & malicious).sum()),
        "benign_with_findings": int((by_findings & benign).sum()),
    }


def classification_metrics(
    y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, threshold: float
) -> dict[str, Any]:
    y = np.asarray(y_true, dtype=int)
    s = np.asarray(scores, dtype=float)
    pred = (s >= threshold).astype(int)
    p, r, f, _ = precision_recall_fscore_support(y, pred, labels=[1, 0], zero_division=0)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    tn = int(((pred == 0) & (y == 0)).sum())
    both = len(set(y.tolist())) == 2
    return {
        "threshold": float(threshold),
        "n_malicious": int((y == 1).sum()),
        "n_benign": int((y == 0).sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "malicious_precision": float(p[0]),
        "malicious_recall": float(r[0]),
        "malicious_f1": float(f[0]),
        "benign_precision": float(p[1]),
        "benign_recall": float(r[1]),
        "benign_f1": float(f[1]),
        "macro_precision": float((p[0] + p[1]) / 2),
        "macro_recall": float((r[0] + r[1]) / 2),
        "macro_f1": float((f[0] + f[1]) / 2),
        "fpr": fp / (fp + tn) if fp + tn else float("nan"),
        "pr_auc": float(average_precision_score(y, s)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, s)) if both else float("nan"),
        "recall_at_fpr_0.1%": recall_at_fpr(y, s, 0.001),
        "recall_at_fpr_1%": recall_at_fpr(y, s, 0.01),
    }


SUMMARY_KEYS = (
    "malicious_precision",
    "malicious_recall",
    "malicious_f1",
    "fpr",
    "macro_precision",
    "macro_recall",
    "macro_f1",
    "pr_auc",
    "recall_at_fpr_0.1%",
    "recall_at_fpr_1%",
)


def summarise_folds(folds: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean and standard deviation of each metric over folds, plus summed confusion counts."""
    out: dict[str, Any] = {"folds": len(folds)}
    for key in SUMMARY_KEYS:
        values = np.array([f[key] for f in folds], dtype=float)
        out[key] = float(np.nanmean(values))
        out[f"{key}_std"] = float(np.nanstd(values))
    for key in ("tp", "fp", "fn", "tn"):
        out[key] = int(sum(f[key] for f in folds))
    return out


def scan_path_line(label: str, m: dict[str, Any] | None) -> list[str]:
    """One summary line for :func:`scan_path_metrics` (nothing when the run predates it)."""
    if not m:
        return []
    return [
        f"- {label}, scan path (model or a hard finding from the features): malicious recall"
        f" {m['malicious_recall']:.3f}, precision {m['malicious_precision']:.3f}, FP {m['fp']}"
        f" (FPR {m['fpr']:.4f}); malware caught only by a finding {m['malware_caught_only_by_findings']},"
        f" benign with a finding {m['benign_with_findings']}"
    ]
