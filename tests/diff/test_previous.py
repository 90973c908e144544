"""Diffs against the previous release on a local PEP 691 index, and ``scan --against-previous``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import FakeIndex, build_archive
from diffpkgs import demo_sdist, payload
from vetpy.acquire.index import ReleaseFile
from vetpy.cli.main import main
from vetpy.diff.previous import previous_version


@pytest.fixture
def index(fake_index: FakeIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeIndex:
    canary = tmp_path / "canary"
    fake_index.add_file("demo", "demo-0.9.tar.gz", demo_sdist("0.9"))
    fake_index.add_file("demo", "demo-1.0.tar.gz", demo_sdist("1.0"))
    fake_index.add_file("demo", "demo-1.0-py3-none-any.whl", build_archive({"demo/__init__.py": b""}, "zip"))
    fake_index.add_file("demo", "demo-1.0.5.tar.gz", demo_sdist("1.0.5"), yanked=True)
    fake_index.add_file("demo", "demo-1.1.tar.gz", demo_sdist("1.1", canary))
    fake_index.add_file("solo", "solo-1.0.tar.gz", build_archive({"solo-1.0/solo.py": b"x = 1\n"}))
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url)
    return fake_index


def _files(*versions: str, yanked: tuple[str, ...] = ()) -> list[ReleaseFile]:
    return [
        ReleaseFile("p", v, f"p-{v}.tar.gz", "u", None, "sdist", v in yanked) for v in versions
    ]  # fmt: skip


def test_previous_version_skips_yanked_and_prereleases() -> None:
    files = _files("0.9", "1.0", "1.0.5", "1.1rc1", "1.1", "2.0", yanked=("1.0.5",))
    assert previous_version(files, "1.1") == "1.0"
    assert previous_version(files, "2.0") == "1.1"
    assert previous_version(files, "1.1rc1") == "1.0"
    assert previous_version(files, "0.9") is None
    assert previous_version(_files("1.0rc1", "1.0rc2"), "1.0rc2") == "1.0rc1"  # only pre-releases before


def test_diff_defaults_to_the_previous_release_on_the_index(
    index: FakeIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, exec_line, _ = payload(tmp_path / "canary")
    assert main(["diff", "demo==1.1", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert (doc["new"]["filename"], doc["old"]["filename"]) == ("demo-1.1.tar.gz", "demo-1.0.tar.gz")
    places = {(b["feature"], b["file"], b["line"]) for b in doc["behaviours"]}
    assert ("code.decode_exec", "demo-1.1/demo/_telemetry.py", exec_line) in places
    assert main(["diff", "demo", "demo==0.9", "--format", "json"]) == 1  # latest (1.1) against 0.9
    doc = json.loads(capsys.readouterr().out)
    assert (doc["new"]["version"], doc["old"]["version"]) == ("1.1", "0.9")
    assert main(["diff", "demo==1.0"]) == 0  # 1.0 against 0.9: only the version changed
    out = capsys.readouterr().out
    assert "old: demo==0.9 (demo-0.9.tar.gz" in out and "nothing that matters changed" in out
    assert main(["diff", "solo==1.0"]) == 3
    assert "no earlier release on the index" in capsys.readouterr().err
    assert not (tmp_path / "canary").exists()


def test_scan_against_previous_adds_diff_reasons(
    index: FakeIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, exec_line, url_line = payload(tmp_path / "canary")
    args = ["scan", "--model", "rules", "--format", "json", "--no-osv", "demo==1.1", "demo==0.9"]
    main([*args, "--against-previous"])
    hijacked, first = json.loads(capsys.readouterr().out)["results"]
    diff_reasons = [r for r in hijacked["reasons"] if r["feature"].startswith("diff.")]
    assert 1 <= len(diff_reasons) <= 5
    assert {"feature": "diff.new_behaviour", "file": "demo-1.1/demo/_telemetry.py", "line": exec_line} in [
        {k: r[k] for k in ("feature", "file", "line")} for r in diff_reasons
    ]
    assert all("since 1.0" in r["message"] for r in diff_reasons)
    assert "compared with demo==1.0 (demo-1.0.tar.gz)" in hijacked["notes"]
    assert not any(r["feature"].startswith("diff.") for r in first["reasons"])
    assert any(n.startswith("not compared with a previous release:") for n in first["notes"])
    main(args)  # without the option nothing is compared
    plain = json.loads(capsys.readouterr().out)["results"][0]
    assert not any(r["feature"].startswith("diff.") for r in plain["reasons"]) and url_line
