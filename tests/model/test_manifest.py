"""The model manifest is validated before anything is loaded: a threshold outside [0, 1] is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vetpy.errors import ModelError
from vetpy.model.manifest import read_manifest

GOOD = {
    "kind": "default", "schema_hash": "x", "sklearn_version": "1", "threshold": 0.5, "training_data_id": "t",
    "metrics": {}, "model_sha256": "0" * 64, "created": "now",
}  # fmt: skip


@pytest.mark.parametrize("threshold", ["NaN", "Infinity", "2.0", "-0.1", '"0.5"', "true", "null"])
def test_bad_thresholds_refused(tmp_path: Path, threshold: str) -> None:
    text = json.dumps(GOOD).replace('"threshold": 0.5', f'"threshold": {threshold}')
    (tmp_path / "m.json").write_text(text)
    with pytest.raises(ModelError, match=r"invalid model manifest|unreadable"):
        read_manifest(tmp_path / "m.skops")


def test_good_manifest_reads(tmp_path: Path) -> None:
    (tmp_path / "m.json").write_text(json.dumps(GOOD))
    assert read_manifest(tmp_path / "m.skops").threshold == 0.5
    (tmp_path / "m.json").write_text(json.dumps(GOOD | {"kind": 3}))
    with pytest.raises(ModelError, match="kind is not a string"):
        read_manifest(tmp_path / "m.skops")
