"""Load trained models safely: skops (never pickle) plus a JSON manifest that is checked first (saving is
:mod:`vetpy.lab.store`; scanning normally uses the compiled form and never comes here).

A model file is ``NAME.skops`` beside ``NAME.json``. Loading refuses, with a clear message, a model whose
feature schema or scikit-learn version differs from this install, or whose file holds any type outside an
allow-list (scikit-learn, NumPy, SciPy and vetpy's own model classes): skops then never constructs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.model.manifest import Manifest, check_schema, read_manifest, read_verified
from vetpy.model.occlusion import SavedModelScorer

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "vetpy.model.", "builtins.", "collections.")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def load_model(path: Path) -> tuple[Any, Manifest]:
    """Check the manifest, the file's digest and the types it holds; only then construct the model."""
    try:
        import sklearn
        import skops.io as sio
    except ImportError as exc:
        raise ModelError(
            f"{Path(path).name}: this model has no compiled form; loading it needs the training extra"
            " (pip install 'vetpy[train]')"
        ) from exc

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
