"""Every way of hiding code that pip would still install or run is seen: scanned through ``vetpy scan`` and
``vetpy batch``, never benign, while pip's own unpacking code shows the payload really lands on disk.

pip is only asked to *unpack* (pip._internal.utils.unpacking.unpack_file into a temp dir): nothing is
built, installed, imported or run, and the payloads' canary file never appears.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pip._internal.utils.unpacking import unpack_file

from evasions import EVASIONS, Evasion, payload
from vetpy.cli.main import main

CASES = [pytest.param(e, id=e.name.replace(" ", "_")) for e in EVASIONS]


def build(tmp_path: Path, evasion: Evasion) -> tuple[Path, Path]:
    canary = tmp_path / "canary"
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    path = folder / evasion.filename
    path.write_bytes(evasion.build(canary))
    return path, canary


@pytest.mark.parametrize("evasion", CASES)
def test_pip_would_unpack_the_payload(tmp_path: Path, evasion: Evasion) -> None:
    """The threat is real: pip's unpacker puts the payload (or the escaping link) on disk."""
    path, canary = build(tmp_path, evasion)
    where = tmp_path / "unpacked"
    unpack_file(str(path), str(where))
    if evasion.installed:
        data = (where / evasion.installed).read_bytes()
        assert (
            payload(canary).splitlines()[1][:30] in data
            or evasion.installed.endswith((".pyc", ".ipynb"))
            or (b"coding" in data)
        ), data[:200]
    else:  # the link pip creates points outside the folder it unpacked into
        link = where / "evil" / "config.py"
        assert link.is_symlink() and not link.resolve().is_relative_to(where.resolve())
    assert not canary.exists()


@pytest.mark.parametrize("evasion", CASES)
def test_scan_never_calls_it_benign(
    tmp_path: Path, evasion: Evasion, capsys: pytest.CaptureFixture[str]
) -> None:
    path, canary = build(tmp_path, evasion)
    code = main(["scan", "--format", "json", "--model", "rules", str(path)])
    [result] = json.loads(capsys.readouterr().out)["results"]
    assert result["verdict"] in ("malicious", "error") and code in (1, 3), result
    if result["verdict"] == "error":
        assert (
            result["error"].startswith("incomplete scan")
            and result["reasons"][0]["feature"] == "archive.limit_hit"
        )
    assert result["filename"] == evasion.filename and result["known_malicious"] == []
    assert not canary.exists()


def test_batch_never_calls_them_benign(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    canary = tmp_path / "canary"
    for i, evasion in enumerate(EVASIONS):
        folder = tmp_path / "in" / f"{i:02d}"
        folder.mkdir(parents=True)
        (folder / evasion.filename).write_bytes(evasion.build(canary))
    out = tmp_path / "results.jsonl"
    code = main(["batch", str(tmp_path / "in"), "--out", str(out), "--jobs", "1", "--model", "rules"])
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == len(EVASIONS) and code == 1
    assert {line["verdict"] for line in lines} <= {"malicious", "error"}, [
        (line["target"], line["verdict"]) for line in lines
    ]
    assert not canary.exists()


def test_default_model_flags_them_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With the shipped model (not only the transparent rules) nothing here is benign."""
    paths = [
        build(tmp_path / f"{i:02d}", e)[0]
        for i, e in enumerate(EVASIONS)
        if (tmp_path / f"{i:02d}").mkdir() is None
    ]
    code = main(["scan", "--format", "json", *map(str, paths)])
    results = json.loads(capsys.readouterr().out)["results"]
    assert code == 1 and all(r["verdict"] in ("malicious", "error") for r in results), [
        (r["filename"], r["verdict"]) for r in results
    ]
