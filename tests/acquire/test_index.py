"""IndexClient against a real HTTP server on 127.0.0.1 serving PEP 691 JSON pages and files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import ArchiveBuilder, FakeIndex
from pyindex import isolate_pip
from vetpy.acquire.index import IndexClient, configured_index_url, latest_version, verify_sha256
from vetpy.acquire.release import FileKind, ReleaseFile, file_kind
from vetpy.errors import IndexLookupError


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_pip(monkeypatch, tmp_path)


@pytest.fixture
def index(fake_index: FakeIndex, make_archive: ArchiveBuilder) -> FakeIndex:
    sdist = make_archive({"demo-1.0/setup.py": b"x = 1\n"}, "tar.gz")
    fake_index.add_file("demo", "demo-1.0.tar.gz", sdist)
    fake_index.add_file("demo", "demo-1.0-py3-none-any.whl", make_archive({"demo/__init__.py": b""}, "zip"))
    fake_index.add_file("demo", "demo-2.0.tar.gz", make_archive({"demo-2.0/setup.py": b"x = 2\n"}, "tar.gz"))
    fake_index.add_file("demo", "demo-3.0b1.tar.gz", make_archive({"a": b"b"}, "tar.gz"))
    fake_index.add_file("demo", "demo-4.0.tar.gz", make_archive({"a": b"y"}, "tar.gz"), yanked=True)
    fake_index.add_file("demo", "demo-2.0-dev-9429.tar.gz", make_archive({"a": b"old"}, "tar.gz"))
    wheel = make_archive({"wonly/__init__.py": b""}, "zip")
    fake_index.add_file("wonly", "wonly-0.1-cp311-cp311-macosx_11_0_arm64.whl", wheel)
    fake_index.add_file("wonly", "wonly-0.1-py3-none-any.whl", wheel)
    return fake_index


def test_configured_index_url_from_env(monkeypatch: pytest.MonkeyPatch, fake_index: FakeIndex) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url + "/")
    assert configured_index_url() == fake_index.url
    assert IndexClient().index_url == fake_index.url


def test_configured_index_url_from_pip_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:9/simple/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    assert configured_index_url() == "http://127.0.0.1:9/simple"


def test_the_default_index_is_pips_own(monkeypatch: pytest.MonkeyPatch) -> None:
    from pip._internal.models.index import PyPI

    assert configured_index_url() == PyPI.simple_url.rstrip("/")


def test_release_files_read_names_strictly(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    files = client.release_files("Demo")  # names are canonicalised
    kinds = {f.filename: (f.packagetype, f.version) for f in files}
    assert kinds["demo-1.0-py3-none-any.whl"] == ("wheel", "1.0")
    assert kinds["demo-3.0b1.tar.gz"] == ("sdist", "3.0b1")
    assert kinds["demo-2.0-dev-9429.tar.gz"] == ("other", "")  # project "demo-2.0-dev", not version 9429
    assert all(f.url.startswith("http://127.0.0.1:") for f in files)
    assert "/simple/demo/" in index.requests


def test_file_kind() -> None:
    assert file_kind("selenium-2.0-dev-9429.tar.gz", "selenium") == ("other", None)
    assert file_kind("selenium-4.52.0.tar.gz", "selenium") == ("sdist", "4.52.0")
    assert file_kind("Foo_Bar-1.0.zip", "foo-bar") == ("sdist", "1.0")
    assert file_kind("x-1.0-py3-none-any.whl") == ("wheel", "1.0")
    assert file_kind("x-1.0.egg") == ("other", None)
    assert file_kind("x-1.0.egg")[0] is FileKind.OTHER


def test_a_release_files_kind_is_typed_even_when_read_back_as_text() -> None:
    """A kind read back from the choice cache or a release list is a plain string; it becomes a FileKind."""
    release = ReleaseFile("x", "1.0", "x-1.0.tar.gz", "u", None, "sdist", False)  # type: ignore[arg-type]
    assert release.packagetype is FileKind.SDIST and json.dumps(release.packagetype) == '"sdist"'
    with pytest.raises(ValueError, match="'egg' is not a valid FileKind"):
        ReleaseFile("x", "1.0", "x-1.0.egg", "u", None, "egg", False)  # type: ignore[arg-type]


def test_latest_is_what_pip_would_install(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    # not the pre-release 3.0b1, not the yanked 4.0, not "9429" from a loose file name
    assert client.latest_version("demo") == "2.0"


def test_project_names_from_the_root_page(index: FakeIndex) -> None:
    assert IndexClient(index_url=index.url).project_names() == ["demo", "wonly"]
    with pytest.raises(IndexLookupError, match="HTTP 404"):
        IndexClient(index_url=index.url + "/nowhere").project_names()


def test_select_by_artifact(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    assert [f.filename for f in client.select("demo", "1.0")] == [
        "demo-1.0-py3-none-any.whl",  # what pip would install here
        "demo-1.0.tar.gz",  # and the sdist, whose setup.py runs wherever a wheel does not fit
    ]
    assert [f.filename for f in client.select("demo", "1.0", "sdist")] == ["demo-1.0.tar.gz"]
    assert [f.filename for f in client.select("demo", "1.0", "wheel")] == ["demo-1.0-py3-none-any.whl"]
    assert {f.filename for f in client.select("demo", "1.0", "all")} == {
        "demo-1.0.tar.gz",
        "demo-1.0-py3-none-any.whl",
    }
    assert [f.filename for f in client.select("demo", None)] == ["demo-2.0.tar.gz"]
    # a macOS wheel is never what pip installs on this machine; "all" still lists it
    assert [f.filename for f in client.select("wonly", "0.1")] == ["wonly-0.1-py3-none-any.whl"]
    assert len(client.select("wonly", "0.1", "all")) == 2
    with pytest.raises(IndexLookupError, match=r"demo==2.0: no wheel for this machine"):
        client.select("demo", "2.0", "wheel")
    with pytest.raises(IndexLookupError, match=r"demo==9.9: no matching release"):
        client.select("demo", "9.9")
    with pytest.raises(IndexLookupError, match=r"unknown artifact"):
        client.select("demo", "1.0", "egg")


def test_specifiers_and_prereleases(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    assert client.choose(Requirement("demo<2")).version == "1.0"
    assert client.choose(Requirement("demo>=3.0b1")).version == "3.0b1"  # the specifier names a pre-release
    assert client.choose(Requirement("demo==4.0")).files[0].yanked  # a pin may take a yanked file, as in pip
    files = client.release_files("demo")
    assert latest_version(files, "demo") == "2.0"
    with pytest.raises(IndexLookupError, match=r"demo>5: no matching release"):
        latest_version(files, "demo", Requirement("demo>5").specifier)


def test_download_verifies_sha256(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    release = client.select("demo", "1.0", "sdist")[0]
    data = client.download(release)
    assert hashlib.sha256(data).hexdigest() == release.sha256
    with pytest.raises(IndexLookupError, match=r"larger than 10 bytes"):
        client.download(release, max_bytes=10)


def test_download_sha256_mismatch(fake_index: FakeIndex) -> None:
    fake_index.add_file("bad", "bad-1.0.tar.gz", b"tampered bytes", sha256="ab" * 32)
    client = IndexClient(index_url=fake_index.url)
    release = client.select("bad", "1.0")[0]
    with pytest.raises(
        IndexLookupError, match=r"^bad-1.0.tar.gz: sha256 mismatch with the index \(expected abab"
    ):
        client.download(release)


def test_not_found_and_bad_answers(fake_index: FakeIndex) -> None:
    client = IndexClient(index_url=fake_index.url)
    with pytest.raises(IndexLookupError, match=r"missing: not on the index: .*/simple/missing/: HTTP 404$"):
        client.choose(Requirement("missing"))
    with pytest.raises(IndexLookupError, match=r"/simple/missing/: HTTP 404$"):
        client.release_files("missing")
    with pytest.raises(IndexLookupError):
        IndexClient(index_url="http://127.0.0.1:9/simple", timeout=2).release_files("x")


def test_verify_sha256() -> None:
    digest = hashlib.sha256(b"abc").hexdigest()
    assert verify_sha256(b"abc", digest.upper(), "f") == digest
    assert verify_sha256(b"abc", None, "f") == digest
    with pytest.raises(IndexLookupError, match=r"^f: sha256 mismatch"):
        verify_sha256(b"abd", digest, "f")
