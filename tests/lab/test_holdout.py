"""The family (campaign) hold-out and the payload-location hold-out: what each fold trains and tests on,
and the per-benign-list report."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from holdoutcorpus import LOCATIONS, corpus
from vetpy.lab import holdout
from vetpy.lab.evaluate import EvalData


class FakeModel:
    threshold = 0.5


def fake_fit(calls: list[tuple[np.ndarray, np.ndarray]]) -> Any:
    def fit_predict(kind: str, data: EvalData, tr: np.ndarray, te: np.ndarray, rs: int = 0) -> Any:
        calls.append((tr, te))
        return FakeModel(), data.y[te] * 0.9 + 0.05

    return fit_predict


def test_family_holdout_never_splits_a_campaign(monkeypatch: pytest.MonkeyPatch) -> None:
    data = corpus()
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    monkeypatch.setattr(holdout, "fit_predict", fake_fit(calls))
    monkeypatch.setattr(holdout, "model_threshold", lambda m: 0.5)
    result = holdout.family_holdout("default", data, folds=3)
    groups = holdout.campaign_groups(data)
    assert len(set(groups[data.y == 1].tolist())) == 12  # one campaign per collector host
    for tr, te in calls:
        assert not set(groups[tr].tolist()) & set(groups[te].tolist())
    assert sorted(np.concatenate([te for _, te in calls]).tolist()) == list(range(len(data.y)))
    assert result["own_threshold_recall"] == 1.0 and result["own_threshold_fp"] == 0
    assert set(result["benign_sets"]) == {"benign", "benign_recent", "benign_popular"}
    assert result["campaigns"] == 12
    view = result["by_campaign"]
    assert len(view["largest"]) == 10 and view["campaign_mean_recall"] == 1.0
    assert view["without_largest"]["n_malicious"] == 60 - view["largest"][0]["size"]
    text = "\n".join(holdout.family_markdown("default", result))
    assert "| pooled | 60 |" in text and "benign_popular 0/20" in text


def test_campaign_view_weighs_each_campaign_once() -> None:
    """A big campaign missed and two small ones caught: pooled recall follows the big one, the mean over
    campaigns does not, and leaving the largest out keeps every benign row."""
    groups = np.array(["big"] * 8 + ["a", "b"] + ["project:x", "project:y"])
    y = np.array([1] * 10 + [0, 0])
    scores = np.array([0.2] * 8 + [0.9, 0.9] + [0.1, 0.3])
    fold_of = np.array([0] * 8 + [1, 2] + [0, 1])
    view = holdout.campaign_view(groups, y, scores, scores >= 0.5, fold_of)
    assert view["largest"][0] == {"size": 8, "fold": 1, "recall": 0.0}
    assert view["campaign_mean_recall"] == pytest.approx(2 / 3)
    rest = view["without_largest"]
    assert rest["n_malicious"] == 2 and rest["own_threshold_recall"] == 1.0
    assert rest["recall_at_fpr_0.1%"] == 1.0


def test_location_holdout_trains_on_one_location_and_tests_on_the_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = corpus()
    where = holdout.payload_location(data)
    assert set(where[data.y == 1].tolist()) == set(LOCATIONS)
    assert set(where[data.y == 0].tolist()) == {"none"}
    calls: list[tuple[np.ndarray, np.ndarray]] = []
    monkeypatch.setattr(holdout, "fit_predict", fake_fit(calls))
    monkeypatch.setattr(holdout, "model_threshold", lambda m: 0.5)
    result = holdout.location_holdout("default", data)
    (tr1, te1), (tr2, te2) = calls
    assert set(where[tr1][data.y[tr1] == 1].tolist()) == {"install", "import"}
    assert set(where[te1][data.y[te1] == 1].tolist()) == {"call"}
    assert set(where[tr2][data.y[tr2] == 1].tolist()) == {"call"}
    assert set(where[te2][data.y[te2] == 1].tolist()) == {"install", "import"}
    for tr, te in calls:  # no benign project on both sides
        assert not {data.samples[i].name for i in tr} & {data.samples[i].name for i in te}
    assert result["malware_by_location"] == {"install": 20, "import": 20, "call": 20}
    text = "\n".join(holdout.location_markdown("default", result))
    assert "| install/import -> call time | 20 |" in text and "| call time -> install/import | 40 |" in text
    assert result["runs_itself_to_call_time"]["scan_path"]["benign_with_findings"] == 0


def test_location_holdout_reports_the_scan_path_with_findings_from_the_features(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from vetpy.features.source.custody import CUSTODY_TOKEN

    data = corpus()
    marked = [
        replace(f, code_text=f.code_text + " " + CUSTODY_TOKEN) if y == 0 else f
        for f, y in zip(data.features, data.y, strict=True)
    ]
    data = replace(data, features=marked)
    monkeypatch.setattr(holdout, "fit_predict", fake_fit([]))
    monkeypatch.setattr(holdout, "model_threshold", lambda m: 0.5)
    first = holdout.location_holdout("default", data)["runs_itself_to_call_time"]
    assert first["own_threshold_fp"] == 0  # the model flags no benign row
    assert first["scan_path"]["fp"] == first["scan_path"]["benign_with_findings"] == first["n_benign"] > 0
    text = "\n".join(
        holdout.location_markdown("default", {"malware_by_location": {}, "runs_itself_to_call_time": first})
    )
    assert f"FP {first['n_benign']}" in text and "scan path" in text


def test_benign_sets_counts_each_list_apart() -> None:
    sources = np.array(["malicious", "benign-top", "benign-tail", "benign_recent-recent-2026"])
    y = np.array([1, 0, 0, 0])
    scores = np.array([0.9, 0.95, 0.1, 0.2])
    report = holdout.benign_sets(sources, y, scores, scores >= 0.5)
    assert report["benign"] == {"n": 2, "fp": 1, "fpr": 0.5, "recall_at_fpr_0.1%": 0.0}
    assert report["benign_recent"]["fp"] == 0 and report["benign_recent"]["recall_at_fpr_0.1%"] == 1.0


def test_location_holdout_runs_a_real_model() -> None:
    result = holdout.location_holdout("default", corpus(90))
    first = result["runs_itself_to_call_time"]
    assert first["n_malicious"] == 15 and 0.0 <= first["malicious_recall"] <= 1.0


def test_behaviours_in_setup_py_without_an_active_call_are_install_time() -> None:
    """A setup.py whose behaviours are all passive (it writes files, edits shortcuts) still runs them on
    install: such malware belongs to the install side, not to the call-time test set."""
    data = corpus()
    rows = np.flatnonzero(data.y == 1)
    called = [i for i in rows if holdout.payload_location(data)[i] == "call"]
    i = called[0]
    values = dict(data.features[i].values)
    values["install.running_file_behaviours"] = 1.0
    data.features[i] = replace(data.features[i], values=values)
    where = holdout.payload_location(data)
    assert where[i] == "install"
    assert where[called[1]] == "call"
