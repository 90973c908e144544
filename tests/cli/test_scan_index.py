"""`vetpy scan` against a PEP 691 index on 127.0.0.1: the files pip would choose, logins, no leaked secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyindex import LocalIndex, build_sdist, isolate_pip, serve
from vetpy.cli.main import main

TOKEN = "tok-3f9a1c77e2b54d0a"
FORMATS = ("text", "json", "sarif")


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    with serve(LocalIndex(login=("ci", TOKEN))) as idx:
        idx.add_wheel("tidy", "1.2.0", {"tidy/__init__.py": b"def add(a, b):\n    return a + b\n"})
        idx.add_sdist("tidy", "1.2.0", {"setup.py": b"from setuptools import setup\nsetup(name='tidy')\n"})
        idx.add("tidy", "tidy-2.0-dev-9429.tar.gz", build_sdist("tidy-2.0-dev", "9429", {})[1])
        yield idx


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["scan", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_auto_scans_the_wheel_pip_picks_and_the_sdist(
    index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.login_url)
    code, out, _ = run(capsys, "tidy", "--format", "json", "--model", "rules")
    results = json.loads(out)["results"]
    assert [r["filename"] for r in results] == ["tidy-1.2.0-py3-none-any.whl", "tidy-1.2.0.tar.gz"]
    assert {r["version"] for r in results} == {"1.2.0"}  # never "9429" from a loose file name
    assert code == 0 and all(r["verdict"] == "benign" for r in results)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_token_in_any_output(
    fmt: str, index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.login_url)
    code, out, err = run(capsys, "tidy==1.2.0", "missing==1.0", "--format", fmt, "--model", "rules")
    assert code != 0 and "missing" in out  # the 404 names the index URL: without its login
    assert TOKEN not in out + err and "ci:" not in out + err
    assert "***@127.0.0.1" in out
    # a wrong login is refused by the server and the error carries no token either
    monkeypatch.setenv("PIP_INDEX_URL", index.login_url.replace(TOKEN, TOKEN[::-1]))
    code, out, err = run(capsys, "tidy==1.2.0", "--format", fmt, "--model", "rules")
    assert code != 0 and "HTTP 401" in out
    assert TOKEN[::-1] not in out + err


@pytest.mark.parametrize("fmt", FORMATS)
def test_netrc_login(
    fmt: str,
    index: LocalIndex,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login ci password {TOKEN}\n")
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    out_file = tmp_path / f"report.{fmt}"
    _, out, err = run(
        capsys, "tidy==1.2.0", "nope", "--format", fmt, "--model", "rules", "--output", str(out_file)
    )
    report = out_file.read_text()
    assert "tidy" in report or fmt == "sarif"  # sarif lists flagged packages only
    assert TOKEN not in report + out + err
    assert "Basic " in (index.auth_seen[0] or "")


def test_batch_output_has_no_token(
    index: LocalIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.login_url)
    targets = tmp_path / "targets.txt"
    targets.write_text("tidy==1.2.0\nmissing==2\n")
    out = tmp_path / "out.jsonl"
    main(["batch", str(targets), "--out", str(out), "--model", "rules"])
    captured = capsys.readouterr()
    text = out.read_text()
    assert "missing" in text and TOKEN not in text + captured.out + captured.err
