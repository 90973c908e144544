"""Compile a fitted scikit-learn stack into the plain arrays :mod:`vetpy.model.compiled` evaluates (the
inspection half of the compiled form: it reads scikit-learn estimators, so it lives in the lab)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.model.compiled import FORMAT


class NotCompilable(ValueError):
    """The fitted model has a part this module cannot evaluate (it keeps using the skops file)."""


# ---------------------------------------------------------------------------------------------- compiling
def compile_model(model: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The spec (JSON-able) and arrays of a fitted ``Pipeline([("features", FeatureUnion), ("stack",
    StackingClassifier)])`` in the ``default`` family; raises NotCompilable for anything else."""
    steps = getattr(model, "named_steps", None)
    if not steps or list(steps) != ["features", "stack"]:
        raise NotCompilable("expected a Pipeline of 'features' and 'stack'")
    spec: dict[str, Any] = {"format": FORMAT, "blocks": [], "base": []}
    arrays: dict[str, np.ndarray] = {}
    union = steps["features"]
    if getattr(union, "transformer_weights", None):
        raise NotCompilable("weighted feature unions are not supported")
    for _name, part in union.transformer_list:
        spec["blocks"].append(_compile_block(part))
    stack = steps["stack"]
    if type(stack).__name__ != "StackingClassifier" or stack.passthrough:
        raise NotCompilable("expected a StackingClassifier without passthrough")
    if list(stack.classes_) != [0, 1] or any(m != "predict_proba" for m in stack.stack_method_):
        raise NotCompilable("expected a binary stack of predict_proba outputs")
    for i, estimator in enumerate(stack.estimators_):
        prefix = f"base{i}_"
        spec["base"].append({"kind": _compile_base(estimator, prefix, arrays), "prefix": prefix})
    final = stack.final_estimator_
    if not _is_binary_logistic(final):
        raise NotCompilable("expected a logistic-regression meta-learner")
    arrays["meta_coef"] = np.asarray(final.coef_, dtype=np.float64).ravel()
    arrays["meta_intercept"] = np.asarray(final.intercept_, dtype=np.float64).ravel()
    return spec, arrays


def _compile_block(part: Any) -> dict[str, Any]:
    kind = type(part).__name__
    if kind == "NumericColumns":
        return {"kind": "numeric", "ids": list(part.ids_)}
    if kind == "Pipeline" and [type(s).__name__ for _, s in part.steps] == ["TextColumn", "CountVectorizer"]:
        column, vec = part.steps[0][1], part.steps[1][1]
        plain = (
            vec.analyzer == "word"
            and vec.ngram_range == (1, 1)
            and vec.preprocessor is None
            and vec.tokenizer is None
            and vec.strip_accents is None
            and vec.stop_words is None
            and vec.input == "content"
            and vec.binary
        )
        if not plain:
            raise NotCompilable("only binary word CountVectorizers with a token pattern are supported")
        vocabulary = {str(k): int(v) for k, v in vec.vocabulary_.items()}
        return {
            "kind": "text",
            "field": column.field,
            "drop_prefixes": list(column.drop_prefixes),
            "token_pattern": vec.token_pattern,
            "lowercase": bool(vec.lowercase),
            "vocabulary": vocabulary,
        }
    raise NotCompilable(f"unsupported feature block {kind}")


def _is_binary_logistic(estimator: Any) -> bool:
    from sklearn.linear_model import LogisticRegression

    return isinstance(estimator, LogisticRegression) and np.asarray(estimator.coef_).shape[0] == 1


def _compile_base(estimator: Any, prefix: str, arrays: dict[str, np.ndarray]) -> str:
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.preprocessing import MaxAbsScaler

    steps = [s for _, s in estimator.steps] if type(estimator).__name__ == "Pipeline" else [estimator]
    names = [type(s).__name__ for s in steps]
    if names in (["ToDense", "HistGradientBoostingClassifier"], ["HistGradientBoostingClassifier"]):
        hgb = steps[-1]
        assert isinstance(hgb, HistGradientBoostingClassifier)
        _compile_hgb(hgb, prefix, arrays, float32_input=names[0] == "ToDense")
        return "hgb"
    if len(steps) in (1, 2) and _is_binary_logistic(steps[-1]):
        if len(steps) == 2 and not isinstance(steps[0], MaxAbsScaler):
            raise NotCompilable(f"unsupported scaler {names[0]}")
        scale = steps[0].scale_ if len(steps) == 2 else np.ones(steps[-1].coef_.shape[1])
        arrays[prefix + "scale"] = np.asarray(scale, dtype=np.float64)
        arrays[prefix + "coef"] = np.asarray(steps[-1].coef_, dtype=np.float64).ravel()
        arrays[prefix + "intercept"] = np.asarray(steps[-1].intercept_, dtype=np.float64).ravel()
        return "lr"
    if names == ["RandomForestClassifier"]:
        forest = steps[0]
        assert isinstance(forest, RandomForestClassifier)
        if list(forest.classes_) != [0, 1]:
            raise NotCompilable("expected a binary forest")
        _compile_forest(forest, prefix, arrays)
        return "rf"
    raise NotCompilable(f"unsupported base estimator {' -> '.join(names)}")


def _pack_trees(
    trees: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    prefix: str,
    arrays: dict[str, np.ndarray],
) -> None:
    """Concatenate trees (feature, threshold, left, right, leaf value, missing-goes-left) into flat arrays;
    a leaf points at itself, so walking every tree a fixed number of steps lands on its leaf."""
    features, thresholds, lefts, rights, values, missing, roots = [], [], [], [], [], [], []
    offset = 0
    depth = 0
    for feature, threshold, left, right, value, miss in trees:
        n = feature.size
        own = np.arange(n) + offset
        leaf = left < 0
        roots.append(offset)
        features.append(np.where(leaf, 0, feature).astype(np.int64))
        thresholds.append(np.where(leaf, np.inf, threshold).astype(np.float64))
        lefts.append(np.where(leaf, own, left + offset).astype(np.int64))
        rights.append(np.where(leaf, own, right + offset).astype(np.int64))
        values.append(np.where(leaf, value, 0.0).astype(np.float64))
        missing.append(miss.astype(bool))
        depth = max(depth, _depth(left, right))
        offset += n
    arrays[prefix + "feature"] = np.concatenate(features)
    arrays[prefix + "threshold"] = np.concatenate(thresholds)
    arrays[prefix + "left"] = np.concatenate(lefts)
    arrays[prefix + "right"] = np.concatenate(rights)
    arrays[prefix + "value"] = np.concatenate(values)
    arrays[prefix + "missing_left"] = np.concatenate(missing)
    arrays[prefix + "roots"] = np.asarray(roots, dtype=np.int64)
    arrays[prefix + "depth"] = np.asarray([depth], dtype=np.int64)


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    deepest, stack = 0, [(0, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((int(child), depth + 1) for child in (left[node], right[node]) if child >= 0)
    return deepest


def _compile_hgb(model: Any, prefix: str, arrays: dict[str, np.ndarray], *, float32_input: bool) -> None:
    if model.n_trees_per_iteration_ != 1 or list(model.classes_) != [0, 1]:
        raise NotCompilable("expected binary gradient boosting")
    if model.is_categorical_ is not None or getattr(model, "_preprocessor", None) is not None:
        raise NotCompilable("categorical features are not supported")
    trees = []
    for (predictor,) in model._predictors:
        nodes = predictor.nodes
        leaf = nodes["is_leaf"].astype(bool)
        left = np.where(leaf, -1, nodes["left"].astype(np.int64))
        right = np.where(leaf, -1, nodes["right"].astype(np.int64))
        missing = nodes["missing_go_to_left"]
        trees.append((nodes["feature_idx"], nodes["num_threshold"], left, right, nodes["value"], missing))
    _pack_trees(trees, prefix, arrays)
    arrays[prefix + "baseline"] = np.asarray(model._baseline_prediction, dtype=np.float64).ravel()
    arrays[prefix + "float32_input"] = np.asarray([float32_input])


def _compile_forest(forest: Any, prefix: str, arrays: dict[str, np.ndarray]) -> None:
    trees = []
    for estimator in forest.estimators_:
        tree = estimator.tree_
        counts = tree.value[:, 0, :]
        total = counts.sum(axis=1)
        total[total == 0.0] = 1.0
        proba = counts[:, 1] / total
        missing = np.zeros(tree.node_count, dtype=bool)
        if hasattr(tree, "missing_go_to_left"):
            missing = np.asarray(tree.missing_go_to_left, dtype=bool)
        trees.append((tree.feature, tree.threshold, tree.children_left, tree.children_right, proba, missing))
    _pack_trees(trees, prefix, arrays)


def save_compiled(spec: dict[str, Any], arrays: dict[str, np.ndarray], path: Path) -> str:
    """Write ``path`` (.npz: the arrays plus the spec as UTF-8 JSON bytes); return its sha256."""
    payload = dict(arrays)
    payload["spec"] = np.frombuffer(json.dumps(spec, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, allow_pickle=False, **payload)
    data = buffer.getvalue()
    Path(path).write_bytes(data)
    return hashlib.sha256(data).hexdigest()
