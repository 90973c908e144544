"""The known-malicious lookup against a fake OSV on 127.0.0.1: hits, summaries, cache, outages, CLI."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import build_archive
from fake_osv import FakeOsv
from vetpy.cli.main import main
from vetpy.osv import KnownMaliciousLookup, OsvClient, apply_known_malicious
from vetpy.osv import lookup as lookup_module
from vetpy.osv.cache import OsvCache
from vetpy.osv.client import OsvUnavailable, Query, VulnRef
from vetpy.osv.lookup import check_name, query_for
from vetpy.result import ScanResult, Verdict

GOOD = {
    "goodpkg-1.2.0/PKG-INFO": (
        b"Metadata-Version: 2.1\nName: goodpkg\nVersion: 1.2.0\nAuthor: Jane Doe\n"
        b"Author-email: jane@gmail.com\nHome-page: https://github.com/example/goodpkg\nLicense: MIT\n"
    ),
    "goodpkg-1.2.0/goodpkg/__init__.py": b'"""Add numbers."""\n\n\ndef add(a, b):\n    return a + b\n',
}


def _result(name: str | None, version: str | None, target: str = "x", **kw: Any) -> ScanResult:
    base: dict[str, Any] = {"sha256": None, "verdict": Verdict.BENIGN, "score": 0.1, "threshold": 0.5}
    return ScanResult(target=target, name=name, version=version, **{**base, **kw})


def _lookup(osv: FakeOsv, tmp_path: Path, **kw: Any) -> KnownMaliciousLookup:
    cache = OsvCache(tmp_path / "osv.sqlite", 3600)
    return KnownMaliciousLookup(OsvClient(osv.url, timeout=1.0), cache, **kw)


def _scan_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--format", "json", "--model", "rules", *args])
    return code, json.loads(capsys.readouterr().out)


def test_cli_hit_makes_a_benign_looking_release_malicious(
    fake_osv: FakeOsv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    archive = tmp_path / "goodpkg-1.2.0.tar.gz"
    archive.write_bytes(build_archive(GOOD))
    code, doc = _scan_json([str(archive), "--no-osv"], capsys)
    assert code == 0 and doc["results"][0]["verdict"] == "benign"
    assert doc["results"][0]["known_malicious"] == [] and fake_osv.queries == []

    fake_osv.add("goodpkg", "1.2.0", "MAL-2026-77")
    code, doc = _scan_json([str(archive), "--osv-url", fake_osv.url], capsys)
    result = doc["results"][0]
    assert code == 1
    assert result["verdict"] == "malicious" and result["known_malicious"] == ["MAL-2026-77"]
    assert result["reasons"][0]["feature"] == "known_malicious"
    assert "MAL-2026-77" in result["reasons"][0]["message"]
    assert result["score"] < result["threshold"]  # the model's score is left as it was
    assert fake_osv.queries == [{"package": {"name": "goodpkg", "ecosystem": "PyPI"}, "version": "1.2.0"}]


def test_cli_unreachable_osv_is_a_note_not_a_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    archive = tmp_path / "goodpkg-1.2.0.tar.gz"
    archive.write_bytes(build_archive(GOOD))
    code, doc = _scan_json([str(archive)], capsys)  # the autouse fixture points OSV at a refused port
    result = doc["results"][0]
    assert code == 0 and result["verdict"] == "benign" and result["known_malicious"] == []
    assert any(n.startswith("known-malicious lookup skipped: OSV unreachable") for n in result["notes"])


def test_summary_saying_malicious_counts_other_advisories_do_not(fake_osv: FakeOsv, tmp_path: Path) -> None:
    fake_osv.add("hijacked", "2.0", "GHSA-aaaa-bbbb-cccc", "Malicious code in hijacked 2.0")
    fake_osv.add("hijacked", "2.0", "PYSEC-2026-1", "Cross-site scripting in the admin page")
    fake_osv.add("plainbug", "1.0", "PYSEC-2026-2", "Denial of service via crafted headers")
    results = [_result("hijacked", "2.0"), _result("plainbug", "1.0"), _result("Fine_Pkg", "3")]
    out = apply_known_malicious(results, _lookup(fake_osv, tmp_path))
    assert [r.verdict for r in out] == [Verdict.MALICIOUS, Verdict.BENIGN, Verdict.BENIGN]
    assert out[0].known_malicious == ("GHSA-aaaa-bbbb-cccc",)
    assert out[1].known_malicious == () and out[2].notes == ()
    assert {q["package"]["name"] for q in fake_osv.queries} == {"hijacked", "plainbug", "fine-pkg"}
    assert len(fake_osv.queries) == 3  # one batch, one query per distinct release


def test_answers_and_advisory_verdicts_are_cached(fake_osv: FakeOsv, tmp_path: Path) -> None:
    fake_osv.add("hijacked", "2.0", "GHSA-aaaa-bbbb-cccc", "Malicious code in hijacked")
    apply_known_malicious([_result("hijacked", "2.0")], _lookup(fake_osv, tmp_path))
    assert (len(fake_osv.queries), len(fake_osv.detail_requests)) == (1, 1)
    again = apply_known_malicious([_result("hijacked", "2.0")], _lookup(fake_osv, tmp_path))
    assert again[0].known_malicious == ("GHSA-aaaa-bbbb-cccc",)
    assert (len(fake_osv.queries), len(fake_osv.detail_requests)) == (1, 1)  # nothing asked twice
    cache = OsvCache(tmp_path / "osv.sqlite", ttl=60)
    assert cache.answer("hijacked==2.0") == [VulnRef("GHSA-aaaa-bbbb-cccc", "2026-01-01T00:00:00Z")]
    assert cache.answer("hijacked==2.0", now=time.time() + 61) is None  # expired


def test_slow_or_failing_osv_degrades_to_a_note(fake_osv: FakeOsv, tmp_path: Path) -> None:
    fake_osv.add("evil", "1.0", "MAL-2026-1")
    fake_osv.delay = 2.0
    lookup = KnownMaliciousLookup(OsvClient(fake_osv.url, timeout=0.3), OsvCache(None, 0))
    out = apply_known_malicious([_result("evil", "1.0")], lookup)
    assert out[0].verdict is Verdict.BENIGN and out[0].known_malicious == ()
    assert "timed out" in out[0].notes[0] and out[0].notes[0].startswith("known-malicious lookup skipped")
    fake_osv.delay = 0.0
    fake_osv.status = 503
    lookup = KnownMaliciousLookup(OsvClient(fake_osv.url, timeout=1.0), OsvCache(None, 0))
    out = apply_known_malicious([_result("evil", "1.0")], lookup)
    assert out[0].notes == ("known-malicious lookup skipped: OSV: HTTP 503",)
    # after a failure the lookup pauses instead of waiting on the service for every package
    fake_osv.status = 200
    out = apply_known_malicious([_result("evil", "1.0")], lookup)
    assert out[0].verdict is Verdict.BENIGN and "HTTP 503" in out[0].notes[0]


def test_unscanned_pinned_target_is_still_looked_up(fake_osv: FakeOsv, tmp_path: Path) -> None:
    """A release already removed from the index (download failed) is still flagged when OSV knows it."""
    fake_osv.add("gone", None, "MAL-2025-9")
    failed = _result(None, None, target="gone==0.3", verdict=Verdict.ERROR, score=None, error="HTTP 404")
    skipped = _result(None, None, target="-e .", verdict=Verdict.ERROR, skipped=True, error="editable")
    out = apply_known_malicious([failed, skipped], _lookup(fake_osv, tmp_path))
    assert out[0].verdict is Verdict.MALICIOUS and out[0].error is None
    assert out[0].known_malicious == ("MAL-2025-9",) and "scan incomplete: HTTP 404" in out[0].notes
    assert out[1] == skipped
    assert query_for(_result(None, None, target="gone>=1")) is None  # unpinned: nothing to ask about


def test_many_releases_are_sent_in_batches(fake_osv: FakeOsv, tmp_path: Path) -> None:
    fake_osv.add("p1499", "1.0", "MAL-2026-5")
    results = [_result(f"p{i}", "1.0") for i in range(1500)]
    client = OsvClient(fake_osv.url, timeout=5.0)
    answers = client.querybatch([Query(f"p{i}", "1.0") for i in range(1500)])
    assert fake_osv.batch_sizes == [1000, 500]  # OSV takes at most 1,000 queries per batch
    assert len(answers) == 1500 and answers[1499] == [VulnRef("MAL-2026-5", "2026-01-01T00:00:00Z")]
    out = apply_known_malicious(results, _lookup(fake_osv, tmp_path))
    assert [r.name for r in out if r.flagged] == ["p1499"]


class _HangingClient(OsvClient):
    """A client whose requests hang (as a name lookup can, out of reach of socket time-outs)."""

    def querybatch(self, queries: list[Query]) -> list[list[VulnRef]]:
        time.sleep(5)
        return [[] for _ in queries]


def test_a_hanging_lookup_is_abandoned_at_the_budget() -> None:
    lookup = KnownMaliciousLookup(_HangingClient("http://127.0.0.1:9"), budget_seconds=0.2)
    out = apply_known_malicious([_result("evil", "1.0")], lookup)
    assert out[0].notes == ("known-malicious lookup skipped: OSV did not answer within 0.2 s",)


def test_a_failure_pauses_other_runs_sharing_the_cache(fake_osv: FakeOsv, tmp_path: Path) -> None:
    """A second vetpy run right after OSV failed skips it at once, with the same note, not a new wait."""
    fake_osv.status = 503
    out = apply_known_malicious([_result("evil", "1.0")], _lookup(fake_osv, tmp_path))
    assert out[0].notes == ("known-malicious lookup skipped: OSV: HTTP 503",)
    fake_osv.status = 200
    fake_osv.add("evil", "1.0", "MAL-2026-1")
    asked = len(fake_osv.queries)
    again = apply_known_malicious([_result("evil", "1.0")], _lookup(fake_osv, tmp_path))
    assert again == out and len(fake_osv.queries) == asked  # not asked: paused
    cache = OsvCache(tmp_path / "osv.sqlite", 3600)
    assert cache.paused(fake_osv.url) == "OSV: HTTP 503" and cache.paused("http://other.invalid") is None
    cache.pause(fake_osv.url, "OSV: HTTP 503", -1.0)  # the pause is over
    flagged = apply_known_malicious([_result("evil", "1.0")], _lookup(fake_osv, tmp_path))
    assert flagged[0].known_malicious == ("MAL-2026-1",)


def test_a_name_resolver_that_fails_or_hangs_is_a_fast_note(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*_: object, **__: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    def hangs(*_: object, **__: object) -> None:
        time.sleep(5)

    client = OsvClient("https://osv.invalid", timeout=3.0)
    monkeypatch.setattr(lookup_module.socket, "getaddrinfo", unknown)
    out = apply_known_malicious([_result("evil", "1.0")], KnownMaliciousLookup(client))
    assert out[0].notes == (
        "known-malicious lookup skipped: OSV unreachable: [Errno -2] Name or service not known",
    )
    monkeypatch.setattr(lookup_module.socket, "getaddrinfo", hangs)
    start = time.monotonic()
    out = apply_known_malicious([_result("evil", "1.0")], KnownMaliciousLookup(client, resolve_seconds=0.2))
    assert time.monotonic() - start < 2.0
    assert out[0].notes == (
        "known-malicious lookup skipped: OSV unreachable: the name resolver did not answer within 0.2 s",
    )


def test_behind_a_proxy_the_name_is_left_to_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*_: object, **__: object) -> None:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(lookup_module.socket, "getaddrinfo", unknown)
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    with pytest.raises(OsvUnavailable, match="Name or service not known"):
        check_name("https://osv.invalid", 1.0)
    monkeypatch.setenv("https_proxy", "http://127.0.0.1:9")
    check_name("https://osv.invalid", 1.0)  # the proxy resolves it: nothing to check here
    monkeypatch.setenv("no_proxy", "osv.invalid")
    with pytest.raises(OsvUnavailable):
        check_name("https://osv.invalid", 1.0)
