"""The compiled (NumPy-only) form of a trained stack gives scikit-learn's scores, loads safely and keeps
scanning free of scikit-learn."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lab.test_model import synthetic
from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.lab import pipelines
from vetpy.lab.compile import NotCompilable, compile_model
from vetpy.lab.store import save_model
from vetpy.model.compiled import CompiledModel, CompiledScorer
from vetpy.model.loader import bundled_model_path, load_scorer
from vetpy.model.store import TrainedScorer, load_model

REPO = Path(__file__).resolve().parents[2]


def jittered(feats: list[PackageFeatures], seed: int) -> list[PackageFeatures]:
    """Rows with fractional, shuffled feature values and mixed texts, to reach many tree branches."""
    rng = np.random.default_rng(seed)
    out = []
    for i, package in enumerate(feats):
        values = {f: float(rng.choice([0.0, 0.0, 1.0, rng.uniform(0, 5)])) for f in FEATURE_IDS}
        other = feats[(i * 7) % len(feats)]
        out.append(replace(package, values=values, code_text=other.code_text + " " + package.code_text))
    return out


@pytest.fixture(scope="module")
def fitted() -> tuple[object, list[PackageFeatures]]:
    feats, y = synthetic(200, seed=3)
    noisy = jittered(feats, 1)
    model = pipelines.build("default").fit(feats + noisy, np.concatenate([y, y]))
    return model, feats + noisy + jittered(feats, 2)


def test_compiled_scores_equal_scikit_learn(fitted: tuple[object, list[PackageFeatures]]) -> None:
    model, rows = fitted
    compiled = CompiledModel(*compile_model(model))
    expected = np.asarray(model.predict_proba(rows))[:, 1]  # type: ignore[attr-defined]
    got = compiled.predict_proba(rows)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)
    assert 0.0 < got.min() < 0.5 < got.max() < 1.0


def test_save_writes_compiled_form_and_loader_prefers_it(
    fitted: tuple[object, list[PackageFeatures]], tmp_path: Path
) -> None:
    model, rows = fitted
    path = tmp_path / "m.skops"
    manifest = save_model(
        model, path, kind="default", threshold=0.7, training_data_id="t", metrics={}, created="n"
    )
    assert manifest.compiled_sha256 and path.with_suffix(".npz").is_file()
    fast = load_scorer(path)
    slow, _ = load_model(path)
    assert isinstance(fast, CompiledScorer) and fast.threshold == 0.7
    reference = TrainedScorer(slow, manifest)
    np.testing.assert_allclose(fast.score(rows[:20]), reference.score(rows[:20]), atol=1e-12)
    assert [c.feature for c in fast.explain(rows[0])] == [c.feature for c in reference.explain(rows[0])]


def test_tampered_compiled_file_is_refused(
    fitted: tuple[object, list[PackageFeatures]], tmp_path: Path
) -> None:
    model, _ = fitted
    path = tmp_path / "m.skops"
    save_model(model, path, kind="default", threshold=0.5, training_data_id="t", metrics={}, created="n")
    compiled = path.with_suffix(".npz")
    compiled.write_bytes(compiled.read_bytes() + b"x")
    with pytest.raises(ModelError, match="sha256"):
        load_scorer(path)


def test_pickled_arrays_are_refused() -> None:
    buffer = io.BytesIO()
    np.savez(buffer, spec=np.frombuffer(b"{}", dtype=np.uint8), evil=np.array([object()], dtype=object))
    with pytest.raises(ModelError, match="unreadable compiled model"):
        CompiledModel.from_bytes(buffer.getvalue())


def test_models_with_other_parts_keep_skops(tmp_path: Path) -> None:
    feats, y = synthetic(80)
    model = pipelines.build("seed").fit(feats, y)
    with pytest.raises(NotCompilable):
        compile_model(model)
    path = tmp_path / "seed.skops"
    manifest = save_model(
        model, path, kind="seed", threshold=0.5, training_data_id="t", metrics={}, created="n"
    )
    assert manifest.compiled_sha256 is None and not path.with_suffix(".npz").exists()
    assert isinstance(load_scorer(path), TrainedScorer)


def test_bundled_model_is_compiled_and_matches_its_skops_file() -> None:
    path = bundled_model_path()
    if not path.with_suffix(".json").is_file():
        pytest.skip("no model bundled")
    fast = load_scorer(path)
    assert isinstance(fast, CompiledScorer)
    model, _ = load_model(path)
    rows = jittered(synthetic(60, seed=5)[0], 3)
    expected = np.asarray(model.predict_proba(rows))[:, 1]
    np.testing.assert_allclose(fast.model.predict_proba(rows), expected, rtol=0, atol=1e-12)


def test_scanning_with_the_bundled_model_does_not_import_scikit_learn() -> None:
    if not bundled_model_path().with_suffix(".json").is_file():
        pytest.skip("no model bundled")
    code = (
        "import sys, json; from vetpy.scan import Scanner;"
        f" r = Scanner().scan([{str(REPO / 'examples' / 'hello-0.1.0.tar.gz')!r}])[0];"
        " print(json.dumps([r.verdict.value, r.threshold, sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('sklearn', 'scipy', 'skops'))]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    verdict, threshold, heavy = json.loads(out.stdout)
    assert verdict == "benign" and threshold is not None
    assert heavy == []


def _full_depth_walk(model: CompiledModel, prefix: str, x: np.ndarray) -> np.ndarray:
    """The tree walk without its early stop: every row through every level."""
    a = model.arrays
    rows = np.arange(x.shape[0])[:, None]
    node = np.broadcast_to(a[prefix + "roots"], (x.shape[0], a[prefix + "roots"].size)).copy()
    for _ in range(int(a[prefix + "depth"][0])):
        values = x[rows, a[prefix + "feature"][node]]
        go_left = (values <= a[prefix + "threshold"][node]) | (
            np.isnan(values) & a[prefix + "missing_left"][node]
        )
        node = np.where(go_left, a[prefix + "left"][node], a[prefix + "right"][node])
    return node


def test_the_walk_stops_early_at_the_same_leaves(fitted: tuple[object, list[PackageFeatures]]) -> None:
    """The walk ends when no row moves (every row at a leaf): the leaves of a walk through every level."""
    model, rows = fitted
    models = [CompiledModel(*compile_model(model))]
    if bundled_model_path().with_suffix(".json").is_file():
        bundled = load_scorer(bundled_model_path())
        assert isinstance(bundled, CompiledScorer)
        models.append(bundled.model)
    rng = np.random.default_rng(3)
    for compiled in models:
        x = compiled.matrix(rows)
        noisy = x + (rng.random(x.shape) < 0.1) * rng.normal(scale=5.0, size=x.shape)
        with_nan = x.copy()
        with_nan[::7, 0] = np.nan  # missing values take their own branch
        walked = [b["prefix"] for b in compiled.spec["base"] if b["kind"] in ("hgb", "rf")]
        assert walked
        for prefix in walked:
            for matrix in (with_nan, x, noisy, noisy.astype(np.float32), x[:1]):
                np.testing.assert_array_equal(
                    compiled._walk(prefix, matrix), _full_depth_walk(compiled, prefix, matrix)
                )


def test_columns_of_split_tokens_are_those_of_the_token_pattern() -> None:
    """A ``\\S+`` bag reads its tokens with ``str.split()`` and intersects them with the vocabulary in C:
    the same columns as the fitted pattern's ``findall`` (the old way), for every character."""
    import random
    import re

    every = "".join(chr(c) for c in range(0x110000))
    assert re.findall(r"\S+", "x".join(every)) == "x".join(every).split()
    rng = random.Random(20261202)
    words = ["import:os", "call:exec", "a", "\u00e9", "x\u2028y", "tok\x1cen", "\u3000", "\x85", "z" * 90]
    vocabulary = {w: i for i, w in enumerate(rng.sample(words, 6))}
    spaces = [" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\u200b", ""]
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice(spaces) for _ in range(rng.randint(0, 12)))
        for lowercase, drop in ((False, []), (True, ["call:"])):
            block = {"vocabulary": vocabulary, "lowercase": lowercase, "drop_prefixes": drop}
            got = CompiledModel._columns(block, re.compile(r"\S+"), text)
            if drop:
                text = " ".join(t for t in text.split() if not t.startswith(tuple(drop)))
            low = text.lower() if lowercase else text
            assert got == sorted({vocabulary[t] for t in re.findall(r"\S+", low) if t in vocabulary})
    other = re.compile(r"(?u)\b\w\w+\b")  # any other pattern keeps findall
    block = {"vocabulary": {"ab": 0, "cd": 1}, "lowercase": False, "drop_prefixes": []}
    assert CompiledModel._columns(block, other, "ab-cd a") == [0, 1]


def test_the_occlusion_matrix_scores_the_variant_packages(
    fitted: tuple[object, list[PackageFeatures]],
) -> None:
    """The explanation's batch made from the package's own row (a column or a bag zeroed per variant)
    gives the scores of the variant packages themselves, and the package's own score first."""
    from vetpy.model.manifest import Manifest
    from vetpy.model.occlusion import occluded, scored_occlusion

    model, rows = fitted
    compiled = CompiledModel(*compile_model(model))
    manifest = Manifest("test", "", "", 0.5, "", {}, "", "")
    scorer = CompiledScorer(compiled, manifest)
    checked = 0
    for package in rows[::9]:
        labels = occluded(package)
        assert labels and "text.code_tokens" in labels
        fast = compiled.proba(compiled.occlusion_matrix(package, labels))
        generic_score, generic = scored_occlusion(scorer.score, package, top=100)
        score, contributions = scorer.scored_explanation(package, top=100)
        np.testing.assert_allclose(fast[0], compiled.predict_proba([package])[0], rtol=0, atol=1e-12)
        assert abs(score - generic_score) < 1e-12
        assert [c.feature for c in contributions] == [c.feature for c in generic]
        np.testing.assert_allclose(
            [c.weight for c in contributions], [c.weight for c in generic], rtol=0, atol=1e-12
        )
        checked += bool(contributions)
    assert checked > 5


def test_score_and_explain_asks_other_scorers_twice() -> None:
    """A scorer that is not a saved model (the rule set) gives its score and explanation as before."""
    from vetpy.model.occlusion import score_and_explain
    from vetpy.model.rules import RuleScorer

    package = jittered(synthetic(10, seed=1)[0], 4)[3]
    rules = RuleScorer()
    score, contributions = score_and_explain(rules, package, 5)
    assert score == rules.score([package])[0]
    assert contributions == rules.explain(package, 5)
