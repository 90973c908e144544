"""Save trained models: skops (never pickle), the compiled array form beside it, and the JSON manifest
that :mod:`vetpy.model.store` and :mod:`vetpy.model.compiled` check before loading."""

from __future__ import annotations

import hashlib
import platform
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from vetpy.features.registry import schema_hash
from vetpy.lab.compile import NotCompilable, compile_model, save_compiled
from vetpy.model.compiled import compiled_path
from vetpy.model.manifest import Manifest
from vetpy.model.store import load_model


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


def environment() -> dict[str, str]:
    return {"python": platform.python_version(), "sklearn": sklearn.__version__, "numpy": np.__version__}
