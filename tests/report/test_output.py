"""Outputs that cannot lie: atomic --output, escaped text, one stderr line per failure, no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import ArchiveBuilder
from vetpy.cli.main import main
from vetpy.errors import VetpyError
from vetpy.report.escape import escape_text
from vetpy.report.output import write_atomic

GOOD = {
    "good-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: good\nVersion: 1.0\n",
    "good-1.0/setup.py": b"x = 1\n",
}


def test_write_atomic_replaces_whole_or_leaves_old(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("old\n")
    write_atomic(out, "new\n")
    assert out.read_text() == "new\n" and os.listdir(tmp_path) == ["report.json"]
    folder = tmp_path / "sub"
    folder.mkdir()
    (folder / "report.json").write_text("kept\n")
    folder.chmod(0o500)  # the temp file cannot be created: the old file stays, nothing is left behind
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running with permissions that ignore folder modes")
        with pytest.raises(VetpyError, match="cannot write"):
            write_atomic(folder / "report.json", "new\n")
        assert (folder / "report.json").read_text() == "kept\n" and os.listdir(folder) == ["report.json"]
    finally:
        folder.chmod(0o700)


def test_write_atomic_writes_a_pipe_in_place_and_follows_a_link(tmp_path: Path) -> None:
    """``--output /dev/null`` (or a pipe) must stay what it is: a rename would put a regular file in its
    place (as root, for /dev/null, for every program on the machine). A link keeps pointing at its file."""
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, "report\n")
    reader.join(timeout=10)
    assert got == [b"report\n"]
    assert pipe.is_fifo() and os.listdir(tmp_path) == ["pipe"]
    real = tmp_path / "real.json"
    real.write_text("old\n")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_atomic(link, "new\n")
    assert link.is_symlink() and real.read_text() == "new\n"


def test_failed_output_write_is_one_line_exit_2(
    tmp_path: Path, make_archive: ArchiveBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "good-1.0.tar.gz"
    archive.write_bytes(make_archive(GOOD))
    target = tmp_path / "out.json"
    target.mkdir()  # a folder where the report should go
    assert main(["scan", "--model", "rules", "--format", "json", "--output", str(target), str(archive)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("vetpy: error: cannot write") and "Traceback" not in err
    good_out = tmp_path / "ok.json"
    good_out.write_text("old")
    assert (
        main(["scan", "--model", "rules", "--format", "json", "--output", str(good_out), str(archive)]) == 0
    )
    assert json.loads(good_out.read_text())["results"][0]["filename"] == "good-1.0.tar.gz"


def test_escape_text() -> None:
    assert (
        escape_text("a\x1b[31mred\x07\r\u202etxt.py\udcff") == "a\\x1b[31mred\\x07\\x0d\\u202etxt.py\\udcff"
    )
    assert escape_text("plain näme 名") == "plain näme 名"


def test_control_characters_never_reach_the_terminal(
    tmp_path: Path, make_archive: ArchiveBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    evil_name = "evil\x1b]0;pwned\x07\x1b[2J"
    files = {
        "e-1.0/PKG-INFO": f"Metadata-Version: 2.1\nName: {evil_name}\nVersion: 1.0\x1b[31m\n".encode(),
        "e-1.0/setup.py\x1b[1m": b"x = 1\n",
        "e-1.0/setup.py": b"import os\nos.system('echo \x1b[2J')\n",
    }
    archive = tmp_path / "e\x1b[5m-1.0.tar.gz"
    archive.write_bytes(make_archive(files))
    main(["scan", "--model", "rules", str(archive), str(tmp_path / "missing\x1b[2J.tar.gz")])
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out and "\x07" not in captured.out and "\x1b" not in captured.err
    assert "\\x1b" in captured.out


def test_missing_target_is_failed_not_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--format", "json", str(tmp_path / "missing.tar.gz")])
    captured = capsys.readouterr()
    [result] = json.loads(captured.out)["results"]
    assert code == 3 and result["verdict"] == "error" and result["skipped"] is False
    assert result["error"] and captured.err.count("\n") == 1 and "missing.tar.gz" in captured.err


def test_skipped_on_purpose_is_exit_0_with_a_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-e .\n")
    code = main(["scan", "--format", "json", "-r", str(requirements)])
    captured = capsys.readouterr()
    [result] = json.loads(captured.out)["results"]
    assert code == 0 and result["skipped"] is True and result["error"] is None
    assert any("editable" in note for note in result["notes"]) and captured.err == ""


def test_non_utf8_file_names(
    tmp_path: Path, make_archive: ArchiveBuilder, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = os.fsencode(tmp_path) + b"/caf\xe9-1.0.tar.gz"
    with open(raw, "wb") as handle:
        handle.write(make_archive(GOOD))
    name = os.fsdecode(raw)
    for fmt in ("text", "json", "sarif"):
        assert main(["scan", "--model", "rules", "--format", fmt, name]) == 0
        out = capsys.readouterr().out
        assert "caf" in out or fmt == "sarif"  # SARIF names only flagged packages
        if fmt != "text":
            json.loads(out)


def test_no_traceback_on_internal_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import vetpy.cli.scan_cmd as scan_cmd

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("unexpected\nsecond line")

    monkeypatch.setattr(scan_cmd, "Scanner", boom)
    assert main(["scan", "x.tar.gz"]) == 2
    err = capsys.readouterr().err
    assert err == "vetpy: internal error: RuntimeError: unexpected second line\n"
