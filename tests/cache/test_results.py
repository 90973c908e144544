"""Scan results cached by archive: reused across targets naming the same bytes, never across settings."""

from __future__ import annotations

from pathlib import Path

import pytest

import vetpy.assess
from conftest import ArchiveBuilder
from vetpy.acquire.interface import Limits
from vetpy.acquire.targets import Target
from vetpy.cache.results import ResultCache, file_sha256, model_identity
from vetpy.model.rules import RuleScorer
from vetpy.result import ScanResult, Verdict
from vetpy.scan import Scanner

SETUP = "from setuptools import setup\nsetup(name='demo', version='1.0')\n"


def _archive(tmp_path: Path, make_archive: ArchiveBuilder, name: str = "demo-1.0.tar.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(make_archive({"demo-1.0/setup.py": SETUP.encode(), "demo-1.0/demo.py": b"X = 1\n"}))
    return path


def _scanner(root: Path, threshold: float = 0.5, limits: Limits = Limits()) -> Scanner:  # noqa: B008
    scorer = RuleScorer()
    cache = ResultCache(root, model_id=model_identity(scorer), threshold=threshold, limits=limits)
    return Scanner(scorer=scorer, threshold=threshold, cache=cache)


def _broken_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("extraction must not run on a cache hit")

    monkeypatch.setattr(vetpy.assess, "extract_features", fail)


def test_second_scan_comes_from_the_cache(
    tmp_path: Path, make_archive: ArchiveBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _archive(tmp_path, make_archive)
    first = _scanner(tmp_path / "c").scan_target(Target("first", path=path))
    assert first.verdict is Verdict.BENIGN
    copy = tmp_path / "copy.tar.gz"
    copy.write_bytes(path.read_bytes())
    _broken_extractor(monkeypatch)
    again = _scanner(tmp_path / "c").scan_target(Target("second", path=copy, warning="a note"))
    assert again.target == "second" and again.notes[0] == "a note"
    assert (again.verdict, again.score, again.reasons, again.sha256) == (
        first.verdict,
        first.score,
        first.reasons,
        first.sha256,
    )


@pytest.mark.parametrize("change", ["threshold", "limits", "bytes"])
def test_other_settings_or_bytes_miss(
    tmp_path: Path, make_archive: ArchiveBuilder, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    path = _archive(tmp_path, make_archive)
    _scanner(tmp_path / "c").scan_target(Target("t", path=path))
    _broken_extractor(monkeypatch)
    if change == "threshold":
        scanner = _scanner(tmp_path / "c", threshold=0.6)
    elif change == "limits":
        scanner = _scanner(tmp_path / "c", limits=Limits(max_members=10))
    else:
        scanner = _scanner(tmp_path / "c")
        path.write_bytes(path.read_bytes() + b"\0" * 1024)  # same members, other archive bytes
    result = scanner.scan_target(Target("t", path=path))
    assert result.verdict is Verdict.ERROR and "must not run" in (result.error or "")


def test_only_complete_verdicts_are_kept(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path, model_id="m", threshold=0.5, limits=Limits())
    sha = "ab" * 32
    base = ScanResult("t", "n", "1", sha, Verdict.ERROR, 0.1, 0.5, error="incomplete scan")
    cache.put(base)
    assert cache.get(sha, target="t") is None
    cache.put(ScanResult("t", "n", "1", sha, Verdict.MALICIOUS, 0.9, 0.5))
    hit = cache.get(sha.upper(), target="other")
    assert hit is not None and hit.verdict is Verdict.MALICIOUS and hit.target == "other"
    assert cache.get(None, target="t") is None


def test_folders_have_no_digest(tmp_path: Path) -> None:
    assert file_sha256(tmp_path) is None
    assert file_sha256(tmp_path / "missing") is None
