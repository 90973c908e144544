"""Triage labels feed training: ``vetpy train --labels`` reads the service's database or a JSONL file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from service.serverproc import flagged_package, package
from vetpy.errors import VetpyError
from vetpy.lab.dataset.corpus import BENIGN, MALICIOUS, Sample
from vetpy.result import ScanResult, Verdict
from vetpy.service.labels import labelled_samples
from vetpy.service.store import Label, SQLiteStore, Status


def _labelled_db(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    db = tmp_path / "jobs.sqlite3"
    uploads = tmp_path / "jobs.sqlite3-uploads"
    uploads.mkdir()
    archives = {"evilpkg": flagged_package(tmp_path / "CANARY"), "calmpkg": package("calmpkg")}
    store = SQLiteStore(db)
    for (name, data), (verdict, label) in zip(
        archives.items(),
        [(Verdict.MALICIOUS, Label.MALICIOUS), (Verdict.MALICIOUS, Label.BENIGN)],
        strict=True,
    ):
        sha = hashlib.sha256(data).hexdigest()
        (uploads / sha).write_bytes(data)
        job = store.add("upload", str(uploads / sha), f"{name}.tar.gz", sha, "m")
        store.claim(1)
        store.finish(job.id, Status.DONE, ScanResult(name, name, "1.0", sha, verdict, 0.95, 0.5), None)
        assert store.set_label(job.id, label)
    remote = store.add("index", "remote==1.0", "remote==1.0", None, "m")  # fetched: no archive kept
    store.claim(1)
    store.finish(
        remote.id, Status.DONE, ScanResult("remote==1.0", "remote", "1.0", "e" * 64, verdict, 0.9, 0.5), None
    )
    store.set_label(remote.id, Label.MALICIOUS)
    store.close()
    return db, archives


def test_labels_from_the_service_database(tmp_path: Path) -> None:
    db, archives = _labelled_db(tmp_path)
    found = labelled_samples(str(db))
    assert found.without_archive == 1
    by_name = {s.name: s for s in found.samples}
    assert by_name["evilpkg"].label == MALICIOUS
    assert by_name["calmpkg"].label == BENIGN
    assert by_name["calmpkg"].source == "triage-benign"
    assert by_name["evilpkg"].path.read_bytes() == archives["evilpkg"]
    assert not (tmp_path / "CANARY").exists()


def test_labels_from_jsonl(tmp_path: Path) -> None:
    (tmp_path / "a.tar.gz").write_bytes(package("apkg"))
    lines = [
        {"path": "a.tar.gz", "label": "malicious", "name": "apkg"},
        {"path": "gone.zip", "label": "benign"},
    ]
    source = tmp_path / "labels.jsonl"
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    found = labelled_samples(str(source))
    assert [(s.name, s.label) for s in found.samples] == [("apkg", MALICIOUS)]
    assert found.without_archive == 1
    source.write_text('{"path": "a.tar.gz", "label": "maybe"}\n')
    with pytest.raises(VetpyError, match=r"labels\.jsonl:1"):
        labelled_samples(str(source))
    with pytest.raises(VetpyError, match="no such labels database"):
        labelled_samples(str(tmp_path / "missing.sqlite3"))


def test_labelled_archives_join_and_override_the_training_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vetpy.lab import evaluate

    db, archives = _labelled_db(tmp_path)
    extra = labelled_samples(str(db)).samples
    calm = next(s for s in extra if s.name == "calmpkg")
    corpus = [Sample(MALICIOUS, calm.path, calm.sha256, "calmpkg", "1.0", "2024-01-01", "malicious")]
    monkeypatch.setattr(evaluate, "load_corpus", lambda data, **_: corpus)
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    data = evaluate.load_eval_data(tmp_path, jobs=1, extra=extra)
    assert sorted((s.name, int(y)) for s, y in zip(data.samples, data.y, strict=True)) == [
        ("calmpkg", BENIGN),  # the person's "false alarm" replaced the corpus's label
        ("evilpkg", MALICIOUS),
    ]
    assert len(data.features) == 2
    assert len(archives) == 2


def test_train_command_takes_labels() -> None:
    from vetpy.cli.main import build_parser

    args = build_parser().parse_args(
        ["train", "--labels", "a.sqlite3", "--labels", "b.jsonl", "--out", "m.skops"]
    )
    assert args.labels == ["a.sqlite3", "b.jsonl"]
