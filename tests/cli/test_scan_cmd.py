"""``vetpy scan`` with several targets: --jobs keeps input order, the cache answers a second scan,
--no-cache scans again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import vetpy.assess
from conftest import ArchiveBuilder
from vetpy.cli.main import main


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]]]:
    code = main(["scan", "--format", "json", "--model", "rules", *args])
    return code, json.loads(capsys.readouterr().out)["results"]


def test_jobs_cache_and_no_cache(
    tmp_path: Path,
    make_archive: ArchiveBuilder,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = []
    for i in range(4):
        path = tmp_path / f"p{i}-1.0.tar.gz"
        path.write_bytes(make_archive({f"p{i}-1.0/p{i}.py": f"X = {i}\n".encode()}))
        paths.append(str(path))
    code, results = _scan(capsys, "--jobs", "2", *paths)
    assert code == 0 and [r["target"] for r in results] == paths
    assert {r["verdict"] for r in results} == {"benign"}

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("not from the cache")

    monkeypatch.setattr(vetpy.assess, "extract_features", fail)
    code, again = _scan(capsys, "--jobs", "1", *paths)
    assert code == 0
    assert [(r["target"], r["score"], r["sha256"]) for r in again] == [
        (r["target"], r["score"], r["sha256"]) for r in results
    ]
    code, fresh = _scan(capsys, "--no-cache", paths[0])
    assert fresh[0]["verdict"] == "error" and "not from the cache" in str(fresh[0]["error"])
