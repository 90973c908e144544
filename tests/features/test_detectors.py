"""Every registered detector: a positive and a negative example, evidence when it fires, a rule-weight
decision, and a kind that matches its values."""

from __future__ import annotations

import pytest

from features.cases import CASES
from vetpy.features.extract import extract_features
from vetpy.features.interface import ValueKind
from vetpy.features.registry import BY_ID, FEATURE_IDS
from vetpy.model import rules


def test_every_registered_feature_has_examples() -> None:
    assert sorted(set(FEATURE_IDS) - set(CASES)) == []
    assert sorted(set(CASES) - set(FEATURE_IDS)) == []


def test_every_registered_feature_has_a_rule_weight_decision() -> None:
    weighted, unweighted = set(rules.DEFAULT_WEIGHTS), set(rules.UNWEIGHTED)
    assert weighted.isdisjoint(unweighted)
    assert sorted(set(FEATURE_IDS) - weighted - unweighted) == []
    assert sorted((weighted | unweighted) - set(FEATURE_IDS)) == []


@pytest.mark.parametrize("feature", FEATURE_IDS)
def test_positive_example_fires_with_evidence(feature: str) -> None:
    got = extract_features(CASES[feature].positive())
    value = got.values[feature]
    assert value > 0.0, feature
    if BY_ID[feature].kind is ValueKind.FLAG:
        assert value == 1.0
    if BY_ID[feature].kind in (ValueKind.FLAG, ValueKind.MAX) and feature != "code.max_entropy":
        assert got.evidence_for(feature), f"{feature} fired without evidence"


@pytest.mark.parametrize("feature", FEATURE_IDS)
def test_negative_example_stays_quiet(feature: str) -> None:
    got = extract_features(CASES[feature].negative())
    assert got.values[feature] == 0.0, feature
    assert not got.evidence_for(feature)
