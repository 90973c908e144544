"""Downloads cached by sha256 and index pages reused: a second fetch makes no request."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import FakeIndex
from vetpy.cache.downloads import CachingIndexClient, DownloadCache, pins_one_version
from vetpy.errors import IndexLookupError


def test_files_are_checked_on_read(tmp_path: Path) -> None:
    cache = DownloadCache(tmp_path)
    data = b"archive bytes"
    sha = hashlib.sha256(data).hexdigest()
    assert cache.get(sha) is None
    cache.put(data, sha)
    assert cache.get(sha) == data
    (tmp_path / "files" / sha[:2] / sha).write_bytes(b"tampered")
    assert cache.get(sha) is None
    cache.put(b"other", sha)  # a sha256 that does not match is never stored
    assert cache.get(hashlib.sha256(b"other").hexdigest()) is None
    assert cache.get("../../etc/passwd") is None and cache.get(None) is None
    assert not list((tmp_path / "files").rglob(".part-*"))


def test_second_download_and_page_need_no_request(tmp_path: Path, fake_index: FakeIndex) -> None:
    data = b"pretend sdist"
    fake_index.add_file("demo", "demo-1.0.tar.gz", data)
    client = CachingIndexClient(tmp_path, index_url=fake_index.url)
    [release] = client.select("demo", "1.0")
    assert client.download(release) == data
    before = len(fake_index.requests)
    again = CachingIndexClient(tmp_path, index_url=fake_index.url)
    [release] = again.select("demo", "1.0")
    assert again.download(release) == data
    assert len(fake_index.requests) == before  # neither the page nor the file was fetched again


def test_stale_page_and_changed_index_are_fetched(tmp_path: Path, fake_index: FakeIndex) -> None:
    fake_index.add_file("demo", "demo-1.0.tar.gz", b"x")
    CachingIndexClient(tmp_path, index_url=fake_index.url).release_files("demo")
    before = len(fake_index.requests)
    CachingIndexClient(tmp_path, index_url=fake_index.url, page_max_age=0).release_files("demo")
    assert len(fake_index.requests) == before + 1
    with pytest.raises(IndexLookupError):
        CachingIndexClient(tmp_path, index_url=fake_index.url + "/other").release_files("demo")


def test_wrong_bytes_on_the_index_are_refused(tmp_path: Path, fake_index: FakeIndex) -> None:
    fake_index.add_file("demo", "demo-1.0.tar.gz", b"served", sha256="0" * 64)
    client = CachingIndexClient(tmp_path, index_url=fake_index.url)
    [release] = client.select("demo", "1.0")
    with pytest.raises(IndexLookupError):
        client.download(release)
    assert not list((tmp_path / "files").rglob("*0000*"))


def test_a_pinned_choice_outlives_the_page_cache_and_an_unpinned_one_does_not(
    tmp_path: Path, fake_index: FakeIndex
) -> None:
    fake_index.add_file("demo", "demo-1.0.tar.gz", b"one")
    first = CachingIndexClient(tmp_path, index_url=fake_index.url)
    pinned = first.choose(Requirement("demo==1.0"))
    assert first.choose(Requirement("demo")).version == "1.0"
    fake_index.add_file("demo", "demo-1.1.tar.gz", b"two")
    time.sleep(0.05)
    later = CachingIndexClient(tmp_path, index_url=fake_index.url, page_max_age=0.01)  # pages are stale now
    before = len(fake_index.requests)
    assert later.choose(Requirement("demo==1.0")) == pinned  # one release's files: reused, no request
    assert len(fake_index.requests) == before
    assert later.choose(Requirement("demo")).version == "1.1"  # unpinned: the index is asked again
    assert len(fake_index.requests) == before + 1
    time.sleep(0.05)
    fresh = CachingIndexClient(tmp_path, index_url=fake_index.url, page_max_age=0.01, pinned_max_age=0.01)
    assert fresh.choose(Requirement("demo==1.0")) == pinned
    assert len(fake_index.requests) == before + 2  # past its own age a pinned choice is asked again too
    assert pins_one_version(Requirement("demo===1.0")) and not pins_one_version(Requirement("demo==1.*"))
    assert not pins_one_version(Requirement("demo>=1.0")) and not pins_one_version(Requirement("demo"))
