"""Which scorer a saved model becomes: its compiled array form when it has one (NumPy only, fast to load),
else the skops model through scikit-learn."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from vetpy.errors import ModelError
from vetpy.model.compiled import compiled_path, load_compiled_scorer
from vetpy.model.interface import Scorer
from vetpy.model.manifest import read_manifest


def bundled_model_path(kind: str = "default") -> Path:
    return Path(str(resources.files("vetpy") / "models" / f"{kind}.skops"))


def load_scorer(path: Path, threshold: float | None = None) -> Scorer:
    """The model saved at ``path`` (``NAME.skops``, ``NAME.npz`` or ``NAME.json``: they share a manifest)."""
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
    path = bundled_model_path()
    if not path.with_suffix(".json").is_file():
        raise ModelError("no trained model is bundled with this install")
    return load_scorer(path, threshold)
