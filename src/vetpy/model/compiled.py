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

import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.model.interface import Contribution
from vetpy.model.manifest import Manifest, check_schema, read_manifest, read_verified
from vetpy.model.occlusion import TEXT_PSEUDO_FEATURES, SavedModelScorer, occluded, ranked

FORMAT = 1


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
        self._tables: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]] = {}
        self._spans: dict[str, tuple[int, int]] = {}

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
        # ``\S+`` finds what ``str.split()`` gives (both take Py_UNICODE_ISSPACE for whitespace), in C
        split = pattern.pattern == r"\S+" and pattern.flags == re.UNICODE
        tokens = text.split() if split else pattern.findall(text)
        return sorted(map(vocabulary.__getitem__, vocabulary.keys() & set(tokens)))

    def occlusion_matrix(self, package: PackageFeatures, labels: Sequence[str]) -> np.ndarray:
        """The matrix of :func:`~vetpy.model.occlusion.scored_occlusion`'s batch, made from the package's
        own row: row 0 is the package, row ``i`` that row with what ``labels[i - 1]`` names taken away
        (a numeric feature's column zeroed, a text field's bag emptied), which is the row :meth:`matrix`
        makes of that variant (a feature or text the model does not read leaves the row as it is)."""
        columns = self._columns_of()
        x = np.repeat(self.matrix([package]), len(labels) + 1, axis=0)
        for row, label in enumerate(labels, start=1):
            span = columns.get(label)
            if span is not None:
                x[row, span[0] : span[1]] = 0.0
        return x

    def _columns_of(self) -> dict[str, tuple[int, int]]:
        """Each numeric feature's column and each text pseudo-feature's block, as (start, end)."""
        found = self._spans
        if not found:
            start = 0
            for block, width in zip(self.blocks, self.widths, strict=True):
                if block["kind"] == "numeric":
                    found.update({f: (start + j, start + j + 1) for j, f in enumerate(block["ids"])})
                else:
                    label = TEXT_PSEUDO_FEATURES.get(block["field"])
                    if label is not None:  # a text the explanations never take away otherwise
                        found[label] = (start, start + width)
                start += width
        return found

    def predict_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        """Probability of the malicious class, one per package."""
        return self.proba(self.matrix(packages))

    def proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of the malicious class of each row of a :meth:`matrix`."""
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
        """The leaf each row reaches in each tree: all rows through all trees, one level per step, until
        every row is at a leaf (a leaf's children are itself, so a step that moves nothing ends it). Each
        step is a few ``take`` calls on :meth:`_doubled` tables, indexed by ``2n + go_left`` for node
        ``n``: the rows' values from the flattened matrix, then the next node's doubled index (node ``n``'s
        right child at ``2n``, its left at ``2n + 1``); the missing-value branch is read only when the
        matrix holds a NaN (elsewhere it is false)."""
        feature, threshold, missing, children, roots, depth = self._doubled(prefix)
        rows, width = x.shape
        flat = np.ascontiguousarray(x).ravel()
        at = (np.arange(rows, dtype=np.intp) * width)[:, None] if rows > 1 else None
        nan = bool(np.isnan(flat).any())
        node = np.tile(roots, (rows, 1))
        for _ in range(depth):
            index = feature.take(node)
            if at is not None:
                index += at
            values = flat.take(index)
            go_left = values <= threshold.take(node)
            if nan:
                go_left |= np.isnan(values) & missing.take(node)
            step = children.take(node + go_left)
            if (step == node).all():
                break
            node = step
        return node >> 1

    def _doubled(self, prefix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """The node tables of one forest indexed by twice the node number (each entry twice, so ``2n`` and
        ``2n + go_left`` both read node ``n``'s): feature, threshold, missing-goes-left, and each node's
        right then left child as twice its number; twice the roots; the depth."""
        tables = self._tables.get(prefix)
        if tables is None:
            a = self.arrays
            children = np.stack([a[prefix + "right"], a[prefix + "left"]], axis=1).ravel()
            tables = self._tables[prefix] = (
                np.repeat(a[prefix + "feature"], 2).astype(np.intp),
                np.repeat(a[prefix + "threshold"], 2),
                np.repeat(a[prefix + "missing_left"], 2),
                (2 * children).astype(np.intp),
                (2 * a[prefix + "roots"]).astype(np.intp),
                int(a[prefix + "depth"][0]),
            )
        return tables


def _expit(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


class CompiledScorer(SavedModelScorer):
    """A Scorer over a compiled model (explanations by occlusion, like the skops-backed scorer)."""

    def __init__(self, model: CompiledModel, manifest: Manifest, threshold: float | None = None) -> None:
        super().__init__(manifest, threshold)
        self.model = model

    def malicious_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        return self.model.predict_proba(packages)

    def scored_explanation(self, package: PackageFeatures, top: int = 5) -> tuple[float, list[Contribution]]:
        """The occlusion batch as a matrix made from the package's own row (no variant packages)."""
        labels = occluded(package)
        scores = [float(p) for p in self.model.proba(self.model.occlusion_matrix(package, labels))]
        return scores[0], ranked(scores[0], labels, scores[1:], top)


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
