"""`vetpy evaluate` and `vetpy train` as functions: run the protocols, write the report folder, fit and
save the shipped model."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.lab import holdout, injection, plots, spread
from vetpy.lab.dataset.corpus import corpus_id
from vetpy.lab.dataset.extraction import FeatureCache
from vetpy.lab.evaluate import (
    EvalData,
    TimeSplitResult,
    cross_validate,
    finding_flags,
    fit_model,
    model_threshold,
    permutation_importance,
    time_split,
    time_split_indices,
    write_json,
)
from vetpy.lab.fold_log import FoldLog
from vetpy.lab.metrics import SUMMARY_KEYS, scan_path_line
from vetpy.lab.protocols import CV_FOLDS, MODEL_KINDS, PROTOCOLS, SELECTION_PLANTED
from vetpy.lab.selection import selection_cv
from vetpy.lab.store import environment, save_model
from vetpy.model.manifest import Manifest

PAPER_MACRO = {  # the paper's own figures (two-class averages) and its malicious-class figures
    "cv": {
        "macro_precision": 0.98,
        "macro_recall": 0.91,
        "macro_f1": 0.94,
        "malicious_recall": 0.83,
        "malicious_precision": 0.975,
        "malicious_f1": 0.90,
    },
    "unseen": {
        "macro_precision": 0.96,
        "macro_recall": 0.87,
        "macro_f1": 0.90,
        "malicious_recall": 0.73,
        "malicious_precision": 1.0,
        "malicious_f1": 0.85,
        "fpr": 0.0,
    },
}


def run_evaluation(
    data: EvalData,
    out: Path,
    kinds: Sequence[str] = MODEL_KINDS,
    protocols: Sequence[str] = PROTOCOLS,
    repeats: int = 10,
    log: Callable[[str], None] = print,
    resume: bool = True,
    fold_log_root: Path | None = None,
    holdout_seeds: int = 1,
) -> dict[str, Any]:
    """Every protocol for every model kind; writes metrics.json, summary.md and PNG plots into ``out``.
    With ``resume``, CV folds finished by an earlier identical run (see ``fold_log``) are reused; with
    ``holdout_seeds`` > 1 the family and location hold-outs are repeated and their spread recorded."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict[str, Any] = {
        "data": {
            "id": data.data_id,
            "malicious": int((data.y == 1).sum()),
            "benign": int((data.y == 0).sum()),
            "near_duplicate_clusters_malicious": len(set(data.groups[data.y == 1].tolist())),
            "unreadable_left_out": data.unreadable,
        },
        "environment": environment(),
        "repeats": repeats,
        "models": {},
    }
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for kind in kinds:
        entry: dict[str, Any] = {}
        for protocol in ("stratified", "grouped"):
            if protocol not in protocols:
                continue
            fold_log = FoldLog.for_run(kind, protocol, CV_FOLDS, data.data_id, fold_log_root)
            if not resume:
                fold_log.clear()
            entry[f"{protocol}_cv"] = cross_validate(
                kind, data, repeats, grouped=protocol == "grouped", progress=log, fold_log=fold_log
            )
        if "selection" in protocols:
            entry["selection_cv"] = _selection(kind, data, log)
        if "family" in protocols:
            entry["family_holdout"] = holdout.family_holdout(kind, data, progress=log)
            if holdout_seeds > 1:
                entry["family_spread"] = spread.family_spread(
                    kind, data, entry["family_holdout"], holdout_seeds, log
                )
        if "location" in protocols:
            entry["location_holdout"] = holdout.location_holdout(kind, data)
            if holdout_seeds > 1:
                entry["location_spread"] = spread.location_spread(
                    kind, data, entry["location_holdout"], holdout_seeds
                )
        if "time" in protocols:
            split = time_split(kind, data)
            entry["time_split"] = split.metrics
            m = split.metrics
            log(
                f"{kind} time split: recall {m['malicious_recall']:.3f}"
                f" precision {m['malicious_precision']:.3f}"
                f" fpr {m['fpr']:.4f} threshold {m['threshold']:.3f}"
            )
            curves[kind] = (split.y, split.scores)
            plots.plot_confusion(out, f"{kind}_time_split", m["tp"], m["fp"], m["fn"], m["tn"])
            plots.plot_histogram(
                out, f"{kind}_time_split", split.y, split.scores, model_threshold(split.model)
            )
            entry.update({"injection": _injection(split, data, log)} if "injection" in protocols else {})
            importance = permutation_importance(split.model, split.test_features, split.y, kind)
            entry["time_split_importance"] = importance
            plots.plot_importance(out, f"{kind}_time_split", importance)
        results["models"][kind] = entry
        write_json(out / "metrics.json", results)
    if curves:
        plots.plot_curves(out, "time_split", curves)
    results["seconds"] = round(time.time() - started, 1)
    write_json(out / "metrics.json", results)
    (out / "summary.md").write_text(summary_markdown(results), encoding="utf-8")
    return results


def _selection(kind: str, data: EvalData, log: Callable[[str], None]) -> dict[str, Any]:
    """The selection check (lab/selection.py), its planted pairs' features cached like the corpus."""
    cache = FeatureCache()
    try:
        return selection_cv(kind, data, progress=log, cache=cache)
    finally:
        cache.close()


def _injection(split: TimeSplitResult, data: EvalData, log: Callable[[str], None]) -> dict[str, Any]:
    """The injection hold-out (lab/injection.py) with the time split's model and test rows."""
    _, test_rows = time_split_indices(data)
    cache = FeatureCache()
    try:
        result = injection.injection_holdout(
            split.model,
            model_threshold(split.model),
            data.samples,
            data.groups,
            test_rows,
            split.scores,
            data.y,
            cache=cache,
            progress=log,
            row_findings=finding_flags(data.features),
        )
    finally:
        cache.close()
    if result.get("n"):
        log(f"injection: recall alone {result['recall_alone']:.3f}, planted {result['recall_injected']:.3f}")
    return result


def _has_cv(results: dict[str, Any]) -> bool:
    return any("stratified_cv" in e or "grouped_cv" in e for e in results["models"].values())


def _row(label: str, m: dict[str, Any]) -> str:
    def f(key: str) -> str:
        v = m.get(key)
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "-"
        std = m.get(f"{key}_std")
        digits = 4 if key == "fpr" else 3
        return f"{v:.{digits}f}" + (f" ± {std:.{digits}f}" if std else "")

    return "| " + label + " | " + " | ".join(f(k) for k in SUMMARY_KEYS) + " |"


def _selection_markdown(results: dict[str, Any]) -> list[str]:
    """The summary lines of the selection check, one row per model kind."""
    selection = [(kind, e["selection_cv"]) for kind, e in results["models"].items() if "selection_cv" in e]
    if not selection:
        return []
    lines = [
        "",
        "Selection check (grouped 5-fold CV over the time split's training rows only; pooled"
        " out-of-fold scores; the test split takes no part):",
        "",
        "| model | recall@FPR0.1% | recall@FPR0.2% | recall@FPR0.5% | recall@FPR1% |"
        " recall at own thresholds | benign flagged | planted: alone | planted | planted@FPR0.1% |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, m in selection:
        planted = [m.get(k) for k in ("planted_recall_alone", "planted_recall", "planted_recall_at_fpr_0.1%")]
        lines.append(
            f"| {kind} | "
            + " | ".join(f"{m[f'recall_at_fpr_{pct}%']:.3f}" for pct in (0.1, 0.2, 0.5, 1))
            + f" | {m['own_threshold_recall']:.3f} | {m['own_threshold_fp']}/{m['n_benign']} | "
            + " | ".join("-" if v is None else f"{v:.3f}" for v in planted)
            + " |"
        )
    lines += [
        "",
        "Planted: per fold, up to"
        f" {SELECTION_PLANTED} held-out malware (one per near-duplicate cluster) merged into held-out"
        " benign sdists and read like the injection hold-out, at the fold's own threshold.",
    ]
    return lines


def summary_markdown(results: dict[str, Any]) -> str:
    d = results["data"]
    lines = [
        "# vetpy evaluation",
        "",
        f"Data `{d['id']}`: {d['malicious']} malicious"
        f" ({d['near_duplicate_clusters_malicious']} near-duplicate clusters), {d['benign']} benign;"
        f" {d['unreadable_left_out']} unreadable archives left out."
        + (f" CV repeats: {results['repeats']}." if _has_cv(results) else "")
        + f" Environment: {results['environment']}.",
        "",
        "Malicious class first; `fpr` = benign flagged / benign; macro = the two-class average the paper"
        " reports. CV rows are mean ± std over folds; thresholds: `seed` 0.5, `default` its own"
        " (chosen on out-of-fold training predictions for FPR <= 0.1%).",
        "",
        "| model / protocol | mal. precision | mal. recall | mal. F1 | FPR | macro P | macro R | macro F1 |"
        " PR-AUC | recall@FPR0.1% | recall@FPR1% |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, entry in results["models"].items():
        for key, label in (
            ("stratified_cv", "10-fold CV"),
            ("grouped_cv", "grouped CV"),
            ("time_split", "time split"),
        ):
            if key in entry:
                lines.append(_row(f"{kind} / {label}", entry[key]))
        if "time_split" in entry and "novel_clusters" in entry["time_split"]:
            lines.append(
                _row(f"{kind} / time split, new clusters only", entry["time_split"]["novel_clusters"])
            )
    lines.append(_row("paper / 10x10 CV (its numbers)", PAPER_MACRO["cv"]))
    lines.append(_row("paper / unseen test (its numbers)", PAPER_MACRO["unseen"]))
    lines.append("")
    for kind, entry in results["models"].items():
        if "time_split" in entry:
            m = entry["time_split"]
            lines.append(
                f"- `{kind}` time split: train {m['train_size']}, test {m['test_size']}"
                f" ({m['n_malicious']} malicious, {m['n_benign']} benign); TP {m['tp']} FP {m['fp']}"
                f" FN {m['fn']} TN {m['tn']} at threshold {m['threshold']:.4f}; benign flagged:"
                f" {m.get('fp_benign-top', '-')} popular, {m.get('fp_benign-tail', '-')} long-tail."
            )
            lines += scan_path_line(f"`{kind}` time split", m.get("scan_path"))
            lines += scan_path_line(
                f"`{kind}` time split, new clusters", m.get("novel_clusters", {}).get("scan_path")
            )
    lines += _selection_markdown(results)
    for kind, entry in results["models"].items():
        if "family_holdout" in entry:
            lines += holdout.family_markdown(kind, entry["family_holdout"])
        if "location_holdout" in entry:
            lines += holdout.location_markdown(kind, entry["location_holdout"])
        if "injection" in entry:
            lines += injection.injection_markdown(kind, entry["injection"])
        for name, key in (("family hold-out", "family_spread"), ("location hold-out", "location_spread")):
            if key in entry:
                lines += spread.spread_markdown(kind, name, entry[key])
    lines.append(f"\nWall time: {results.get('seconds', 0)} s.\n")
    return "\n".join(lines)


def train_and_save(
    data: EvalData,
    kind: str,
    path: Path,
    metrics: dict[str, Any] | None = None,
    split: str = "all",
) -> Manifest:
    """Fit ``kind`` (after its cluster cap) and save it (skops, compiled arrays, manifest) at ``path``:
    on the whole corpus (``split="all"``, the shipped model) or on the time split's training side only
    (``"time-train"``: a model that never saw the time-split test rows, for held-out benchmarks)."""
    if split == "all":
        pool, data_id = np.arange(len(data.y)), data.data_id
    elif split == "time-train":
        pool = time_split_indices(data)[0]
        data_id = corpus_id([data.samples[i] for i in pool])
    else:
        raise ValueError(f"unknown training split {split!r}: choose all or time-train")
    model = fit_model(kind, data, pool)
    return save_model(
        model,
        path,
        kind=kind,
        threshold=model_threshold(model),
        training_data_id=data_id,
        metrics=metrics or {},
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
