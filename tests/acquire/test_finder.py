"""The files pip would choose, on a PEP 691 index served on 127.0.0.1 with packages the tests build."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import sys_tags

from pyindex import LocalIndex, build_sdist, build_wheel, isolate_pip, serve
from vetpy.acquire.index import IndexClient
from vetpy.errors import IndexLookupError

MAC = "cp311-cp311-macosx_11_0_arm64"
LINUX = "cp311-cp311-manylinux_2_17_x86_64"
PURE = "py3-none-any"


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    with serve(LocalIndex()) as idx:
        for version in ("1.0", "2.0", "10.0", "11.0rc1"):
            idx.add_sdist("demo", version, {"setup.py": b"x = 1\n"})
        idx.add("demo", "demo-12.0.tar.gz", build_sdist("demo", "12.0", {})[1], yanked=True)
        idx.add("demo", "demo-13.0.tar.gz", build_sdist("demo", "13.0", {})[1], requires_python=">=4")
        idx.add("demo", "demo-2.0-dev-9429.tar.gz", build_sdist("demo-2.0-dev", "9429", {})[1])
        for tag in (MAC, PURE, LINUX):
            filename, data = build_wheel("demo", "10.0", {"demo/__init__.py": tag.encode()}, tag=tag)
            idx.add("demo", filename, data)
        yield idx


def names(client: IndexClient, requirement: str, artifact: str = "auto") -> list[str]:
    return [f.filename for f in client.choose(Requirement(requirement), artifact).files]


def test_the_version_pip_would_install(index: LocalIndex) -> None:
    client = IndexClient(index_url=index.url)
    # PEP 440 order (10.0 > 2.0), no pre-release, not the yanked 12.0, not 13.0 (requires Python >= 4),
    # and not the 2011-style "demo-2.0-dev-9429.tar.gz" that a loose parser reads as version 9429
    assert client.choose(Requirement("demo")).version == "10.0"
    assert client.choose(Requirement("demo>=11.0rc1")).version == "11.0rc1"
    assert client.choose(Requirement("demo==12.0")).files[0].yanked


def test_the_wheel_pip_would_pick_here(index: LocalIndex) -> None:
    client = IndexClient(index_url=index.url)
    offered = {PURE, LINUX, MAC}
    best = next(str(tag) for tag in sys_tags() if str(tag) in offered)  # pip's own ranking on this machine
    assert names(client, "demo") == [f"demo-10.0-{best}.whl", "demo-10.0.tar.gz"]
    assert names(client, "demo", "wheel") == [f"demo-10.0-{best}.whl"]
    assert names(client, "demo", "sdist") == ["demo-10.0.tar.gz"]
    assert sorted(names(client, "demo", "all")) == sorted(
        [f"demo-10.0-{t}.whl" for t in offered] + ["demo-10.0.tar.gz"]
    )
    assert MAC not in names(client, "demo")[0]


def test_only_a_foreign_wheel_is_still_scanned(index: LocalIndex) -> None:
    filename, data = build_wheel("maconly", "1.0", {"m.py": b""}, tag=MAC)
    index.add("maconly", filename, data)
    selection = IndexClient(index_url=index.url).choose(Requirement("maconly"))
    assert [f.filename for f in selection.files] == [filename]
    assert any("fits this machine" in n for n in selection.notes)


def test_hash_pins_choose_the_pinned_file(index: LocalIndex) -> None:
    client = IndexClient(index_url=index.url)
    sdist = index.blobs["demo-10.0.tar.gz"]
    pin = f"sha256:{hashlib.sha256(sdist).hexdigest()}"
    selection = client.choose(Requirement("demo==10.0"), "auto", [pin])
    assert [f.filename for f in selection.files] == ["demo-10.0.tar.gz"]  # as pip: only pinned files
    assert client.download(selection.files[0], pins=[pin]) == sdist


def test_extra_index_and_missing_projects(index: LocalIndex) -> None:
    with serve(LocalIndex()) as other:
        other.add_sdist("elsewhere", "3.0", {"setup.py": b""})
        client = IndexClient(index_url=index.url)
        assert client.settings.extra_index_urls == ()
        from dataclasses import replace

        both = IndexClient(settings=replace(client.settings, extra_index_urls=(other.url,)))
        assert names(both, "elsewhere") == ["elsewhere-3.0.tar.gz"]
        assert names(both, "demo==1.0") == ["demo-1.0.tar.gz"]
        with pytest.raises(IndexLookupError, match=r"no matching release|not on the index"):
            both.choose(Requirement("nowhere"))
