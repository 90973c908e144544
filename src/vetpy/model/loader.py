"""Which scorer a saved model becomes: its compiled array form when it has one (NumPy only, fast to load),
else the skops model through scikit-learn; and the bundled model, read on its first score."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.model.interface import Contribution, Scorer
from vetpy.model.manifest import read_manifest


def bundled_model_path(kind: str = "default") -> Path:
    return Path(str(resources.files("vetpy") / "models" / f"{kind}.skops"))


def load_scorer(path: Path, threshold: float | None = None) -> Scorer:
    """The model saved at ``path`` (``NAME.skops``, ``NAME.npz`` or ``NAME.json``: they share a manifest)."""
    from vetpy.model.compiled import compiled_path, load_compiled_scorer

    path = Path(path)
    if compiled_path(path).is_file() and read_manifest(path).compiled_sha256:
        return load_compiled_scorer(path, threshold)
    try:
        from vetpy.model.store import load_scorer as load_skops
    except ImportError as exc:  # pragma: no cover - scikit-learn is a dependency
        raise ModelError(f"{path.name}: loading skops models needs scikit-learn ({exc})") from exc
    return load_skops(path.with_suffix(".skops"), threshold)


def load_default_scorer(threshold: float | None = None) -> Scorer:
    """The model shipped inside the package (raises ModelError when none is bundled)."""
    return deferred_default_scorer(threshold).loaded()


def deferred_default_scorer(threshold: float | None = None) -> DeferredScorer:
    """The model shipped inside the package, read on its first score (ModelError when none is bundled)."""
    path = bundled_model_path()
    if not path.with_suffix(".json").is_file():
        raise ModelError("no trained model is bundled with this install")
    return DeferredScorer(path, threshold)


class DeferredScorer:
    """A saved model whose manifest is read now and whose arrays on the first score.

    The manifest gives the name, the threshold and the file digests: all that a result from the cache
    needs (its key holds the digests and a fingerprint of vetpy's code, so a hit means this model was
    read and checked by an earlier scan). The model itself (NumPy, the schema check, the digest check of
    its file) is loaded when a package is scored; a model that fails then fails that package's scan with
    its one-line reason.
    """

    def __init__(self, path: Path, threshold: float | None = None) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        self.name = self.manifest.kind
        self.threshold = float(self.manifest.threshold if threshold is None else threshold)
        self._asked = threshold
        self._scorer: Scorer | None = None

    def loaded(self) -> Scorer:
        """The model itself (loaded once)."""
        if self._scorer is None:
            self._scorer = load_scorer(self.path, self._asked)
        return self._scorer

    def score(self, packages: Sequence[PackageFeatures]) -> list[float]:
        return self.loaded().score(packages)

    def explain(self, package: PackageFeatures, top: int = 5) -> list[Contribution]:
        return self.loaded().explain(package, top)
