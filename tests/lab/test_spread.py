"""The hold-outs repeated with other fold draws and model seeds: which seeds run, and the spread."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from holdoutcorpus import corpus
from vetpy.lab import holdout, spread
from vetpy.lab.evaluate import EvalData


def test_family_spread_draws_other_folds_and_summarises(monkeypatch: pytest.MonkeyPatch) -> None:
    data = corpus()
    splits: list[tuple[int, frozenset[int]]] = []

    def fit_predict(kind: str, d: EvalData, tr: np.ndarray, te: np.ndarray, rs: int = 0) -> Any:
        splits.append((len(splits), frozenset(te.tolist())))
        # a seed-dependent miss: the first test row of each fold scores low
        scores = d.y[te] * 0.9 + 0.05
        scores[0] = 0.05
        return object(), scores

    monkeypatch.setattr(holdout, "fit_predict", fit_predict)
    monkeypatch.setattr(holdout, "model_threshold", lambda m: 0.5)
    first = holdout.family_holdout("default", data, folds=3)
    assert first["split_seed"] == holdout.FAMILY_SPLIT_SEED
    result = spread.family_spread("default", data, first, repeats=3)
    assert [r["seed"] for r in result["runs"]] == [2, 3, 4]
    draws = [frozenset(te for _, te in splits[i * 5 : i * 5 + 5]) for i in range(3)]
    assert len(set(draws)) > 1  # other seeds drew other folds
    s = result["summary"]["own_threshold_recall"]
    assert s["min"] <= s["median"] <= s["max"] <= 1.0
    assert set(result["summary"]) >= {"own_threshold_fp", "largest_campaign_recall", "campaign_mean_recall"}
    text = "\n".join(spread.spread_markdown("default", "family hold-out", result))
    assert "spread over 3 runs (fold draw (split seed))" in text and "- own_threshold_recall:" in text


def test_location_spread_varies_the_model_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    data = corpus()
    seeds: list[int] = []

    def fit_predict(kind: str, d: EvalData, tr: np.ndarray, te: np.ndarray, rs: int = 0) -> Any:
        seeds.append(rs)
        return object(), np.where(d.y[te] == 1, 0.4 + 0.2 * rs, 0.1)

    monkeypatch.setattr(holdout, "fit_predict", fit_predict)
    monkeypatch.setattr(holdout, "model_threshold", lambda m: 0.5)
    first = holdout.location_holdout("default", data)
    result = spread.location_spread("default", data, first, repeats=2)
    assert seeds == [0, 0, 1, 1]
    for direction in spread.DIRECTIONS:
        s = result[direction]["summary"]["own_threshold_recall"]
        assert (s["min"], s["max"]) == (0.0, 1.0)  # seed 0 misses every malware, seed 1 none
    text = "\n".join(spread.spread_markdown("default", "location hold-out", result))
    assert "location hold-out, runs_itself_to_call_time: spread over 2 runs (model seed)" in text


def test_summarise_is_min_median_max() -> None:
    runs = [{"seed": 1, "x": 0.2}, {"seed": 2, "x": 0.9}, {"seed": 3, "x": 0.5}]
    assert spread.summarise(runs) == {"x": {"min": 0.2, "median": 0.5, "max": 0.9}}
