"""--deep: the whole tree from metadata (PEP 658 files, wheel METADATA, sdist PKG-INFO), no code run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pyindex import LocalIndex, build_sdist, build_wheel, isolate_pip, serve
from vetpy.acquire.index import IndexClient
from vetpy.acquire.resolve import resolve
from vetpy.cli.main import main
from vetpy.errors import AcquireError


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    with serve(LocalIndex()) as idx:
        requires = ["lib>=1", "winonly; sys_platform == 'win32'", "extra-thing; extra == 'x'"]
        idx.add_wheel("app", "1.0", {"app/__init__.py": b""}, requires=requires)
        idx.add_wheel("lib", "1.0", {"lib/__init__.py": b""})
        idx.add_wheel("lib", "2.0", {"lib/__init__.py": b""}, requires=["leaf<2"])
        idx.add("leaf", *build_sdist("leaf", "1.5", {"setup.py": b"x = 1\n"}, requires=["deeper"]))
        idx.add("leaf", *build_sdist("leaf", "2.0", {"setup.py": b"x = 1\n"}))
        idx.add("deeper", *build_sdist("deeper", "1.0", {"setup.py": b"x = 1\n"}, dynamic=True))
        filename, data = build_wheel("nometa", "1.0", {"nometa/__init__.py": b""}, requires=["lib<2"])
        idx.add("nometa", filename, data)  # no PEP 658 file: METADATA is read from the wheel
        yield idx


def test_the_tree_pip_would_install(index: LocalIndex) -> None:
    client = IndexClient(index_url=index.url)
    resolution = resolve(client, [Requirement("app")])
    pins = {p.name: (p.version, p.release.filename, p.required_by) for p in resolution.pins}
    assert pins == {
        "app": ("1.0", "app-1.0-py3-none-any.whl", ()),
        "lib": ("2.0", "lib-2.0-py3-none-any.whl", ("app 1.0",)),
        "leaf": ("1.5", "leaf-1.5.tar.gz", ("lib 2.0",)),  # leaf<2 from lib's metadata
        "deeper": ("1.0", "deeper-1.0.tar.gz", ("leaf 1.5",)),
    }  # no winonly (marker false here), no extra-thing (extra not requested)
    assert resolution.unresolved == (
        "deeper-1.0.tar.gz: dependencies are computed by its build (dynamic): not resolved",
    )
    assert "/files/app-1.0-py3-none-any.whl.metadata" in index.requests  # PEP 658: no wheel download
    assert "/files/app-1.0-py3-none-any.whl" not in index.requests
    both = resolve(client, [Requirement("app"), Requirement("nometa")])
    assert {p.name: p.version for p in both.pins}["lib"] == "1.0"  # backtracked for nometa's lib<2


def test_conflicts_and_missing_are_errors(index: LocalIndex) -> None:
    client = IndexClient(index_url=index.url)
    with pytest.raises(AcquireError, match=r"cannot resolve the dependencies: .*lib"):
        resolve(client, [Requirement("app"), Requirement("lib<1")])


def test_scan_deep(
    index: LocalIndex, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    code = main(["scan", "app", "--deep", "--model", "rules", "--format", "json"])
    results = json.loads(capsys.readouterr().out)["results"]
    scanned = {r["filename"] for r in results if r["filename"]}
    assert scanned == {
        "app-1.0-py3-none-any.whl",
        "lib-2.0-py3-none-any.whl",
        "leaf-1.5.tar.gz",
        "deeper-1.0.tar.gz",
    }
    unresolved = [r for r in results if r["verdict"] == "error"]
    assert (
        len(unresolved) == 1
        and "deeper-1.0.tar.gz: dependencies are computed by its build" in unresolved[0]["error"]
    )
    assert code != 0  # an unresolved part of the tree is not a clean scan
    lib = next(r for r in results if r["filename"] == "lib-2.0-py3-none-any.whl")
    assert "dependency of app 1.0" in " ".join(lib["notes"])
