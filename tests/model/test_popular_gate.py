"""The false-positive regression gate: the bundled model flags none of a fixed list of popular releases
at several versions (every requests release 2.20.0 .. 2.32.5, and others people pin everywhere).

The archives are fetched into the cache by a command (``vetpy dataset fetch --list
tests/data/popular_gate.csv``; ``.ci/run`` does it before pytest) and checked by sha256 there; releases not
in the cache are skipped, so the gate runs wherever the files could be fetched and is silent offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from vetpy.acquire.archive import open_archive
from vetpy.features.extract import extract_features
from vetpy.lab.dataset.benign import BenignRelease, archive_path, is_cached, read_benign_csv
from vetpy.model.interface import Scorer
from vetpy.model.loader import load_default_scorer

GATE_LIST = Path(__file__).resolve().parents[1] / "data" / "popular_gate.csv"
RELEASES = read_benign_csv(GATE_LIST)


def test_the_gate_list_covers_requests_and_others() -> None:
    names = {r.name.lower() for r in RELEASES}
    versions = {r.version for r in RELEASES if r.name.lower() == "requests"}
    assert {"2.20.0", "2.28.1", "2.31.0", "2.32.3", "2.32.5"} <= versions
    assert len(names) >= 20
    assert all(len(r.sha256) == 64 for r in RELEASES)


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return load_default_scorer()


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"{r.name}-{r.version}")
def test_bundled_model_does_not_flag_popular_release(release: BenignRelease, scorer: Scorer) -> None:
    if not is_cached(release, verify=True):
        pytest.skip("not fetched: vetpy dataset fetch --list tests/data/popular_gate.csv")
    path = archive_path(release)
    features = extract_features(open_archive(path.read_bytes(), target=str(path), filename=path.name))
    score = scorer.score([features])[0]
    assert score < scorer.threshold, f"{release.name} {release.version} flagged ({score:.3f})"
