"""The evaluation helpers that need no fitted model."""

from pathlib import Path

import numpy as np


def test_highest_benign_lists_flagged_then_nearest_benign_only() -> None:
    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.evaluate import highest_benign

    def sample(name: str, label: int, source: str) -> Sample:
        return Sample(label, Path(name), name, name, "1.0", "2026-01-01", source)

    samples = [
        sample("m", 1, "malicious"),
        sample("a", 0, "benign-top"),
        sample("b", 0, "benign_recent-x"),
        sample("c", 0, "benign_popular-y"),
        sample("d", 0, "benign-tail"),
    ]
    y = np.array([1, 0, 0, 0, 0])
    scores = np.array([0.99, 0.2, 0.95, 0.6, 0.1])
    rows = highest_benign(samples, y, scores, scores >= 0.9, limit=2)
    assert [(r["name"], r["list"], r["flagged"]) for r in rows] == [
        ("b", "benign_recent", True),
        ("c", "benign_popular", False),
        ("a", "benign", False),
    ]
    assert rows[0]["score"] == 0.95
