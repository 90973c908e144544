"""IndexClient against a real HTTP server on 127.0.0.1 serving PEP 691 JSON pages and files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from conftest import ArchiveBuilder, FakeIndex
from vetpy.acquire.index import IndexClient, configured_index_url, latest_version, select_files, verify_sha256
from vetpy.errors import IndexLookupError


@pytest.fixture
def index(fake_index: FakeIndex, make_archive: ArchiveBuilder) -> FakeIndex:
    sdist = make_archive({"demo-1.0/setup.py": b"x = 1\n"}, "tar.gz")
    fake_index.add_file("demo", "demo-1.0.tar.gz", sdist)
    fake_index.add_file("demo", "demo-1.0-py3-none-any.whl", make_archive({"demo/__init__.py": b""}, "zip"))
    fake_index.add_file("demo", "demo-2.0.tar.gz", make_archive({"demo-2.0/setup.py": b"x = 2\n"}, "tar.gz"))
    fake_index.add_file("demo", "demo-3.0b1.tar.gz", make_archive({"a": b"b"}, "tar.gz"))
    fake_index.add_file("demo", "demo-4.0.tar.gz", make_archive({"a": b"y"}, "tar.gz"), yanked=True)
    wheel = make_archive({"wonly/__init__.py": b""}, "zip")
    fake_index.add_file("wonly", "wonly-0.1-cp311-cp311-manylinux_2_17_x86_64.whl", wheel)
    fake_index.add_file("wonly", "wonly-0.1-py3-none-any.whl", wheel)
    return fake_index


def test_configured_index_url_from_env(monkeypatch: pytest.MonkeyPatch, fake_index: FakeIndex) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", fake_index.url + "/")
    assert configured_index_url() == fake_index.url
    assert IndexClient().index_url == fake_index.url


def test_configured_index_url_from_pip_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = http://127.0.0.1:9/simple/\n")
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    assert configured_index_url() == "http://127.0.0.1:9/simple"


def test_release_files_and_latest(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    files = client.release_files("Demo")  # names are canonicalised
    assert {f.filename for f in files} >= {"demo-1.0.tar.gz", "demo-2.0.tar.gz"}
    kinds = {f.filename: (f.packagetype, f.version) for f in files}
    assert kinds["demo-1.0-py3-none-any.whl"] == ("wheel", "1.0")
    assert kinds["demo-3.0b1.tar.gz"] == ("sdist", "3.0b1")
    assert client.latest_version("demo") == "2.0"  # not the pre-release, not the yanked 4.0
    assert all(f.url.startswith("http://127.0.0.1:") for f in files)
    assert "/simple/demo/" in index.requests


def test_project_names_from_the_root_page(index: FakeIndex) -> None:
    assert IndexClient(index_url=index.url).project_names() == ["demo", "wonly"]
    with pytest.raises(IndexLookupError, match="HTTP 404"):
        IndexClient(index_url=index.url + "/nowhere").project_names()


def test_select_sdist_default_wheel_and_all(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    assert [f.filename for f in client.select("demo", "1.0")] == ["demo-1.0.tar.gz"]
    assert [f.filename for f in client.select("demo", "1.0", "wheel")] == ["demo-1.0-py3-none-any.whl"]
    assert {f.filename for f in client.select("demo", "1.0", "all")} == {
        "demo-1.0.tar.gz",
        "demo-1.0-py3-none-any.whl",
    }
    assert [f.filename for f in client.select("demo", None)] == ["demo-2.0.tar.gz"]
    # no sdist: falls back to the pure wheel
    assert [f.filename for f in client.select("wonly", "0.1")] == ["wonly-0.1-py3-none-any.whl"]
    with pytest.raises(IndexLookupError, match=r"demo==2.0: no wheel on the index"):
        client.select("demo", "2.0", "wheel")
    with pytest.raises(IndexLookupError, match=r"demo==9.9: no such release"):
        client.select("demo", "9.9")
    with pytest.raises(IndexLookupError, match=r"unknown artifact"):
        client.select("demo", "1.0", "egg")


def test_latest_version_with_specifier(index: FakeIndex) -> None:
    from packaging.specifiers import SpecifierSet

    files = IndexClient(index_url=index.url).release_files("demo")
    assert latest_version(files, "demo", SpecifierSet("<2")) == "1.0"
    assert latest_version(files, "demo", SpecifierSet(">=3.0b1")) == "3.0b1"  # only a pre-release matches
    with pytest.raises(IndexLookupError, match=r"demo>5: no matching release"):
        latest_version(files, "demo", SpecifierSet(">5"))
    assert select_files(files, "demo", "1.0.0", "sdist")[0].filename == "demo-1.0.tar.gz"  # 1.0.0 == 1.0


def test_download_verifies_sha256(index: FakeIndex) -> None:
    client = IndexClient(index_url=index.url)
    release = client.select("demo", "1.0")[0]
    data = client.download(release)
    assert hashlib.sha256(data).hexdigest() == release.sha256
    with pytest.raises(IndexLookupError, match=r"larger than 10 bytes"):
        client.download(release, max_bytes=10)


def test_download_sha256_mismatch(fake_index: FakeIndex) -> None:
    fake_index.add_file("bad", "bad-1.0.tar.gz", b"tampered bytes", sha256="ab" * 32)
    client = IndexClient(index_url=fake_index.url)
    release = client.select("bad", "1.0")[0]
    with pytest.raises(IndexLookupError, match=r"^bad-1.0.tar.gz: sha256 mismatch \(expected abababababab…"):
        client.download(release)


def test_not_found_and_bad_answers(fake_index: FakeIndex) -> None:
    client = IndexClient(index_url=fake_index.url)
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
