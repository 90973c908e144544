"""[tool.vetpy]: settings, the ignore list (reason, expiry), and its effect on reports and exit codes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from vetpy.cli.main import main
from vetpy.errors import VetpyError
from vetpy.projectconfig import IgnoreEntry, apply_ignores, find_config, load_config
from vetpy.result import ScanResult, Verdict
from vetpy.scan import exit_code

SHA = "c" * 64


def _result(
    name: str, version: str, verdict: Verdict = Verdict.MALICIOUS, sha: str | None = None
) -> ScanResult:
    return ScanResult(
        target=f"{name}=={version}", name=name, version=version, sha256=sha, verdict=verdict, score=0.9,
        threshold=0.5,
    )  # fmt: skip


def _pyproject(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "demo"\n\n' + body)
    return path


def test_settings_and_entries_are_read(tmp_path: Path) -> None:
    path = _pyproject(
        tmp_path,
        '[tool.vetpy]\nformat = "sarif"\nthreshold = 0.4\ntargets = ["requirements.txt"]\n\n'
        '[[tool.vetpy.ignore]]\npackage = "Internal_Tool==2.1"\nreason = "our own"\nexpires = 2027-06-30\n\n'
        f'[[tool.vetpy.ignore]]\nsha256 = "sha256:{SHA.upper()}"\nreason = "reviewed file"\n',
    )
    config = load_config(path)
    assert config.settings == {"format": "sarif", "threshold": 0.4, "targets": ["requirements.txt"]}
    assert config.ignore == (
        IgnoreEntry("Internal_Tool==2.1", "our own", dt.date(2027, 6, 30)),
        IgnoreEntry(f"sha256:{SHA}", "reviewed file"),
    )
    (tmp_path / "sub").mkdir()
    assert find_config(tmp_path / "sub") == path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[tool.vetpy.ignore]]\npackage = "x==1"\n', "needs a reason"),
        ('[[tool.vetpy.ignore]]\npackage = "x>=1"\nreason = "r"\n', "must pin one version"),
        ('[[tool.vetpy.ignore]]\nsha256 = "abc"\nreason = "r"\n', "is not 64 hex digits"),
        ('[[tool.vetpy.ignore]]\npackage = "x==1"\nsha256 = "' + SHA + '"\nreason = "r"\n', "exactly one of"),
        ('[[tool.vetpy.ignore]]\npackage = "x==1"\nreason = "r"\nexpires = "soon"\n', "is not a date"),
        ("[tool.vetpy]\nthresold = 0.2\n", "unknown setting(s): thresold"),
    ],
)
def test_a_malformed_table_is_a_usage_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(VetpyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(_pyproject(tmp_path, body))


def test_ignored_results_stay_marked_and_expired_entries_say_so() -> None:
    entries = [
        IgnoreEntry("internal-tool==2.1.0", "our own", dt.date(2030, 1, 1)),
        IgnoreEntry("old==1.0", "was fine", dt.date(2020, 1, 1)),
        IgnoreEntry(f"sha256:{SHA}", "reviewed"),
    ]
    results = [
        _result("Internal.Tool", "2.1"),  # same name and version, spelled differently
        _result("old", "1.0"),
        _result("byhash", "3.0", sha=SHA),
        _result("other", "1.0", Verdict.BENIGN),
    ]
    marked, warnings = apply_ignores(results, entries, today=dt.date(2026, 12, 1))
    assert [r.ignored.reason if r.ignored else None for r in marked] == ["our own", None, "reviewed", None]
    assert marked[0].ignored is not None and marked[0].ignored.expires == "2030-01-01"
    assert marked[1].notes == ("ignore entry old==1.0 expired on 2020-01-01: it no longer applies",)
    assert warnings == list(marked[1].notes)
    assert exit_code(marked) == 1  # "old" still counts: its entry expired
    assert exit_code([marked[0], marked[2], marked[3]]) == 0


def test_scan_uses_the_config_and_keeps_ignored_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], make_archive: object
) -> None:
    from conftest import ArchiveBuilder

    build: ArchiveBuilder = make_archive  # type: ignore[assignment]
    setup = (
        "import base64, subprocess\nfrom setuptools import setup\n"
        "from setuptools.command.install import install\n"
        "class I(install):\n    def run(self):\n        exec(base64.b64decode('cHJpbnQoMSk='))\n"
        "        subprocess.call(['sh', '-c', 'env'])\n        install.run(self)\n"
        "setup(name='evilpkg', version='1.0.0', cmdclass={'install': I})\n"
    )
    archive = tmp_path / "evilpkg-1.0.0.tar.gz"
    files = {
        "evilpkg-1.0.0/setup.py": setup.encode(),
        "evilpkg-1.0.0/PKG-INFO": b"Name: evilpkg\nVersion: 1.0.0\n",
    }
    archive.write_bytes(build(files))
    _pyproject(
        tmp_path,
        f'[tool.vetpy]\nformat = "json"\nmodel = "rules"\ntargets = ["{archive.name}"]\n\n'
        '[[tool.vetpy.ignore]]\npackage = "evilpkg==1.0.0"\nreason = "a test fixture"\n',
    )
    monkeypatch.chdir(tmp_path)
    code = main(["scan"])
    doc = json.loads(capsys.readouterr().out)
    [result] = doc["results"]
    assert result["verdict"] == "malicious" and result["ignored"]["reason"] == "a test fixture"
    assert code == 0
    code = main(["scan", "--no-config", "--format", "json", "--model", "rules", archive.name])
    assert code == 1 and json.loads(capsys.readouterr().out)["results"][0]["ignored"] is None
