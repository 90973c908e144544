"""The bundled model is read on its first score: a scan answered from the result cache imports neither the
extractor nor NumPy, and a model that cannot be loaded fails each scan with its reason."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ArchiveBuilder
from vetpy.acquire.targets import Target
from vetpy.model.loader import DeferredScorer, bundled_model_path, load_scorer
from vetpy.result import Verdict
from vetpy.scan import Scanner

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("numpy", "vetpy.features.extract", "vetpy.features.source.pool", "vetpy.model.compiled")


def _bundled() -> Path:
    path = bundled_model_path()
    if not path.with_suffix(".json").is_file():
        pytest.skip("no model bundled")
    return path


def _copy(path: Path, folder: Path) -> Path:
    for suffix in (".json", ".npz"):
        shutil.copyfile(path.with_suffix(suffix), folder / f"m{suffix}")
    return folder / "m.skops"


def test_the_manifest_now_the_arrays_on_the_first_score(tmp_path: Path, make_archive: ArchiveBuilder) -> None:
    path = _copy(_bundled(), tmp_path)
    deferred = DeferredScorer(path)
    eager = load_scorer(path)
    assert (deferred.name, deferred.threshold) == (eager.name, eager.threshold)
    assert DeferredScorer(path, threshold=0.25).threshold == 0.25
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(make_archive({"demo-1.0/demo.py": b"import os\nos.system('id')\n"}))
    lazy_result = Scanner(scorer=deferred).scan_target(Target("t", path=archive))
    eager_result = Scanner(scorer=eager).scan_target(Target("t", path=archive))
    assert lazy_result.score == eager_result.score and lazy_result.reasons == eager_result.reasons


def test_a_model_that_cannot_be_loaded_fails_the_scan_with_its_reason(
    tmp_path: Path, make_archive: ArchiveBuilder
) -> None:
    path = _copy(_bundled(), tmp_path)
    npz = path.with_suffix(".npz")
    npz.write_bytes(npz.read_bytes() + b"x")  # no longer the digest its manifest lists
    deferred = DeferredScorer(path)  # the manifest alone is read: no error yet
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(make_archive({"demo-1.0/demo.py": b"X = 1\n"}))
    result = Scanner(scorer=deferred).scan_target(Target("t", path=archive))
    assert result.verdict is Verdict.ERROR and "sha256" in (result.error or "")


def test_a_cache_hit_imports_neither_the_extractor_nor_numpy(tmp_path: Path) -> None:
    _bundled()
    example = str(REPO / "examples" / "hello-0.1.0.tar.gz")
    code = (
        "import json, sys; from vetpy.cli.main import main;"
        f" code = main(['scan', '--no-osv', '--format', 'json', {example!r}]);"
        " print(json.dumps([code, sorted(m for m in sys.modules if m in HEAVY)]), file=sys.stderr)"
    ).replace("HEAVY", repr(HEAVY))
    env = {**os.environ, "VETPY_CACHE": str(tmp_path / "cache")}
    runs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=True
        )
        runs.append((json.loads(proc.stdout)["results"][0], json.loads(proc.stderr.splitlines()[-1])))
    (first, (code1, loaded1)), (second, (code2, loaded2)) = runs
    assert code1 == code2 == 0 and first["verdict"] == second["verdict"] == "benign"
    assert first["score"] == second["score"]
    assert set(loaded1) == set(HEAVY)  # a real scan needs them all
    assert loaded2 == []  # the second is answered from the cache
