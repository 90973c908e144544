"""The batch output file: locked against a second batch, resumed however the input paths are spelled."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import build_archive
from vetpy.batch.output import locked_output, target_key
from vetpy.cli.main import main
from vetpy.errors import VetpyError

GOOD = {
    "good-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: good\nVersion: 1.0\n",
    "good-1.0/setup.py": b"x = 1\n",
}


def test_second_batch_on_the_same_file_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "in" / "good-1.0.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(build_archive(GOOD))
    out = tmp_path / "out.jsonl"
    with locked_output(out):  # a batch is writing this file
        with pytest.raises(VetpyError, match="another batch"), locked_output(out):
            pass
        code = main(
            ["batch", str(archive.parent), "--out", str(out), "--jobs", "1", "--model", "rules", "--resume"]
        )
        assert code == 2 and "another batch" in capsys.readouterr().err
    assert out.read_text() == ""
    assert main(["batch", str(archive.parent), "--out", str(out), "--jobs", "1", "--model", "rules"]) == 0
    assert len(out.read_text().splitlines()) == 1


def test_resume_recognises_paths_however_spelled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "in" / "good-1.0.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(build_archive(GOOD))
    os.symlink(archive.parent, tmp_path / "alias")
    monkeypatch.chdir(tmp_path)
    spellings = ["in/good-1.0.tar.gz", "./in//good-1.0.tar.gz", str(archive), "alias/good-1.0.tar.gz"]
    assert len({target_key(s) for s in spellings}) == 1
    out = tmp_path / "out.jsonl"
    for i, spelling in enumerate(spellings):
        listing = tmp_path / f"targets{i}.txt"
        listing.write_text(spelling + "\n")
        args = ["batch", str(listing), "--out", str(out), "--jobs", "1", "--model", "rules"]
        assert main([*args, "--resume"] if i else args) == 0
    assert [json.loads(line)["target"] for line in out.read_text().splitlines()] == ["in/good-1.0.tar.gz"]
    assert target_key("pkg==1.0 ") == "pkg==1.0"
