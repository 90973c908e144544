"""``vetpy scan`` on project files: lockfiles through a local index, hashes, origins, refusals, trust."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import ArchiveBuilder, FakeIndex
from vetpy.cli.main import main

PAYLOAD = "open('canary.txt', 'w').write('ran')\n"  # defanged: would only write a canary file

EVIL_SETUP = f'''import base64, os, subprocess
from setuptools import setup
from setuptools.command.install import install

BLOB = "{base64.b64encode(PAYLOAD.encode()).decode()}"


class PostInstall(install):
    def run(self):
        exec(base64.b64decode(BLOB))
        subprocess.call(["sh", "-c", "env > /dev/null"])
        install.run(self)


setup(name="evilpkg", version="1.0.0", packages=["evilpkg"], cmdclass={{"install": PostInstall}})
'''

GOOD_SETUP = """from setuptools import setup

setup(name="goodpkg", version="1.2.0", url="https://github.com/example/goodpkg", license="MIT",
      packages=["goodpkg"])
"""


def _pkg_info(name: str, version: str) -> str:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a package\n"
        "Home-page: https://github.com/example/x\nAuthor: Jane Doe\nLicense: MIT\n\nA package.\n"
    )


def _sdist(build: ArchiveBuilder, name: str, version: str, setup: str) -> bytes:
    files = {"PKG-INFO": _pkg_info(name, version), "setup.py": setup, f"{name}/__init__.py": ""}
    return build({f"{name}-{version}/{path}": text.encode() for path, text in files.items()}, "tar.gz")


@pytest.fixture
def index(fake_index: FakeIndex, make_archive: ArchiveBuilder, monkeypatch: pytest.MonkeyPatch) -> FakeIndex:
    fake_index.add_file(
        "evilpkg", "evilpkg-1.0.0.tar.gz", _sdist(make_archive, "evilpkg", "1.0.0", EVIL_SETUP)
    )
    fake_index.add_file(
        "goodpkg", "goodpkg-1.2.0.tar.gz", _sdist(make_archive, "goodpkg", "1.2.0", GOOD_SETUP)
    )
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url)
    return fake_index


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "--format", "json", "--model", "rules", *args])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if captured.out else {}), captured.err


def _sha(index: FakeIndex, filename: str) -> str:
    return hashlib.sha256(index.blobs[filename]).hexdigest()


def test_uv_lock_results_point_at_their_lines(
    capsys: pytest.CaptureFixture[str], index: FakeIndex, tmp_path: Path
) -> None:
    lock = tmp_path / "uv.lock"
    good_sha, evil_sha = _sha(index, "goodpkg-1.2.0.tar.gz"), _sha(index, "evilpkg-1.0.0.tar.gz")
    source = 'source = { registry = "https://127.0.0.1/simple" }'
    lock.write_text(
        'version = 1\nrequires-python = ">=3.11"\n\n'
        f'[[package]]\nname = "goodpkg"\nversion = "1.2.0"\n{source}\n'
        f'sdist = {{ url = "https://127.0.0.1/g.tar.gz", hash = "sha256:{good_sha}" }}\n\n'
        f'[[package]]\nname = "evilpkg"\nversion = "1.0.0"\n{source}\n'
        f'sdist = {{ url = "https://127.0.0.1/e.tar.gz", hash = "sha256:{evil_sha}" }}\n'
    )
    code, doc, _ = _scan(capsys, str(lock))
    assert code == 1
    by_name = {r["name"]: r for r in doc["results"]}
    assert by_name["goodpkg"]["verdict"] == "benign" and by_name["goodpkg"]["origin"] == f"{lock}:5"
    assert by_name["evilpkg"]["verdict"] == "malicious" and by_name["evilpkg"]["origin"] == f"{lock}:11"


def test_a_hash_mismatch_is_an_error(
    capsys: pytest.CaptureFixture[str], index: FakeIndex, tmp_path: Path
) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"goodpkg==1.2.0 --hash=sha256:{'0' * 64}\n")
    code, doc, _ = _scan(capsys, "-r", str(requirements))
    [result] = doc["results"]
    assert code == 3 and result["verdict"] == "error"
    assert result["error"].startswith("goodpkg-1.2.0.tar.gz: does not match the pinned hashes")
    requirements.write_text(f"goodpkg==1.2.0 --hash=sha256:{_sha(index, 'goodpkg-1.2.0.tar.gz')}\n")
    code, doc, _ = _scan(capsys, "-r", str(requirements))
    assert code == 0 and doc["results"][0]["verdict"] == "benign"


def test_special_files_are_refused_and_secrets_never_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VETPY_SECRET_TOKEN", "s3cr3t-token-value")
    code, doc, err = _scan(capsys, "-r", "/proc/self/environ")
    assert code == 2 and doc == {}
    assert err.count("\n") == 1 and "refused" in err and "s3cr3t" not in err
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("-r /proc/self/environ\n")
    for fmt in ("json", "sarif", "text", "markdown"):
        code = main(["scan", "--format", fmt, "--model", "rules", "-r", str(requirements)])
        out = capsys.readouterr().out
        assert "s3cr3t" not in out and "refused" in out
        assert code == 3  # an error result, nothing flagged
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    code, _, err = _scan(capsys, "-r", str(fifo))
    assert code == 2 and "not a regular file" in err


def test_an_unsupported_file_is_one_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Release notes\n\nNothing here is a requirement.\n" * 100)
    code, doc, err = _scan(capsys, str(notes))  # neither a project file nor an archive: one error result
    [result] = doc["results"]
    assert code in (2, 3) and result["verdict"] == "error" and "\n" not in result["error"]
    broken = tmp_path / "requirements-dev.txt"  # named as a project file: unreadable is a usage error
    broken.write_bytes(b"\xff\xfe not utf-8 \x00")
    code, doc, err = _scan(capsys, str(broken))
    assert code == 2 and doc == {} and err.count("\n") == 1 and "binary content" in err
    code, doc, err = _scan(capsys, "-r", str(notes))  # not one requirement in it: one error, not 100
    assert code == 2 and doc == {} and err.count("\n") == 1 and "not a requirements file" in err


def test_requirement_indexes_need_trust(
    capsys: pytest.CaptureFixture[str], index: FakeIndex, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens there
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"--index-url {index.url}\ngoodpkg==1.2.0\n")
    code, doc, _ = _scan(capsys, "-r", str(requirements))
    assert code != 0
    by_target = {r["target"]: r for r in doc["results"]}
    note = by_target[str(requirements)]
    assert "--trust-requirements-indexes" in " ".join(note["notes"]) + (note["error"] or "")
    assert by_target["goodpkg==1.2.0"]["verdict"] == "error"  # looked up on the configured index only
    code, doc, _ = _scan(capsys, "--trust-requirements-indexes", "-r", str(requirements))
    assert code == 0 and [r["verdict"] for r in doc["results"]] == ["benign"]
