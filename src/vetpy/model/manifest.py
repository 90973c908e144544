"""The JSON manifest beside every saved model: what it promises, checked before anything is loaded.

This module imports neither scikit-learn nor skops, so scanning with a compiled model stays light.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vetpy.errors import ModelError


@dataclass(frozen=True)
class Manifest:
    """What a saved model promises: the schema it reads, the versions it was built with, its threshold,
    and the digests of its files (the skops model and, when it could be compiled, its array form)."""

    kind: str
    schema_hash: str
    sklearn_version: str
    threshold: float
    training_data_id: str
    metrics: dict[str, Any]
    model_sha256: str
    created: str
    compiled_sha256: str | None = field(default=None)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2, sort_keys=True)


def read_manifest(path: Path) -> Manifest:
    """The manifest of the model at ``path`` (any suffix: the manifest is ``<stem>.json``)."""
    manifest_path = Path(path).with_suffix(".json")
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest = Manifest(**data)
    except FileNotFoundError as exc:
        raise ModelError(f"{manifest_path}: model manifest not found") from exc
    except (ValueError, TypeError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"{manifest_path}: unreadable model manifest ({exc})") from exc
    problem = manifest_problem(manifest)
    if problem:
        raise ModelError(f"{manifest_path}: invalid model manifest ({problem})")
    return manifest


def manifest_problem(manifest: Manifest) -> str | None:
    """Why a manifest cannot be trusted (a threshold that is not a probability, fields of the wrong
    type), or None."""
    threshold = manifest.threshold
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        return f"threshold {threshold!r} is not a number"
    if not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        return f"threshold {threshold!r} is not between 0 and 1"
    for name in ("kind", "schema_hash", "sklearn_version", "training_data_id", "model_sha256", "created"):
        if not isinstance(getattr(manifest, name), str):
            return f"{name} is not a string"
    if manifest.compiled_sha256 is not None and not isinstance(manifest.compiled_sha256, str):
        return "compiled_sha256 is not a string"
    if not isinstance(manifest.metrics, dict):
        return "metrics is not an object"
    return None


def check_schema(manifest: Manifest, name: str) -> None:
    """Refuse a model built for another feature schema (its columns would mean other things)."""
    from vetpy.features.registry import schema_hash  # the detectors: imported only to load a model

    if manifest.schema_hash != schema_hash():
        raise ModelError(
            f"{name}: built for feature schema {manifest.schema_hash}, this vetpy has {schema_hash()};"
            " retrain it with `vetpy train`"
        )


def read_verified(path: Path, sha256: str, what: str) -> bytes:
    """The bytes of ``path`` (a ``what``, e.g. "model file"), refused unless they hash to ``sha256``."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"{path}: cannot read {what} ({exc.strerror})") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ModelError(f"{path.name}: {what} does not match its manifest's sha256")
    return data
