"""Release diffs of two locally built versions: the hijacked one's payload is named by file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diffpkgs import demo_sdist, payload
from vetpy.acquire.archive import open_archive
from vetpy.cli.main import main
from vetpy.diff import diff_archives
from vetpy.diff.paths import normalise


@pytest.fixture
def releases(tmp_path: Path) -> tuple[Path, Path, Path]:
    canary = tmp_path / "canary"
    old = tmp_path / "demo-1.0.tar.gz"
    new = tmp_path / "demo-1.1.tar.gz"
    old.write_bytes(demo_sdist("1.0"))
    new.write_bytes(demo_sdist("1.1", canary))
    return new, old, canary


def test_diff_names_the_new_payload_by_file_and_line(releases: tuple[Path, Path, Path]) -> None:
    new, old, canary = releases
    _, exec_line, url_line = payload(canary)
    diff = diff_archives(open_archive(new, target="new"), open_archive(old, target="old"))
    assert (diff.new.version, diff.old.version) == ("1.1", "1.0")
    assert set(diff.added) == {"demo-1.1/demo/_telemetry.py", "demo-1.1/demo-init.pth"}
    assert set(diff.changed) >= {"demo-1.1/setup.py", "demo-1.1/demo/__init__.py", "demo-1.1/PKG-INFO"}
    assert diff.removed == ()
    where = {(b.feature, b.file, b.line) for b in diff.behaviours}
    assert ("code.decode_exec", "demo-1.1/demo/_telemetry.py", exec_line) in where
    assert all(b.file != "demo-1.1/README.md" for b in diff.behaviours)
    endpoint = next(e for e in diff.endpoints if e.host == "203.0.113.7")
    assert (endpoint.file, endpoint.line) == ("demo-1.1/demo/_telemetry.py", url_line)
    assert endpoint.new_host
    assert all("docs.example.org" not in e.value for e in diff.endpoints)  # unchanged README, not code
    hooks = {(h.kind, h.change): h for h in diff.hooks}
    assert hooks["setup.py", "changed"].file == "demo-1.1/setup.py"
    assert hooks["setup.py", "changed"].line == 2  # the first line 1.0 did not have
    assert hooks["pth", "added"].file == "demo-1.1/demo-init.pth"
    assert hooks["entry_point", "added"].detail == "console_scripts: demo-sync = demo._telemetry:main"
    assert hooks["entry_point", "added"].line == 3
    assert diff.notable
    assert not canary.exists()  # nothing was run


def test_same_content_is_not_notable(tmp_path: Path) -> None:
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    a.write_bytes(demo_sdist("1.0"))
    b.write_bytes(demo_sdist("1.0"))
    diff = diff_archives(open_archive(a, target="a"), open_archive(b, target="b"))
    assert (diff.added, diff.removed, diff.changed) == ((), (), ())
    assert not diff.notable and diff.behaviours == () and diff.hooks == () and diff.endpoints == ()


def test_old_behaviour_on_an_unchanged_line_is_not_new(tmp_path: Path) -> None:
    """The payload already in the old release is not reported again; only what 1.2 adds is."""
    canary = tmp_path / "canary"
    old, new = tmp_path / "demo-1.1.tar.gz", tmp_path / "demo-1.2.tar.gz"
    old.write_bytes(demo_sdist("1.1", canary))
    new.write_bytes(demo_sdist("1.2", canary))
    diff = diff_archives(open_archive(new, target="new"), open_archive(old, target="old"))
    assert diff.behaviours == () and diff.endpoints == () and diff.hooks == ()
    assert "demo-1.2/PKG-INFO" in diff.changed


def test_cli_local_archives_text_and_json(
    releases: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    new, old, canary = releases
    _, exec_line, _ = payload(canary)
    assert main(["diff", str(new), str(old), "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"new", "old", "files", "behaviours", "endpoints", "install_hooks", "notable", "notes"}
    assert doc["notable"] is True and "demo-1.1/demo/_telemetry.py" in doc["files"]["added"]
    assert main(["diff", str(new), str(old)]) == 1
    text = capsys.readouterr().out
    assert f"(demo-1.1/demo/_telemetry.py:{exec_line})" in text
    assert "[new host] http://203.0.113.7:8080/collect" in text
    report = new.with_name("diff.json")
    assert main(["diff", str(new), str(old), "--format", "json", "--output", str(report)]) == 1
    assert json.loads(report.read_text())["files"]["added"] == doc["files"]["added"]
    assert main(["diff", str(old), str(old)]) == 0
    assert "nothing that matters changed" in capsys.readouterr().out
    assert main(["diff", str(new), str(new.with_name("missing.tar.gz"))]) == 3
    assert "vetpy diff:" in capsys.readouterr().err
    assert not canary.exists()


def test_paths_match_across_versions() -> None:
    assert normalise("demo-1.0/demo/x.py", "demo-1.0") == "demo/x.py"
    assert normalise("demo-1.0.dist-info/RECORD", None) == "demo.dist-info/RECORD"
    assert normalise("demo-2.0rc1.data/scripts/run", None) == "demo.data/scripts/run"
