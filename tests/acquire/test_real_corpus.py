"""open_archive on the real malicious corpus, read as bytes in memory only (never extracted)."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from vetpy.acquire.archive import open_archive
from vetpy.errors import VetpyError
from vetpy.lab.dataset.paths import data_dir

SAMPLE_SIZE = 30


def _corpus() -> tuple[Path, list[dict[str, str]]]:
    try:
        root = data_dir() / "malicious"
    except VetpyError:
        pytest.skip("development data not found")
    manifest = root / "manifest.csv"
    if not manifest.is_file():
        pytest.skip("malicious corpus not present")
    with manifest.open(newline="", encoding="utf-8") as handle:
        return root, list(csv.DictReader(handle))


def _sample(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A fixed sample covering every (extension, real format) pair, the rest spread by sha256 order."""
    by_kind: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in sorted(rows, key=lambda r: r["sha256"]):
        ext = row["file"].rsplit(".", 1)[-1].lower()
        by_kind.setdefault((ext, row["archive_format"]), []).append(row)
    chosen = [group[0] for group in by_kind.values()]
    ordered = sorted(rows, key=lambda r: r["sha256"])
    step = max(1, len(ordered) // SAMPLE_SIZE)
    for row in ordered[::step]:
        if len(chosen) >= SAMPLE_SIZE:
            break
        if row not in chosen:
            chosen.append(row)
    return chosen


def _check(root: Path, row: dict[str, str]) -> None:
    data = (root / row["file"]).read_bytes()
    filename = row["file"].rsplit("/", 1)[-1]
    archive = open_archive(data, target=row["name"], filename=filename)
    assert archive.sha256 == row["sha256"], row["file"]
    expected = row["archive_format"]
    if filename.lower().endswith(".whl") and expected == "zip":
        expected = "wheel"
    assert archive.format == expected, row["file"]
    assert archive.members, row["file"]
    assert archive.limit_hit is None, row["file"]
    assert all(not m.path.startswith("/") and ".." not in m.path.split("/") for m in archive.members)
    n_py = sum(m.path.endswith(".py") for m in archive.members)
    # the manifest counts every entry named *.py, folders too; we count regular files
    assert n_py <= int(row["n_py"]), row["file"]
    assert (n_py > 0) == (int(row["n_py"]) > 0), row["file"]


def test_sample_of_real_malware_opens() -> None:
    root, rows = _corpus()
    sample = _sample(rows)
    assert len(sample) == SAMPLE_SIZE
    assert {r["archive_format"] for r in sample} == {"tar.gz", "zip", "tar.xz"}
    for row in sample:
        _check(root, row)


@pytest.mark.slow
def test_whole_corpus_opens() -> None:
    root, rows = _corpus()
    times = []
    for row in rows:
        start = time.perf_counter()
        _check(root, row)
        times.append(time.perf_counter() - start)
    times.sort()
    assert times[len(times) // 2] < 0.02  # median well under the whole-scan budget
