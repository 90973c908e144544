"""Ground rule 1: scanning never runs package code. Every executable entry point of these packages would
create a canary file if anything ran it (setup.py, __init__.py, a .pth file, an entry point); after scanning
them through the CLI (in-process and as the console script) no canary exists."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ArchiveBuilder
from vetpy.cli.main import main


def _touch(path: Path) -> str:
    return f"open({str(path)!r}, 'w').write('ran')\n"


def canary_files(canaries: Path) -> dict[str, str]:
    """A package whose every run-on-install/import path would write a file under ``canaries``."""
    return {
        "PKG-INFO": "Metadata-Version: 2.1\nName: canary\nVersion: 0.1\n",
        "setup.py": "import os\n"
        + _touch(canaries / "setup_py")
        + "from setuptools import setup\nsetup(name='canary', version='0.1', packages=['canary'],\n"
        "      entry_points={'console_scripts': ['canary = canary.cli:main']})\n",
        "canary/__init__.py": _touch(canaries / "init_py"),
        "canary/cli.py": "def main():\n    " + _touch(canaries / "entry_point").strip() + "\n",
        "canary.pth": "import os; " + _touch(canaries / "pth"),
        "canary/__main__.py": _touch(canaries / "main_py"),
    }


@pytest.fixture
def canaries(tmp_path: Path) -> Path:
    path = tmp_path / "canaries"
    path.mkdir()
    return path


@pytest.fixture
def targets(tmp_path: Path, canaries: Path, make_archive: ArchiveBuilder) -> list[Path]:
    files = canary_files(canaries)
    sdist = tmp_path / "canary-0.1.tar.gz"
    sdist.write_bytes(make_archive({f"canary-0.1/{p}": t.encode() for p, t in files.items()}, "tar.gz"))
    wheel = tmp_path / "canary-0.1-py3-none-any.whl"
    wheel_files = {p: t for p, t in files.items() if p.startswith("canary")}
    wheel_files["canary-0.1.dist-info/METADATA"] = files["PKG-INFO"]
    wheel_files["canary-0.1.dist-info/entry_points.txt"] = "[console_scripts]\ncanary = canary.cli:main\n"
    wheel.write_bytes(make_archive({p: t.encode() for p, t in wheel_files.items()}, "zip"))
    folder = tmp_path / "unpacked" / "canary-0.1"
    for path, text in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(text)
    return [sdist, wheel, folder]


def _tree(root: Path) -> set[Path]:
    return set(root.rglob("*"))


def test_canary_files_would_be_written_if_run(tmp_path: Path, canaries: Path) -> None:
    """Guards the test itself: the canary code is real, so running it would leave a file."""
    code = canary_files(canaries)["canary/__init__.py"]
    exec(compile(code, "canary/__init__.py", "exec"), {})  # the test's own code, not a scanned package's
    assert (canaries / "init_py").exists()
    (canaries / "init_py").unlink()


@pytest.mark.parametrize("fmt", ["json", "text", "sarif"])
def test_scan_in_process_runs_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, canaries: Path, targets: list[Path], fmt: str
) -> None:
    before = _tree(tmp_path)
    code = main(["scan", "--format", fmt, *map(str, targets)])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert list(canaries.iterdir()) == []
    assert _tree(tmp_path) == before  # nothing unpacked or written beside the inputs
    if fmt == "json":
        assert [r["verdict"] for r in json.loads(out)["results"]] != ["error"] * 3


def test_console_script_runs_nothing(tmp_path: Path, canaries: Path, targets: list[Path]) -> None:
    exe = shutil.which("vetpy", path=str(Path(sys.executable).parent)) or shutil.which("vetpy")
    assert exe
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run(
        [exe, "scan", "--format", "json", "--model", "rules", *map(str, targets)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert len(results) == 3 and all(r["verdict"] != "error" for r in results), results
    assert list(canaries.iterdir()) == []
