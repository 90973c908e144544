"""Model pipelines, safe model files and metrics, on small synthetic feature sets (no corpus needed)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from vetpy.errors import ModelError
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS
from vetpy.lab import pipelines
from vetpy.lab.metrics import classification_metrics, recall_at_fpr
from vetpy.lab.store import save_model
from vetpy.model.store import TrainedScorer, load_model, load_scorer


def synthetic(n: int, seed: int = 0) -> tuple[list[PackageFeatures], np.ndarray]:
    """Malicious rows tend to fire install-time/exec/network features and carry payload tokens."""
    rng = np.random.default_rng(seed)
    feats, labels = [], []
    for i in range(n):
        bad = i % 2 == 0
        values = {f: 0.0 for f in FEATURE_IDS}
        values["archive.log_files"] = float(rng.uniform(1, 4))
        if bad:
            for f in ("paper.install_hook", "install.cmdclass", "code.exec_eval", "code.base64"):
                values[f] = float(rng.random() < 0.8)
            text = "call:exec call:base64.b64decode setup:cmdclass import:socket"
            lines = "exec(base64.b64decode(payload)) os.system(cmd)"
        else:
            values["paper.long_string"] = float(rng.random() < 0.3)
            text = "import:json call:json.loads import:typing"
            lines = "with open(path) as handle: data = handle.read()"
        feats.append(PackageFeatures(f"pkg{i}", "1.0", values, lines, text))
        labels.append(int(bad))
    return feats, np.array(labels)


@pytest.fixture(scope="module")
def data() -> tuple[list[PackageFeatures], np.ndarray]:
    return synthetic(160)


@pytest.mark.parametrize("kind", pipelines.MODEL_KINDS)
def test_pipelines_learn_separable_data(kind: str, data: tuple[list[PackageFeatures], np.ndarray]) -> None:
    feats, y = data
    model = pipelines.build(kind).fit(feats[:120], y[:120])
    scores = np.asarray(model.predict_proba(feats[120:]))[:, 1]
    metrics = classification_metrics(y[120:], scores, pipelines.fitted_threshold(model))
    assert metrics["malicious_recall"] > 0.8
    assert metrics["fpr"] < 0.2


def test_seed_is_the_papers_stack() -> None:
    stack = pipelines.seed_pipeline().named_steps["stack"]
    names = [name for name, _ in stack.estimators]
    assert names == ["rf", "svm", "dt", "mlp", "nb"]
    assert stack.estimators[0][1].n_estimators == 12
    assert stack.estimators[2][1].max_depth == 15
    assert stack.estimators[3][1].activation == "logistic"
    bow = pipelines.seed_pipeline().named_steps["features"].transformer_list[1][1].named_steps["vec"]
    assert bow.binary and bow.max_features == 500


def test_seed_scores_do_not_depend_on_parallel_fits(data: tuple[list[PackageFeatures], np.ndarray]) -> None:
    feats, y = data
    parallel = pipelines.build("seed").fit(feats[:120], y[:120])
    serial = pipelines.build("seed").set_params(stack__n_jobs=1).fit(feats[:120], y[:120])
    assert parallel.named_steps["stack"].n_jobs == -1
    np.testing.assert_array_equal(parallel.predict_proba(feats[120:]), serial.predict_proba(feats[120:]))


def test_every_kind_has_one_recipe() -> None:
    assert set(pipelines.RECIPES) == set(pipelines.MODEL_KINDS) | set(pipelines.ABLATIONS)
    assert not pipelines.grouped_stacking("seed") and pipelines.cluster_cap("seed") is None
    assert pipelines.augmentations("seed") == ()

    def numeric_ids(kind: str) -> set[str]:
        return set(pipelines.build(kind).named_steps["features"].transformer_list[0][1].ids)

    artefacts = set(pipelines.PACKAGING_ARTEFACTS)
    assert artefacts <= numeric_ids("default")
    for kind in ("default-no-artefacts", "default-plain", "default-relocated"):
        assert not artefacts & numeric_ids(kind)
    with pytest.raises(ValueError, match="unknown model kind 'nope'"):
        pipelines.build("nope")


def test_threshold_at_fpr_respects_budget() -> None:
    benign = np.linspace(0, 1, 1000)
    t = pipelines.threshold_at_fpr(benign, 0.001)
    assert (benign >= t).sum() <= 1
    assert pipelines.threshold_at_fpr(benign, 0.0) > benign.max()


def test_metrics_are_per_class() -> None:
    y = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.6, 0.2, 0.1, 0.1, 0.0, 0.0])
    m = classification_metrics(y, s, 0.5)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (3, 1, 1, 5)
    assert m["malicious_recall"] == pytest.approx(0.75)
    assert m["malicious_precision"] == pytest.approx(0.75)
    assert m["fpr"] == pytest.approx(1 / 6)
    assert m["macro_recall"] == pytest.approx((0.75 + 5 / 6) / 2)
    assert recall_at_fpr(y, s, 0.0) == pytest.approx(0.75)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, data: tuple[list[PackageFeatures], np.ndarray]) -> Path:
    feats, y = data
    model = pipelines.build("seed").fit(feats, y)
    path = tmp_path_factory.mktemp("model") / "seed.skops"
    save_model(
        model, path, kind="seed", threshold=0.5, training_data_id="synthetic", metrics={}, created="now"
    )
    return path


def test_saved_model_round_trips_and_explains(
    saved: Path, data: tuple[list[PackageFeatures], np.ndarray]
) -> None:
    scorer = load_scorer(saved)
    assert isinstance(scorer, TrainedScorer)
    feats, _ = data
    scores = scorer.score(feats[:2])
    assert scores[0] > 0.5 > scores[1]
    top = scorer.explain(feats[0])
    assert top and all(c.weight > 0 for c in top)


def test_schema_mismatch_is_refused(saved: Path) -> None:
    manifest = json.loads(saved.with_suffix(".json").read_text())
    manifest["schema_hash"] = "0000"
    saved.with_suffix(".json").write_text(json.dumps(manifest))
    try:
        with pytest.raises(ModelError, match="feature schema"):
            load_model(saved)
    finally:
        from vetpy.features.registry import schema_hash

        manifest["schema_hash"] = schema_hash()
        saved.with_suffix(".json").write_text(json.dumps(manifest))


def test_tampered_file_is_refused(saved: Path, tmp_path: Path) -> None:
    copy = tmp_path / "seed.skops"
    copy.write_bytes(saved.read_bytes() + b"x")
    copy.with_suffix(".json").write_text(saved.with_suffix(".json").read_text())
    with pytest.raises(ModelError, match="sha256"):
        load_model(copy)


def test_untrusted_types_are_refused(tmp_path: Path) -> None:
    import skops.io as sio

    from vetpy.model.manifest import Manifest

    path = tmp_path / "evil.skops"
    save_model(
        {"f": Path("/tmp")}, path, kind="x", threshold=0.5, training_data_id="t", metrics={}, created="n"
    )
    manifest = Manifest(**json.loads(path.with_suffix(".json").read_text()))
    assert manifest.model_sha256
    assert any(t.startswith("pathlib") for t in sio.get_untrusted_types(file=path))
    with pytest.raises(ModelError, match="unexpected types"):
        load_model(path)


def test_grouped_stacking_keeps_families_and_projects_on_one_side() -> None:
    from sklearn.model_selection import StratifiedGroupKFold

    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.evaluate import EvalData, fit_model, stacking_groups

    feats, y = synthetic(120, seed=7)
    samples = [
        Sample(int(label), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i // 4}", "1.0", "2024-01-01", "s")
        for i, label in enumerate(y)
    ]
    groups = np.array([f"fam{i // 6}" for i in range(len(y))])
    data = EvalData(samples=samples, features=feats, y=y, groups=groups, unreadable=0)
    rows = np.arange(len(y))
    keys = stacking_groups(data, rows)
    assert keys[0] == "fam0" and keys[1] == "project:proj-0"  # row 0 malicious, row 1 benign
    seen: list[list[int]] = []
    original = StratifiedGroupKFold.split

    def spy(self: StratifiedGroupKFold, X: object, y: object = None, groups: object = None) -> object:
        for train, test in original(self, X, y, groups):
            seen.append(sorted(set(np.asarray(groups)[train]) & set(np.asarray(groups)[test])))
            yield train, test

    StratifiedGroupKFold.split = spy  # type: ignore[method-assign]
    try:
        model = fit_model("default", data, rows)
    finally:
        StratifiedGroupKFold.split = original  # type: ignore[method-assign]
    assert len(seen) == pipelines.STACK_FOLDS and all(overlap == [] for overlap in seen)
    assert isinstance(model.named_steps["stack"].cv, StratifiedGroupKFold)
    assert 0.0 < pipelines.fitted_threshold(model) <= 1.0


def test_train_on_the_time_split_training_side_only(tmp_path: Path) -> None:
    from vetpy.lab.dataset.corpus import Sample, corpus_id
    from vetpy.lab.evaluate import EvalData, time_split_indices
    from vetpy.lab.runner import train_and_save

    feats, y = synthetic(120, seed=11)
    dates = ["2024-01-15", "2024-07-01"]  # before the split / in the test window
    samples = [
        Sample(int(label), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i}", "1.0", dates[(i // 2) % 2], "s")
        for i, label in enumerate(y)
    ]
    data = EvalData(
        samples=samples, features=feats, y=y, groups=np.array([f"g{i}" for i in range(120)]), unreadable=0
    )
    train, test = time_split_indices(data)
    assert len(test) > 0
    manifest = train_and_save(data, "default", tmp_path / "held.skops", split="time-train")
    assert manifest.training_data_id == corpus_id([samples[i] for i in train]) != data.data_id
    assert (tmp_path / "held.npz").is_file()
    with pytest.raises(ValueError, match="unknown training split"):
        train_and_save(data, "default", tmp_path / "x.skops", split="future")


def test_default_model_reads_behaviour_profile_tokens_whole() -> None:
    feats, _ = synthetic(40)
    rows = [replace(p, code_text="pair:socket+subprocess run:socket " + p.code_text) for p in feats]
    union = pipelines.default_features().fit(rows)
    vocabulary = dict(union.transformer_list)["code"].named_steps["vec"].vocabulary_
    assert {"pair:socket+subprocess", "run:socket"} <= set(vocabulary)


def test_relocated_copy_moves_a_setup_payload_to_import_time() -> None:
    from vetpy.lab.augment import has_setup_payload, relocate

    values = dict.fromkeys(FEATURE_IDS, 0.0)
    values.update({"install.setup_suspicious": 1.0, "install.cmdclass": 1.0, "code.socket": 1.0})
    tokens = "setup:suspicious call:socket.socket pair:socket+subprocess run:socket"
    package = PackageFeatures("p", "1", values, "", tokens)
    copy = relocate(package)
    assert has_setup_payload(package) and not has_setup_payload(copy)
    assert copy.values["install.import_time_payload"] == 1.0 and copy.values["install.cmdclass"] == 0.0
    assert copy.values["code.socket"] == 1.0  # the behaviours stay
    assert copy.code_text == "call:socket.socket pair:socket+subprocess run:socket import:payload"
    assert package.values["install.setup_suspicious"] == 1.0  # the original is untouched


def test_dormant_copy_keeps_behaviours_and_drops_every_running_signal() -> None:
    from vetpy.lab.augment import RUNNING_FEATURES, dormant, has_running_payload

    values = dict.fromkeys(FEATURE_IDS, 0.0)
    values.update(
        {
            "install.import_time_payload": 1.0,
            "install.init_suspicious": 1.0,
            "install.running_file_behaviours": 2.0,
            "code.socket": 1.0,
            "code.subprocess": 1.0,
        }
    )
    tokens = "import:payload init:suspicious run:socket call:socket.socket pair:socket+subprocess import:os"
    package = PackageFeatures("p", "1", values, "", tokens)
    copy = dormant(package)
    assert has_running_payload(package) and not has_running_payload(copy)
    assert all(copy.values[f] == 0.0 for f in RUNNING_FEATURES)
    assert copy.values["code.socket"] == copy.values["code.subprocess"] == 1.0
    assert copy.code_text == "call:socket.socket pair:socket+subprocess import:os"
    assert package.values["install.import_time_payload"] == 1.0  # the original is untouched


def test_augmenting_kinds_train_on_the_copies_too() -> None:
    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.evaluate import EvalData, fit_model, training_set

    feats, y = synthetic(60, seed=5)
    feats = [
        replace(
            p,
            values={
                **p.values,
                "install.setup_suspicious": float(i % 4 == 0),
                "install.running_file_behaviours": float(i % 4 == 0 or i % 6 == 0),
            },
        )
        for i, p in enumerate(feats)
    ]  # malware rows are even: rows 0, 4, 8, ... have a setup.py payload; those and 6, 18, ... run one
    samples = [
        Sample(int(label), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i}", "1.0", "2024-01-01", "s")
        for i, label in enumerate(y)
    ]
    groups = np.array([f"g{i}" for i in range(60)])
    data = EvalData(samples=samples, features=feats, y=y, groups=groups, unreadable=0)
    rows = np.arange(60)
    plain, plain_y, _ = training_set("default-plain", data, rows)
    assert len(plain) == len(plain_y) == 60
    relocated, relocated_y, relocated_groups = training_set("default-relocated", data, rows)
    assert len(relocated) == len(relocated_y) == len(relocated_groups) == 75 and relocated_y[60:].all()
    assert list(relocated_groups[60:]) == [f"g{i}" for i in range(0, 60, 4)]
    assert all(p.values["install.import_time_payload"] == 1.0 for p in relocated[60:])
    both, both_y, both_groups = training_set("default", data, rows)
    running = [i for i in range(0, 60, 2) if i % 4 == 0 or i % 6 == 0]
    expected = [g for i in range(0, 60, 2) for g in ([f"g{i}"] * ((i % 4 == 0) + (i in running)))]
    assert len(both) == len(both_y) == 60 + 15 + len(running) and both_y[60:].all()
    assert list(both_groups[60:]) == expected  # each copy right after its sibling, in its original's group
    assert sum(p.values["install.running_file_behaviours"] == 0.0 for p in both[60:]) == len(running)
    full, full_y, full_groups = training_set("default-disguised", data, rows)  # one disguised copy each
    assert len(full) == len(full_y) == len(both) + 30 and full_y[60:].all()
    expected = [g for i in range(0, 60, 2) for g in [f"g{i}"] * ((i % 4 == 0) + (i in running) + 1)]
    assert list(full_groups[60:]) == expected
    hosts = {feats[i].values["archive.log_files"] for i in range(1, 60, 2)}
    disguised = [p for p in full[60:] if p not in both[60:]]
    assert len(disguised) == 30 and all(p.values["archive.log_files"] in hosts for p in disguised)
    half, _, _ = training_set("default-disguised-half", data, rows)  # a seeded half of them
    assert len(both) < len(half) < len(full)
    code, _, _ = training_set("default-disguised-code", data, rows)  # each keeps its own packaging
    own = {feats[i].values["archive.log_files"] for i in range(0, 60, 2)}
    kept = [p for p in code[60:] if p not in both[60:]]
    assert len(kept) == 30 and all(p.values["archive.log_files"] in own - hosts for p in kept)
    assert 0.0 < pipelines.fitted_threshold(fit_model("default", data, rows)) <= 1.0


def test_interrupted_cv_resumes_from_its_fold_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from vetpy.lab import evaluate
    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.fold_log import FoldLog

    feats, y = synthetic(100, seed=5)
    samples = [
        Sample(int(label), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i}", "1.0", "2024-01-01", "s")
        for i, label in enumerate(y)
    ]
    data = evaluate.EvalData(
        samples=samples, features=feats, y=y, groups=np.array([f"g{i}" for i in range(100)]), unreadable=0
    )
    log = FoldLog.for_run("seed", "stratified", 5, data.data_id, root=tmp_path)
    real_fit = evaluate.fit_predict
    calls: list[int] = []

    def dies_on_third_fold(kind: str, d: object, tr: np.ndarray, te: np.ndarray, rs: int = 0) -> object:
        calls.append(rs)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_fit(kind, d, tr, te, rs)  # type: ignore[arg-type]

    monkeypatch.setattr(evaluate, "fit_predict", dies_on_third_fold)
    with pytest.raises(KeyboardInterrupt):
        evaluate.cross_validate("seed", data, 1, grouped=False, folds=5, fold_log=log)
    with log.path.open("a") as fh:
        fh.write('{"fold": 2, "metr')  # a line cut short by the interruption
    resumed = FoldLog(log.path)
    assert sorted(resumed.done) == [0, 1]
    calls.clear()
    monkeypatch.setattr(evaluate, "fit_predict", real_fit)
    full = evaluate.cross_validate("seed", data, 2, grouped=False, folds=5, fold_log=resumed)
    assert len(full["per_fold"]) == 10 and len(FoldLog(log.path).done) == 10
    assert full["per_fold"][:2] == [log.done[0], log.done[1]]
    # the same folds from scratch give the same metrics: reuse changes nothing
    fresh = evaluate.cross_validate("seed", data, 2, grouped=False, folds=5)
    assert fresh["per_fold"] == full["per_fold"]
    # a different fold count (or corpus, or code) is a different log
    assert FoldLog.for_run("seed", "stratified", 10, data.data_id, root=tmp_path).path != log.path


def test_selection_check_never_touches_the_time_split_test_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from vetpy.lab import evaluate, selection
    from vetpy.lab.dataset.corpus import Sample

    feats, y = synthetic(120, seed=3)
    dates = ["2024-01-15", "2024-07-01"]  # before the split / in the test window
    samples = [
        Sample(int(label), Path(f"/x/{i}"), f"{i:064x}", f"proj-{i}", "1.0", dates[(i // 2) % 2], "s")
        for i, label in enumerate(y)
    ]
    data = evaluate.EvalData(
        samples=samples,
        features=feats,
        y=y,
        groups=np.array([f"g{i // 4}" for i in range(120)]),
        unreadable=0,
    )
    train, test = evaluate.time_split_indices(data)
    touched: list[int] = []
    real_fit = selection.fit_predict

    def spy(kind: str, d: object, tr: np.ndarray, te: np.ndarray, rs: int = 0) -> object:
        touched.extend(tr.tolist() + te.tolist())
        families = [set(data.groups[rows][data.y[rows] == 1].tolist()) for rows in (tr, te)]
        assert not families[0] & families[1]  # every held-out family is new to the fold's model
        return real_fit(kind, d, tr, te, rs)  # type: ignore[arg-type]

    monkeypatch.setattr(selection, "fit_predict", spy)
    result = selection.selection_cv("default", data, folds=3)
    assert set(touched) <= set(train.tolist()) and not set(touched) & set(test.tolist())
    assert result["n_malicious"] + result["n_benign"] == len(train)
    assert 0.0 <= result["recall_at_fpr_0.1%"] <= result["recall_at_fpr_1%"] <= 1.0
    assert 0 <= result["own_threshold_fp"] <= result["n_benign"]


def test_default_has_no_word_bag_and_the_with_lines_ablation_adds_it() -> None:
    def parts(kind: str) -> list[str]:
        return [name for name, _ in pipelines.build(kind, 0).named_steps["features"].transformer_list]

    full, bare = parts("default-with-lines"), parts("default")
    assert full == ["numeric", "code", "lines"] and bare == ["numeric", "code"]
