"""``vetpy features`` and docs/FEATURES.md generated from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vetpy.cli.main import main
from vetpy.features.catalogue import CatalogueFormat, render
from vetpy.features.registry import FEATURE_IDS, schema_hash

FEATURES_MD = Path(__file__).resolve().parents[2] / "docs" / "FEATURES.md"


def test_features_md_is_generated_from_the_registry() -> None:
    assert FEATURES_MD.read_text(encoding="utf-8") == render(CatalogueFormat.MARKDOWN), (
        "docs/FEATURES.md is stale: run `vetpy features --format markdown > docs/FEATURES.md`"
    )


def test_features_json_lists_every_feature_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema_hash"] == schema_hash()
    assert [f["id"] for f in doc["features"]] == list(FEATURE_IDS)
    assert all(
        f["kind"] in ("flag", "log_count", "max", "score") and f["description"] for f in doc["features"]
    )


def test_features_text_has_one_line_per_feature(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(FEATURE_IDS)
    assert main(["features", "--format", "yaml"]) == 2
