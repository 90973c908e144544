"""Save and load trained models safely: skops (never pickle) plus a JSON manifest that is checked first.

A model file is ``NAME.skops`` beside ``NAME.json``. Loading refuses, with a clear message, a model whose
feature schema or scikit-learn version differs from this install, or whose file holds any type outside an
allow-list (scikit-learn, NumPy, SciPy and vetpy's own model classes): skops then never constructs it.
"""

from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS, schema_hash
from vetpy.model.interface import Contribution

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "vetpy.model.", "builtins.", "collections.")
TEXT_PSEUDO_FEATURES = {"code_text": "text.code_tokens", "suspicious_text": "text.suspicious_lines"}


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass(frozen=True)
class Manifest:
    """What a saved model promises: the schema it reads, the versions it was built with, its threshold."""

    kind: str
    schema_hash: str
    sklearn_version: str
    threshold: float
    training_data_id: str
    metrics: dict[str, Any]
    model_sha256: str
    created: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


def save_model(
    model: Any,
    path: Path,
    *,
    kind: str,
    threshold: float,
    training_data_id: str,
    metrics: dict[str, Any],
    created: str,
) -> Manifest:
    import skops.io as sio

    path = Path(path).with_suffix(".skops")
    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    manifest = Manifest(
        kind=kind,
        schema_hash=schema_hash(),
        sklearn_version=sklearn.__version__,
        threshold=float(threshold),
        training_data_id=training_data_id,
        metrics=metrics,
        model_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        created=created,
    )
    path.with_suffix(".json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


def read_manifest(path: Path) -> Manifest:
    manifest_path = Path(path).with_suffix(".json")
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except FileNotFoundError as exc:
        raise ModelError(f"{manifest_path}: model manifest not found") from exc
    except (ValueError, TypeError) as exc:
        raise ModelError(f"{manifest_path}: unreadable model manifest ({exc})") from exc


def load_model(path: Path) -> tuple[Any, Manifest]:
    """Check the manifest, the file's digest and the types it holds; only then construct the model."""
    import skops.io as sio

    path = Path(path).with_suffix(".skops")
    manifest = read_manifest(path)
    if manifest.schema_hash != schema_hash():
        raise ModelError(
            f"{path.name}: built for feature schema {manifest.schema_hash}, this vetpy has {schema_hash()};"
            " retrain it with `vetpy train`"
        )
    if _minor(manifest.sklearn_version) != _minor(sklearn.__version__):
        raise ModelError(
            f"{path.name}: built with scikit-learn {manifest.sklearn_version}, this install has"
            f" {sklearn.__version__}; install scikit-learn=={_minor(manifest.sklearn_version)}.* or retrain"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read model file ({exc.strerror})") from exc
    if hashlib.sha256(data).hexdigest() != manifest.model_sha256:
        raise ModelError(f"{path.name}: model file does not match its manifest's sha256")
    untrusted = sio.get_untrusted_types(data=data)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{path.name}: refusing to load unexpected types: {', '.join(sorted(refused)[:5])}")
    model = sio.loads(data, trusted=untrusted)
    return model, manifest


class TrainedScorer:
    """A Scorer over a trained scikit-learn model; explanations by occlusion of the features that fired."""

    def __init__(self, model: Any, manifest: Manifest, threshold: float | None = None) -> None:
        _single_threaded(model)
        self.model = model
        self.manifest = manifest
        self.name = manifest.kind
        self.threshold = float(manifest.threshold if threshold is None else threshold)

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        if not packages:
            return []
        return [float(p) for p in np.asarray(self.model.predict_proba(list(packages)))[:, 1]]

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        fired = [f for f in FEATURE_IDS if package.values.get(f, 0.0)]
        variants: list[PackageFeatures] = [package]
        labels: list[str] = []
        for feature in fired:
            values = dict(package.values)
            values[feature] = 0.0
            variants.append(_replace(package, values=values))
            labels.append(feature)
        for field, label in TEXT_PSEUDO_FEATURES.items():
            if getattr(package, field):
                variants.append(_replace(package, **{field: ""}))
                labels.append(label)
        scores = self.score(variants)
        base = scores[0]
        contributions = [Contribution(label, base - s) for label, s in zip(labels, scores[1:], strict=True)]
        contributions = [c for c in contributions if c.weight > 1e-4]
        contributions.sort(key=lambda c: c.weight, reverse=True)
        return contributions[:top]


def _single_threaded(model: Any) -> None:
    """Scoring one package at a time gains nothing from joblib threads (and batch workers are processes
    already): set every ``n_jobs`` in the fitted model to 1 and limit OpenMP/BLAS pools to one thread
    (several batch workers each spinning a thread per core oversubscribe the machine badly)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if hasattr(model, "get_params"):
        params = {key: 1 for key in model.get_params(deep=True) if key.split("__")[-1] == "n_jobs"}
        if params:
            model.set_params(**params)
    stack = getattr(model, "named_steps", {}).get("stack")
    for estimator in getattr(stack, "estimators_", []):
        if hasattr(estimator, "n_jobs"):
            estimator.n_jobs = 1


def _replace(package: PackageFeatures, **changes: Any) -> PackageFeatures:
    from dataclasses import replace

    return replace(package, **changes)


def bundled_model_path(kind: str = "default") -> Path:
    return Path(str(resources.files("vetpy") / "models" / f"{kind}.skops"))


def load_scorer(path: Path, threshold: float | None = None) -> TrainedScorer:
    model, manifest = load_model(path)
    return TrainedScorer(model, manifest, threshold)


def load_default_scorer(threshold: float | None = None) -> TrainedScorer:
    """The model shipped inside the package (raises ModelError when none is bundled)."""
    path = bundled_model_path()
    if not path.is_file():
        raise ModelError("no trained model is bundled with this install")
    return load_scorer(path, threshold)


def environment() -> dict[str, str]:
    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__}
