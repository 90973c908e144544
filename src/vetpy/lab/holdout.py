"""Protocols that predict the future better than a random or time split:

- ``family``: grouped K-fold where a group is a whole malware *campaign* (``lab/campaigns.py``: shared
  endpoints, tokens, author e-mails, near-duplicate code) or a benign project, so every test malware
  belongs to a campaign its model never saw;
- ``location``: train on malware whose payload runs by itself (install or import time), test on malware
  whose payload waits to be called, and the reverse; benign projects split by a fixed name hash.

Both report false positives per benign list (``benign.csv``, ``benign_recent.csv``, ``benign_popular.csv``
when loaded) one by one, at each model's own threshold: the threshold is always the one the model chose on
out-of-fold scores of its *training* rows, never on a test split."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
from packaging.utils import canonicalize_name
from sklearn.model_selection import StratifiedGroupKFold

from vetpy.lab.campaigns import find_campaigns
from vetpy.lab.dataset.corpus import name_bucket
from vetpy.lab.evaluate import (
    EvalData,
    Progress,
    finding_flags,
    fit_predict,
    highest_benign,
    model_threshold,
)
from vetpy.lab.metrics import classification_metrics, recall_at_fpr, scan_path_line, scan_path_metrics
from vetpy.lab.protocols import BENIGN_TRAIN_BUCKETS

FAMILY_FOLDS = 5
FAMILY_SPLIT_SEED = 2  # the reported run's fold draw; lab/spread.py repeats with the next seeds
INSTALL_SIGNALS = ("install.setup_suspicious", "install.cmdclass", "install.pth_exec")
IMPORT_SIGNALS = ("install.import_time_payload", "install.init_suspicious", "install.entry_point_payload")
#: Behaviours in a file that runs by itself: with no import-time or .pth signal, that file is setup.py
#: (features/behaviours.py), whose code runs on install even when no single call is an active one.
RUNNING_SIGNALS = ("install.running_file_behaviours",)
BEHAVIOUR_SIGNALS = ("code.max_file_behaviours",)


def campaign_groups(data: EvalData) -> np.ndarray:
    """One group per malware campaign and per benign project."""
    texts = [f.suspicious_text for f in data.features]
    campaigns = find_campaigns(texts, data.y.tolist(), [str(g) for g in data.groups])
    return np.array(
        [
            cid if cid is not None else "project:" + canonicalize_name(s.name)
            for cid, s in zip(campaigns.ids, data.samples, strict=True)
        ]
    )


def payload_location(data: EvalData) -> np.ndarray:
    """Where each package's payload runs, read from its features: ``install`` (setup.py, .pth), ``import``
    (module level, entry point), ``call`` (behaviours only in code something must call), ``none``.
    Behaviours in setup.py count as install time even when none is an active call (a setup.py that
    writes files and edits shortcuts while installing runs by itself)."""
    out = []
    for f in data.features:
        v = f.values
        if any(v.get(k, 0.0) > 0 for k in INSTALL_SIGNALS):
            out.append("install")
        elif any(v.get(k, 0.0) > 0 for k in IMPORT_SIGNALS):
            out.append("import")
        elif any(v.get(k, 0.0) > 0 for k in RUNNING_SIGNALS):
            out.append("install")
        elif any(v.get(k, 0.0) > 0 for k in BEHAVIOUR_SIGNALS):
            out.append("call")
        else:
            out.append("none")
    return np.array(out)


def benign_sets(
    sources: np.ndarray, y: np.ndarray, scores: np.ndarray, flagged: np.ndarray
) -> dict[str, dict[str, Any]]:
    """False positives per benign list (the part of ``source`` before any ``-``), at the models' own
    thresholds, with the recall at FPR 0.1% each list alone would allow."""
    lists = sorted({str(s).split("-", 1)[0] for s, label in zip(sources, y, strict=True) if label == 0})
    out: dict[str, dict[str, Any]] = {}
    malicious = y == 1
    for name in lists:
        mask = (y == 0) & np.array([str(s).split("-", 1)[0] == name for s in sources])
        both = mask | malicious
        out[name] = {
            "n": int(mask.sum()),
            "fp": int(flagged[mask].sum()),
            "fpr": float(flagged[mask].mean()) if mask.any() else float("nan"),
            "recall_at_fpr_0.1%": recall_at_fpr(y[both], scores[both], 0.001),
        }
    return out


def _pooled(data: EvalData, rows: np.ndarray, scores: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    y = data.y[rows]
    sources = np.array([data.samples[i].source for i in rows])
    malicious = y == 1
    return {
        "n_malicious": int(malicious.sum()),
        "n_benign": int((~malicious).sum()),
        "own_threshold_recall": float(flagged[malicious].mean()) if malicious.any() else float("nan"),
        "own_threshold_fp": int(flagged[~malicious].sum()),
        "own_threshold_fpr": float(flagged[~malicious].mean()) if (~malicious).any() else float("nan"),
        **{f"recall_at_fpr_{pct}%": recall_at_fpr(y, scores, pct / 100) for pct in (0.1, 1)},
        "benign_sets": benign_sets(sources, y, scores, flagged),
        "highest_benign": highest_benign([data.samples[i] for i in rows], y, scores, flagged),
        "scan_path": scan_path_metrics(y, flagged, finding_flags([data.features[i] for i in rows])),
    }


def campaign_view(
    groups: np.ndarray,
    y: np.ndarray,
    scores: np.ndarray,
    flagged: np.ndarray,
    fold_of: np.ndarray,
    top: int = 10,
) -> dict[str, Any]:
    """Recall campaign by campaign (out-of-fold, each at its fold's own threshold): the largest ones, the
    mean over campaigns (each weighs one, however many copies it uploaded), and everything but the largest
    (pooled scores, so recall at a budget is over all benign rows)."""
    malicious = y == 1
    names, index = np.unique(groups[malicious], return_inverse=True)
    sizes = np.bincount(index, minlength=len(names))
    per = np.bincount(index, weights=flagged[malicious], minlength=len(names)) / np.maximum(sizes, 1)
    folds = np.zeros(len(names), dtype=int)
    folds[index] = fold_of[malicious]
    order = np.argsort(-sizes, kind="stable")
    rest = ~malicious | (groups != (names[order[0]] if len(names) else None))
    kept = malicious & rest
    return {
        "largest": [
            {"size": int(sizes[c]), "fold": int(folds[c]) + 1, "recall": float(per[c])} for c in order[:top]
        ],
        "campaign_mean_recall": float(per.mean()) if len(names) else float("nan"),
        "without_largest": {
            "n_malicious": int(kept.sum()),
            "own_threshold_recall": float(flagged[kept].mean()) if kept.any() else float("nan"),
            **{f"recall_at_fpr_{pct}%": recall_at_fpr(y[rest], scores[rest], pct / 100) for pct in (0.1, 1)},
        },
    }


def family_holdout(
    kind: str,
    data: EvalData,
    folds: int = FAMILY_FOLDS,
    progress: Progress | None = None,
    split_seed: int = FAMILY_SPLIT_SEED,
) -> dict[str, Any]:
    """Grouped K-fold over campaigns and benign projects (folds drawn with ``split_seed``); out-of-fold
    scores pooled."""
    groups = campaign_groups(data)
    rows = np.arange(len(data.y))
    scores = np.zeros(len(rows))
    flagged = np.zeros(len(rows), dtype=bool)
    fold_of = np.zeros(len(rows), dtype=int)
    per_fold: list[dict[str, Any]] = []
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=split_seed)
    start = time.perf_counter()
    for f, (a, b) in enumerate(splitter.split(np.zeros(len(rows)), data.y, groups)):
        model, scores[b] = fit_predict(kind, data, a, b, f)
        threshold = model_threshold(model)
        flagged[b] = scores[b] >= threshold
        fold_of[b] = f
        fold = classification_metrics(data.y[b], scores[b], threshold)
        fold["largest_campaign"] = max(Counter(groups[b][data.y[b] == 1].tolist()).values(), default=0)
        per_fold.append(fold)
        if progress:
            progress(
                f"{kind} family fold {f + 1}/{folds}: recall {fold['malicious_recall']:.3f}"
                f" fp {fold['fp']} ({time.perf_counter() - start:.0f}s)"
            )
    sizes = sorted(Counter(groups[data.y == 1].tolist()).values(), reverse=True)
    return {
        "protocol": "family-holdout",
        "n_splits": folds,
        "split_seed": split_seed,
        "campaigns": len(sizes),
        "largest_campaigns": sizes[:10],
        "per_fold": per_fold,
        "by_campaign": campaign_view(groups, data.y, scores, flagged, fold_of),
        **_pooled(data, rows, scores, flagged),
    }


def location_holdout(kind: str, data: EvalData, random_state: int = 0) -> dict[str, Any]:
    """Train on one kind of payload location, test on the other, both ways (models seeded with
    ``random_state``)."""
    where = payload_location(data)
    benign_train = np.array(
        [data.y[i] == 0 and name_bucket(s.name) < BENIGN_TRAIN_BUCKETS for i, s in enumerate(data.samples)]
    )
    benign_test = (data.y == 0) & ~benign_train
    runs_itself = (data.y == 1) & np.isin(where, ("install", "import"))
    waits = (data.y == 1) & (where == "call")
    out: dict[str, Any] = {
        "protocol": "location-holdout",
        "random_state": random_state,
        "malware_by_location": dict(Counter(where[data.y == 1].tolist())),
    }
    for label, train_mal, test_mal in (
        ("runs_itself_to_call_time", runs_itself, waits),
        ("call_time_to_runs_itself", waits, runs_itself),
    ):
        a = np.flatnonzero(train_mal | benign_train)
        b = np.flatnonzero(test_mal | benign_test)
        model, scores = fit_predict(kind, data, a, b, random_state)
        threshold = model_threshold(model)
        metrics = classification_metrics(data.y[b], scores, threshold)
        metrics.update(_pooled(data, b, scores, scores >= threshold))
        out[label] = metrics
    return out


def family_markdown(kind: str, m: dict[str, Any]) -> list[str]:
    """The family hold-out as summary lines: per fold, pooled, per benign list, campaign by campaign."""
    lines = [
        "",
        f"`{kind}` family hold-out ({m['campaigns']} campaigns; largest {m['largest_campaigns'][:5]}):",
        "",
        "| fold | test malware | largest campaign | recall at own threshold | FP / benign |"
        " recall@FPR0.1% | recall@FPR1% |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, f in enumerate(m["per_fold"], 1):
        lines.append(
            f"| {i} | {f['n_malicious']} | {f['largest_campaign']} | {f['malicious_recall']:.3f} |"
            f" {f['fp']}/{f['n_benign']} | {f['recall_at_fpr_0.1%']:.3f} | {f['recall_at_fpr_1%']:.3f} |"
        )
    lines.append(
        f"| pooled | {m['n_malicious']} | | {m['own_threshold_recall']:.3f} |"
        f" {m['own_threshold_fp']}/{m['n_benign']} | {m['recall_at_fpr_0.1%']:.3f} |"
        f" {m['recall_at_fpr_1%']:.3f} |"
    )
    sets = ", ".join(
        f"{name} {b['fp']}/{b['n']} (recall@FPR0.1% {b['recall_at_fpr_0.1%']:.3f})"
        for name, b in m["benign_sets"].items()
    )
    lines += ["", f"- per benign list: {sets}", *scan_path_line("pooled", m.get("scan_path"))]
    view = m.get("by_campaign")
    if view:
        rest = view["without_largest"]
        largest = "; ".join(f"{c['size']} (fold {c['fold']}) {c['recall']:.3f}" for c in view["largest"][:5])
        lines += [
            f"- campaign by campaign at own thresholds: largest {largest}; mean over campaigns"
            f" {view['campaign_mean_recall']:.3f}",
            f"- without the largest campaign ({rest['n_malicious']} malware): recall"
            f" {rest['own_threshold_recall']:.3f}, @FPR0.1% {rest['recall_at_fpr_0.1%']:.3f},"
            f" @FPR1% {rest['recall_at_fpr_1%']:.3f}",
        ]
    return lines


def location_markdown(kind: str, m: dict[str, Any]) -> list[str]:
    """The location hold-out as summary lines: each direction at its model's own threshold."""
    lines = [
        "",
        f"`{kind}` location hold-out (malware by where its payload runs: {m['malware_by_location']}):",
        "",
        "| train -> test | test malware | threshold | recall at own threshold | FP / benign (per list) |"
        " recall@FPR0.1% | recall@FPR1% |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in (
        ("runs_itself_to_call_time", "install/import -> call time"),
        ("call_time_to_runs_itself", "call time -> install/import"),
    ):
        d = m.get(key)
        if not d:
            continue
        per_list = ", ".join(f"{name} {b['fp']}/{b['n']}" for name, b in d["benign_sets"].items())
        lines.append(
            f"| {label} | {d['n_malicious']} | {d['threshold']:.3f} | {d['own_threshold_recall']:.3f} |"
            f" {d['own_threshold_fp']}/{d['n_benign']} ({per_list}) | {d['recall_at_fpr_0.1%']:.3f} |"
            f" {d['recall_at_fpr_1%']:.3f} |"
        )
    lines.append("")
    for key, label in (
        ("runs_itself_to_call_time", "install/import -> call time"),
        ("call_time_to_runs_itself", "call time -> install/import"),
    ):
        if key in m:
            lines += scan_path_line(label, m[key].get("scan_path"))
    return lines
