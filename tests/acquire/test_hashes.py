"""Pinned hashes (--hash=, lockfiles) and index digests checked on the downloaded bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyindex import LocalIndex, isolate_pip, serve
from vetpy.acquire.hashes import HashMismatch, parse_pins, verify
from vetpy.acquire.index import IndexClient
from vetpy.acquire.targets import Target, resolve_targets
from vetpy.model.rules import RuleScorer
from vetpy.result import Verdict
from vetpy.scan import Scanner

DATA = b"package bytes"
SHA256 = hashlib.sha256(DATA).hexdigest()


def test_verify_pins() -> None:
    assert verify(DATA, "f", pins=[f"sha256:{SHA256.upper()}"]) == SHA256
    assert verify(DATA, "f", pins=["sha256:00", f"sha512:{hashlib.sha512(DATA).hexdigest()}"]) == SHA256
    with pytest.raises(HashMismatch, match=r"^f: does not match the pinned hashes \(sha256 is "):
        verify(DATA, "f", pins=["sha256:" + "0" * 64])
    with pytest.raises(HashMismatch, match="no pinned hash uses a known algorithm"):
        verify(DATA, "f", pins=["whirlpool:abc"])
    with pytest.raises(HashMismatch, match="sha256 mismatch with the index"):
        verify(DATA, "f", listed={"sha256": "ff" * 32})
    assert parse_pins(["sha256:AA", "sha256=bb"]) == {"sha256": frozenset({"aa", "bb"})}


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    with serve(LocalIndex()) as idx:
        idx.add_sdist("pinned", "1.0", {"setup.py": b"x = 1\n"})
        yield idx


def test_a_pin_mismatch_is_an_error_result(index: LocalIndex, tmp_path: Path) -> None:
    client = IndexClient(index_url=index.url)
    good = f"sha256:{hashlib.sha256(index.blobs['pinned-1.0.tar.gz']).hexdigest()}"
    scanner = Scanner(scorer=RuleScorer(), client=client)
    (target,) = resolve_targets(["pinned==1.0"], client=client)
    ok = scanner.scan_target(Target(target.label, release=target.release, hashes=(good,)))
    assert ok.verdict is Verdict.BENIGN
    bad = scanner.scan_target(Target(target.label, release=target.release, hashes=("sha256:" + "1" * 64,)))
    assert bad.verdict is Verdict.ERROR and bad.filename == "pinned-1.0.tar.gz"
    assert bad.error is not None and "does not match the pinned hashes" in bad.error
    local = tmp_path / "pinned-1.0.tar.gz"
    local.write_bytes(index.blobs["pinned-1.0.tar.gz"])
    wrong = scanner.scan_target(Target(str(local), path=local, hashes=("sha256:" + "2" * 64,)))
    assert wrong.verdict is Verdict.ERROR
