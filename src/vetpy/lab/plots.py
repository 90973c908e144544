"""PNG plots for an evaluation report (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(out: Path, name: str, curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[Path]:
    """PR and ROC curves, one line per model (curves: label -> (y, scores))."""
    from sklearn.metrics import precision_recall_curve, roc_curve

    plt = _pyplot()
    paths = []
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, (y, s) in curves.items():
        p, r, _ = precision_recall_curve(y, s)
        ax.plot(r, p, label=label)
    ax.set_xlabel("malicious recall")
    ax.set_ylabel("malicious precision")
    ax.set_title(f"PR curve ({name})")
    ax.legend(loc="lower left")
    ax.grid(alpha=0.3)
    paths.append(out / f"{name}_pr.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 4))
    for label, (y, s) in curves.items():
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(np.maximum(fpr, 1e-4), tpr, label=label)
    ax.set_xscale("log")
    ax.axvline(0.001, color="grey", linestyle=":", label="FPR 0.1%")
    ax.set_xlabel("false-positive rate (log)")
    ax.set_ylabel("malicious recall")
    ax.set_title(f"ROC ({name})")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    paths.append(out / f"{name}_roc.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def plot_confusion(out: Path, name: str, tp: int, fp: int, fn: int, tn: int) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(3.8, 3.4))
    matrix = np.array([[tn, fp], [fn, tp]])
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        ax.text(j, i, str(v), ha="center", va="center", color="black", fontsize=12)
    ax.set_xticks([0, 1], ["benign", "malicious"])
    ax.set_yticks([0, 1], ["benign", "malicious"])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(name)
    path = out / f"{name}_confusion.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_histogram(out: Path, name: str, y: np.ndarray, scores: np.ndarray, threshold: float) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.6))
    bins = np.linspace(0, 1, 41)
    ax.hist(scores[y == 0], bins=bins, alpha=0.6, label="benign", log=True)
    ax.hist(scores[y == 1], bins=bins, alpha=0.6, label="malicious", log=True)
    ax.axvline(threshold, color="red", linestyle="--", label=f"threshold {threshold:.3f}")
    ax.set_xlabel("score (probability of malicious)")
    ax.set_ylabel("packages (log)")
    ax.set_title(f"score by class ({name})")
    ax.legend()
    path = out / f"{name}_scores.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_importance(out: Path, name: str, importance: dict[str, float], top: int = 20) -> Path:
    plt = _pyplot()
    items = list(importance.items())[:top][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.28 * len(items) + 1.2))
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set_xlabel("drop in PR-AUC when shuffled")
    ax.set_title(f"permutation importance ({name})")
    path = out / f"{name}_importance.png"
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
