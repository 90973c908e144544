"""Save and load trained models safely: skops (never pickle) plus a JSON manifest that is checked first.

A model file is ``NAME.skops`` beside ``NAME.json``. Loading refuses, with a clear message, a model whose
feature schema or scikit-learn version differs from this install, or whose file holds any type outside an
allow-list (scikit-learn, NumPy, SciPy and vetpy's own model classes): skops then never constructs it.
"""

from __future__ import annotations

import hashlib
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import schema_hash
from vetpy.model.compiled import NotCompilable, compile_model, compiled_path, save_compiled
from vetpy.model.manifest import Manifest, check_schema, read_manifest, read_verified
from vetpy.model.occlusion import SavedModelScorer

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "vetpy.model.", "builtins.", "collections.")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


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
    compiled_sha256 = write_compiled(model, path)
    manifest = Manifest(
        kind=kind,
        schema_hash=schema_hash(),
        sklearn_version=sklearn.__version__,
        threshold=float(threshold),
        training_data_id=training_data_id,
        metrics=metrics,
        model_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        created=created,
        compiled_sha256=compiled_sha256,
    )
    path.with_suffix(".json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


def write_compiled(model: Any, path: Path) -> str | None:
    """Write the compiled array form beside the skops file when the model can be compiled (else remove a
    stale one); its sha256 or None."""
    target = compiled_path(path)
    try:
        spec, arrays = compile_model(model)
    except NotCompilable:
        target.unlink(missing_ok=True)
        return None
    return save_compiled(spec, arrays, target)


def compile_saved(path: Path) -> Manifest:
    """Add the compiled form to a saved skops model (and its digest to the manifest); nothing else changes."""
    model, manifest = load_model(path)
    path = Path(path).with_suffix(".skops")
    updated = replace(manifest, compiled_sha256=write_compiled(model, path))
    path.with_suffix(".json").write_text(updated.to_json() + "\n", encoding="utf-8")
    return updated


def load_model(path: Path) -> tuple[Any, Manifest]:
    """Check the manifest, the file's digest and the types it holds; only then construct the model."""
    import skops.io as sio

    path = Path(path).with_suffix(".skops")
    manifest = read_manifest(path)
    check_schema(manifest, path.name)
    if _minor(manifest.sklearn_version) != _minor(sklearn.__version__):
        raise ModelError(
            f"{path.name}: built with scikit-learn {manifest.sklearn_version}, this install has"
            f" {sklearn.__version__}; install scikit-learn=={_minor(manifest.sklearn_version)}.* or retrain"
        )
    data = read_verified(path, manifest.model_sha256, "model file")
    untrusted = sio.get_untrusted_types(data=data)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ModelError(f"{path.name}: refusing to load unexpected types: {', '.join(sorted(refused)[:5])}")
    model = sio.loads(data, trusted=untrusted)
    return model, manifest


class TrainedScorer(SavedModelScorer):
    """A Scorer over a trained scikit-learn model (explanations by occlusion of the features that fired)."""

    def __init__(self, model: Any, manifest: Manifest, threshold: float | None = None) -> None:
        super().__init__(manifest, threshold)
        _single_threaded(model)
        self.model = model

    def malicious_proba(self, packages: Sequence[PackageFeatures]) -> np.ndarray:
        return np.asarray(self.model.predict_proba(list(packages)))[:, 1]


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


def load_scorer(path: Path, threshold: float | None = None) -> TrainedScorer:
    """The skops model at ``path`` through scikit-learn (``vetpy.model.loader`` prefers the compiled form)."""
    model, manifest = load_model(path)
    return TrainedScorer(model, manifest, threshold)


def environment() -> dict[str, str]:
    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__}
