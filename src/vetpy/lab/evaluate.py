"""Evaluation protocols: (a) the paper's repeated stratified 10-fold CV, (b) the same grouped by
near-duplicate cluster, (c) a time split (train on older malware, test on newer; benign split by a fixed
hash of the project name). Every protocol reports the malicious class on its own, the paper's macro
average, false-positive rate, PR-AUC and recall at fixed false-positive rates."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from packaging.utils import canonicalize_name
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.model_selection import RepeatedStratifiedKFold, StratifiedGroupKFold

from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS, PAPER_FEATURE_IDS
from vetpy.lab import augment, pipelines
from vetpy.lab.dataset.corpus import BENIGN_LISTS, Sample, corpus_id, load_corpus, name_bucket
from vetpy.lab.dataset.extraction import FeatureCache, extract_corpus
from vetpy.lab.fold_log import FoldLog
from vetpy.lab.metrics import classification_metrics, scan_path_metrics, summarise_folds
from vetpy.lab.protocols import (
    BENIGN_TRAIN_BUCKETS,
    CV_FOLDS,
    TIME_SPLIT_TEST_UNTIL,
    TIME_SPLIT_TRAIN_BEFORE,
)
from vetpy.policy import token_findings

Progress = Callable[[str], None]


@dataclass(frozen=True)
class EvalData:
    """The corpus as model inputs: features, labels, near-duplicate groups, dates and names."""

    samples: list[Sample]
    features: list[PackageFeatures]
    y: np.ndarray
    groups: np.ndarray
    unreadable: int

    @property
    def data_id(self) -> str:
        return corpus_id(self.samples)


def load_eval_data(
    data: Path,
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
    extra: Sequence[Sample] = (),
    lists: tuple[str, ...] = BENIGN_LISTS[:1],
) -> EvalData:
    """Extract (or read from the cache) features for the corpus (``lists``: which benign lists); archives that
    cannot be read are left out. ``extra`` samples (e.g. triage labels) are added and replace corpus samples
    of the same archive."""
    replaced = {s.sha256 for s in extra}
    samples = [s for s in load_corpus(data, lists=lists) if s.sha256 not in replaced] + list(extra)
    cache = FeatureCache()
    records = extract_corpus(samples, jobs=jobs, cache=cache, on_progress=progress)
    cache.close()
    kept = [s for s in samples if records[s.sha256].error is None]
    return EvalData(
        samples=kept,
        features=[records[s.sha256].to_features() for s in kept],
        y=np.array([s.label for s in kept], dtype=int),
        groups=np.array([records[s.sha256].dup_key for s in kept]),
        unreadable=len(samples) - len(kept),
    )


def model_threshold(model: Any) -> float:
    return pipelines.fitted_threshold(model)


def training_indices(kind: str, data: EvalData, idx: np.ndarray, random_state: int = 0) -> np.ndarray:
    """The training rows a model kind learns from: all of ``idx`` for ``seed`` (as the paper did); for our
    models at most ``pipelines.cluster_cap(kind)`` rows per near-duplicate cluster, so a few malware
    families copied hundreds of times do not drown out the rest."""
    cap = pipelines.cluster_cap(kind)
    if cap is None:
        return idx
    rng = np.random.default_rng(random_state)
    shuffled = rng.permutation(idx)
    taken: dict[str, int] = {}
    keep = []
    for i in shuffled:
        group = str(data.groups[i])
        if taken.get(group, 0) < cap:
            taken[group] = taken.get(group, 0) + 1
            keep.append(i)
    return np.sort(np.array(keep, dtype=int))


def stacking_groups(data: EvalData, rows: np.ndarray) -> np.ndarray:
    """What must not sit on both sides of the stack's internal folds: a malware near-duplicate cluster, or
    all releases of one benign project."""
    return np.array(
        [
            str(data.groups[i]) if data.y[i] == 1 else "project:" + canonicalize_name(data.samples[i].name)
            for i in rows
        ]
    )


def training_set(
    kind: str, data: EvalData, rows: np.ndarray
) -> tuple[list[PackageFeatures], np.ndarray, np.ndarray]:
    """The rows' features, labels and stacking groups, followed by the augmented copies of the malware
    rows for kinds that use them (``pipelines.augmentations``); a copy stays in its original's group, so
    on the same side of every internal fold."""
    features, y, groups = _subset(data.features, rows), data.y[rows], stacking_groups(data, rows)
    kinds = pipelines.augmentations(kind)
    if not kinds:
        return features, y, groups
    extra: list[PackageFeatures] = []
    extra_groups: list[str] = []
    disguise = next((k for k in kinds if k in augment.DISGUISE_KINDS), None)
    hosts = [j for j, i in enumerate(rows) if data.y[i] == 0] if disguise else []
    rng = np.random.default_rng(len(rows))  # the same rows always get the same hosts
    for j, i in enumerate(rows):
        if data.y[i] == 1:
            made = augment.copies(features[j], kinds)
            if hosts:
                host = features[hosts[int(rng.integers(len(hosts)))]]
                if disguise != augment.DISGUISE_HALF or rng.random() < 0.5:
                    made.append(
                        augment.disguised(
                            features[j],
                            host,
                            packaging=disguise != augment.DISGUISE_CODE,
                            own_name=disguise == augment.DISGUISE_NAMED,
                        )
                    )
            extra += made
            extra_groups += [str(groups[j])] * len(made)
    return (
        features + extra,
        np.concatenate([y, np.ones(len(extra), dtype=int)]),
        np.concatenate([groups, np.array(extra_groups, dtype=groups.dtype)]),
    )


def fit_model(kind: str, data: EvalData, train_idx: np.ndarray, random_state: int = 0) -> Any:
    """Fit ``kind`` on the training rows (after its cluster cap). For kinds with grouped stacking, the
    stack's out-of-fold predictions (which train the meta-learner and set the threshold) come from folds
    grouped like ``stacking_groups``: the meta-learner then learns how much to trust each base model on
    malware families it has *not* seen, which is what new uploads are."""
    rows = training_indices(kind, data, train_idx, random_state)
    model = clone(pipelines.build(kind, random_state))
    features, y, groups = training_set(kind, data, rows)
    if pipelines.grouped_stacking(kind):
        folds = StratifiedGroupKFold(pipelines.STACK_FOLDS, shuffle=True, random_state=random_state)
        model.set_params(stack__cv=list(folds.split(np.zeros(len(y)), y, groups)))
        model.fit(features, y)
        model.set_params(stack__cv=folds)  # record the splitter, not thousands of indices
        return model
    return model.fit(features, y)


def fit_predict(
    kind: str, data: EvalData, train_idx: np.ndarray, test_idx: np.ndarray, random_state: int = 0
) -> tuple[Any, np.ndarray]:
    """Fit ``kind`` on the training rows and score the test rows."""
    model = fit_model(kind, data, train_idx, random_state)
    return model, np.asarray(model.predict_proba(_subset(data.features, test_idx)))[:, 1]


def _subset(items: list[Any], idx: np.ndarray) -> list[Any]:
    return [items[i] for i in idx]


def cross_validate(
    kind: str,
    data: EvalData,
    repeats: int,
    grouped: bool,
    folds: int = CV_FOLDS,
    progress: Progress | None = None,
    fold_log: FoldLog | None = None,
) -> dict[str, Any]:
    """Protocol (a) (grouped=False) or (b) (grouped=True): repeats x folds, metrics per fold, summarised.
    Folds already in ``fold_log`` are taken from it; each new fold is recorded there as it ends."""
    per_fold: list[dict[str, Any]] = []
    splits: list[tuple[np.ndarray, np.ndarray]] = []
    if grouped:
        for r in range(repeats):
            sgkf = StratifiedGroupKFold(folds, shuffle=True, random_state=r)
            splits += list(sgkf.split(np.zeros(len(data.y)), data.y, data.groups))
    else:
        rskf = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=0)
        splits = list(rskf.split(np.zeros(len(data.y)), data.y))
    start = time.perf_counter()
    for i, (tr, te) in enumerate(splits):
        saved = fold_log.get(i) if fold_log else None
        if saved is None:
            model, scores = fit_predict(kind, data, tr, te, i)
            metrics = classification_metrics(data.y[te], scores, model_threshold(model))
            if fold_log:
                fold_log.record(i, metrics)
        else:
            metrics = saved
        per_fold.append(metrics)
        if progress:
            progress(
                f"{kind} {'grouped' if grouped else 'stratified'} fold {i + 1}/{len(splits)}:"
                f" recall {metrics['malicious_recall']:.3f} fpr {metrics['fpr']:.4f}"
                + (" (saved earlier)" if saved else f" ({time.perf_counter() - start:.0f}s)")
            )
    summary = summarise_folds(per_fold)
    summary.update(
        {
            "protocol": "grouped-cv" if grouped else "stratified-cv",
            "repeats": repeats,
            "n_splits": folds,
            "per_fold": per_fold,
        }
    )
    return summary


def highest_benign(
    samples: Sequence[Sample], y: np.ndarray, scores: np.ndarray, flagged: np.ndarray, limit: int = 25
) -> list[dict[str, Any]]:
    """The benign rows to read by hand: every flagged one, then the highest-scored others, up to ``limit``
    rows beyond the flagged (name, version, list and score only)."""
    order = sorted((i for i in range(len(y)) if y[i] == 0), key=lambda i: -float(scores[i]))
    picked = [i for i in order if flagged[i]] + [i for i in order if not flagged[i]][:limit]
    return [
        {
            "list": samples[i].source.split("-", 1)[0],
            "name": samples[i].name,
            "version": samples[i].version,
            "score": round(float(scores[i]), 4),
            "flagged": bool(flagged[i]),
        }
        for i in picked
    ]


def finding_flags(features: Sequence[PackageFeatures]) -> np.ndarray:
    """Which packages show a hard finding in their features (the cached tokens; see vetpy.policy)."""
    return np.array([bool(token_findings(f.code_text)) for f in features], dtype=bool)


def time_split_indices(data: EvalData) -> tuple[np.ndarray, np.ndarray]:
    train, test = [], []
    for i, s in enumerate(data.samples):
        if s.label == 1:
            if s.date < TIME_SPLIT_TRAIN_BEFORE:
                train.append(i)
            elif s.date <= TIME_SPLIT_TEST_UNTIL:
                test.append(i)
        elif name_bucket(s.name) < BENIGN_TRAIN_BUCKETS:
            train.append(i)
        else:
            test.append(i)
    return np.array(train), np.array(test)


@dataclass(frozen=True)
class TimeSplitResult:
    metrics: dict[str, Any]
    y: np.ndarray
    scores: np.ndarray
    model: Any
    test_features: list[PackageFeatures]


def time_split(kind: str, data: EvalData) -> TimeSplitResult:
    """Protocol (c)."""
    tr, te = time_split_indices(data)
    test_features = _subset(data.features, te)
    model, scores = fit_predict(kind, data, tr, te)
    metrics = classification_metrics(data.y[te], scores, model_threshold(model))
    train_groups = set(data.groups[tr].tolist())
    novel = np.array([data.y[i] == 0 or data.groups[i] not in train_groups for i in te])
    threshold = model_threshold(model)
    metrics["novel_clusters"] = classification_metrics(data.y[te][novel], scores[novel], threshold)
    findings = finding_flags(test_features)
    metrics["scan_path"] = scan_path_metrics(data.y[te], scores >= threshold, findings)
    metrics["novel_clusters"]["scan_path"] = scan_path_metrics(
        data.y[te][novel], scores[novel] >= threshold, findings[novel]
    )
    sources = np.array([data.samples[i].source for i in te])
    for stratum in ("benign-top", "benign-tail"):
        mask = sources == stratum
        flagged = int((scores[mask] >= threshold).sum())
        metrics[f"fp_{stratum}"] = flagged
        metrics[f"fpr_{stratum}"] = flagged / int(mask.sum()) if mask.any() else float("nan")
    test_samples = _subset(data.samples, te)
    metrics["highest_benign"] = highest_benign(test_samples, data.y[te], scores, scores >= threshold)
    metrics.update(
        {
            "protocol": "time-split",
            "train_size": len(tr),
            "test_size": len(te),
            "train_malicious_before": TIME_SPLIT_TRAIN_BEFORE,
            "test_until": TIME_SPLIT_TEST_UNTIL,
        }
    )
    return TimeSplitResult(metrics, data.y[te], scores, model, test_features)


def permutation_importance(
    model: Any, features: list[PackageFeatures], y: np.ndarray, kind: str, seed: int = 0, limit: int = 3000
) -> dict[str, float]:
    """Drop in PR-AUC when one feature (or one text field) is shuffled across packages."""
    rng = np.random.default_rng(seed)
    if len(features) > limit:
        idx = rng.choice(len(features), limit, replace=False)
        features, y = [features[i] for i in idx], y[idx]
    base = average_precision_score(y, np.asarray(model.predict_proba(features))[:, 1])
    ids = PAPER_FEATURE_IDS if kind == "seed" else FEATURE_IDS
    out: dict[str, float] = {}
    for fid in ids:
        column = [p.values.get(fid, 0.0) for p in features]
        if len(set(column)) < 2:
            continue
        perm = rng.permutation(len(column))
        shuffled = [
            replace(p, values={**p.values, fid: column[j]}) for p, j in zip(features, perm, strict=True)
        ]
        out[fid] = float(base - average_precision_score(y, np.asarray(model.predict_proba(shuffled))[:, 1]))
    fields = ("suspicious_text",) if kind == "seed" else ("suspicious_text", "code_text")
    for field in fields:
        texts = [getattr(p, field) for p in features]
        perm = rng.permutation(len(texts))
        shuffled = [replace(p, **{field: texts[j]}) for p, j in zip(features, perm, strict=True)]
        out[f"text:{field}"] = float(
            base - average_precision_score(y, np.asarray(model.predict_proba(shuffled))[:, 1])
        )
    return dict(sorted(out.items(), key=lambda kv: kv[1], reverse=True))


def write_json(path: Path, obj: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=float) + "\n", encoding="utf-8")
