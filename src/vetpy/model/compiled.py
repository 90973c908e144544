"""A trained stack compiled to plain arrays, so scanning needs NumPy only.

Scanning only ever calls ``predict_proba`` of a fitted pipeline of a few known parts: numeric columns, binary
bags of tokens, then gradient-boosted trees, a scaled logistic regression and a random forest stacked by a
logistic regression. Rebuilding that from skops means importing scikit-learn and SciPy and constructing
thousands of estimator objects (about 2 s before the first scan), and scikit-learn's per-call validation and
per-tree dispatch cost more than the arithmetic on one package. So ``vetpy train`` also writes the fitted
numbers (tree nodes, coefficients, vocabularies) to ``NAME.npz``: NumPy arrays plus one JSON document,
read with ``allow_pickle=False`` (no code can ride along). Scores equal scikit-learn's to rounding (the
tests compare both on the same packages); pipelines with other parts are not compiled and keep using skops.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.model.manifest import Manifest, check_schema, read_manifest, read_verified
from vetpy.model.occlusion import SavedModelScorer

FORMAT = 1


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


# ---------------------------------------------------------------------------------------------- scoring
class CompiledModel:
    """``predict_proba`` of a compiled stack, on PackageFeatures, with NumPy only."""

    def __init__(self, spec: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if spec.get("format") != FORMAT:
            raise ModelError(f"compiled model format {spec.get('format')!r} is not {FORMAT}")
        self.spec = spec
        self.arrays = arrays
        self.blocks = spec["blocks"]
        self.patterns = [re.compile(b["token_pattern"]) if b["kind"] == "text" else None for b in self.blocks]
        self.widths = [len(b["ids"]) if b["kind"] == "numeric" else len(b["vocabulary"]) for b in self.blocks]

    @classmethod
    def from_bytes(cls, data: bytes) -> CompiledModel:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
            spec = json.loads(arrays.pop("spec").tobytes().decode("utf-8"))
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"unreadable compiled model ({exc})") from exc
        return cls(spec, arrays)

    def matrix(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        """The feature union's output, dense float64 (numeric columns, then each bag of tokens)."""
        x = np.zeros((len(packages), sum(self.widths)), dtype=np.float64)
        start = 0
        for block, pattern, width in zip(self.blocks, self.patterns, self.widths, strict=True):
            if block["kind"] == "numeric":
                for row, package in enumerate(packages):
                    x[row, start : start + width] = [float(package.values.get(i, 0.0)) for i in block["ids"]]
            else:
                assert pattern is not None
                seen: dict[str, list[int]] = {}  # explanations score many rows sharing one text
                for row, package in enumerate(packages):
                    text = str(getattr(package, block["field"]))
                    if text not in seen:
                        seen[text] = self._columns(block, pattern, text)
                    if seen[text]:
                        x[row, [start + c for c in seen[text]]] = 1.0
            start += width
        return x

    @staticmethod
    def _columns(block: dict[str, Any], pattern: re.Pattern[str], text: str) -> list[int]:
        """The vocabulary columns of the tokens in ``text``, as the fitted CountVectorizer finds them."""
        drop = tuple(block["drop_prefixes"])
        if drop:
            text = " ".join(t for t in text.split() if not t.startswith(drop))
        if block["lowercase"]:
            text = text.lower()
        vocabulary = block["vocabulary"]
        return sorted({vocabulary[t] for t in pattern.findall(text) if t in vocabulary})

    def predict_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        """Probability of the malicious class, one per package."""
        x = self.matrix(packages)
        meta = np.column_stack([self._base(b["kind"], b["prefix"], x) for b in self.spec["base"]])
        decision = meta @ self.arrays["meta_coef"] + self.arrays["meta_intercept"][0]
        return _expit(decision)

    def _base(self, kind: str, prefix: str, x: np.ndarray) -> np.ndarray:
        a = self.arrays
        if kind == "lr":
            scaled = x * (1.0 / a[prefix + "scale"])
            return _expit(scaled @ a[prefix + "coef"] + a[prefix + "intercept"][0])
        if kind == "hgb":
            xs = x.astype(np.float32).astype(np.float64) if bool(a[prefix + "float32_input"][0]) else x
            leaves = self._walk(prefix, xs)
            baseline = np.broadcast_to(a[prefix + "baseline"], (x.shape[0], 1))
            raw = np.concatenate([baseline, a[prefix + "value"][leaves]], axis=1)
            return _expit(np.cumsum(raw, axis=1)[:, -1])  # in tree order, as scikit-learn adds them
        if kind == "rf":
            leaves = self._walk(prefix, x.astype(np.float32))
            total = np.cumsum(a[prefix + "value"][leaves], axis=1)[:, -1]
            return np.asarray(total / leaves.shape[1])
        raise ModelError(f"unknown base model kind {kind!r} in compiled model")

    def _walk(self, prefix: str, x: np.ndarray) -> np.ndarray:
        """The leaf each row reaches in each tree: all rows through all trees, one level per step."""
        a = self.arrays
        feature, threshold = a[prefix + "feature"], a[prefix + "threshold"]
        left, right, missing = a[prefix + "left"], a[prefix + "right"], a[prefix + "missing_left"]
        rows = np.arange(x.shape[0])[:, None]
        node = np.broadcast_to(a[prefix + "roots"], (x.shape[0], a[prefix + "roots"].size)).copy()
        for _ in range(int(a[prefix + "depth"][0])):
            values = x[rows, feature[node]]
            go_left = values <= threshold[node]
            go_left |= np.isnan(values) & missing[node]
            node = np.where(go_left, left[node], right[node])
        return node


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


class CompiledScorer(SavedModelScorer):
    """A Scorer over a compiled model (explanations by occlusion, like the skops-backed scorer)."""

    def __init__(self, model: CompiledModel, manifest: Manifest, threshold: float | None = None) -> None:
        super().__init__(manifest, threshold)
        self.model = model

    def malicious_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        return self.model.predict_proba(packages)


def compiled_path(path: Path) -> Path:
    return Path(path).with_suffix(".npz")


def load_compiled_scorer(path: Path, threshold: float | None = None) -> CompiledScorer:
    """The compiled form of the model at ``path``, checked against its manifest (schema, sha256)."""
    manifest = read_manifest(path)
    target = compiled_path(path)
    check_schema(manifest, target.name)
    if not manifest.compiled_sha256:
        raise ModelError(f"{target.name}: the manifest lists no compiled model")
    data = read_verified(target, manifest.compiled_sha256, "compiled model")
    return CompiledScorer(CompiledModel.from_bytes(data), manifest, threshold)
