"""resolve_targets / load_target: local paths, names, pins, specifiers, artifacts, requirements files."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ArchiveBuilder, FakeIndex
from pyindex import isolate_pip
from vetpy.acquire import index as index_module
from vetpy.acquire.index import IndexClient
from vetpy.acquire.interface import Limits
from vetpy.acquire.projectfile import Origin, ProjectFileError
from vetpy.acquire.targets import Target, load_target, resolve_targets
from vetpy.errors import AcquireError, IndexLookupError


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_pip(monkeypatch, tmp_path)


@pytest.fixture
def index(fake_index: FakeIndex, make_archive: ArchiveBuilder) -> FakeIndex:
    for version in ("1.0", "1.5", "2.0"):
        sdist = make_archive({f"demo-{version}/setup.py": f"V = {version!r}\n".encode()}, "tar.gz")
        fake_index.add_file("demo", f"demo-{version}.tar.gz", sdist)
    fake_index.add_file("demo", "demo-2.0-py3-none-any.whl", make_archive({"demo/__init__.py": b"w"}, "zip"))
    fake_index.add_file("wonly", "wonly-0.1-py3-none-any.whl", make_archive({"wonly/x.py": b"1"}, "zip"))
    fake_index.add_file("legacy", "legacy-1.0.post1.zip", make_archive({"legacy/s.py": b"1"}, "zip"))
    fake_index.add_file("old", "old-1.0.tar.gz", make_archive({"old/s.py": b"1"}, "tar.gz"), yanked=True)
    fake_index.add_file("bad", "bad-1.0.tar.gz", b"not what the index promised", sha256="00" * 32)
    return fake_index


@pytest.fixture
def client(index: FakeIndex) -> IndexClient:
    return IndexClient(index_url=index.url)


def test_local_paths_never_touch_the_network(
    make_archive: ArchiveBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_client(*args: object, **kwargs: object) -> IndexClient:
        raise AssertionError("an index client was created for a local target")

    monkeypatch.setattr(index_module, "IndexClient", no_client)  # targets imports it when an index is asked
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(make_archive({"demo-1.0/setup.py": b"x"}, "zip"))
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.py").write_text("a = 1\n")
    resolved = resolve_targets([str(archive), str(folder)])
    assert resolved == [Target(str(archive), path=archive), Target(str(folder), path=folder)]
    opened = [load_target(t) for t in resolved]
    assert [a.format for a in opened] == ["zip", "folder"]
    assert opened[0].target == str(archive) and opened[1].members[0].path == "a.py"
    missing = resolve_targets([str(tmp_path / "gone.tar.gz"), "./gone"])
    assert [t.skipped for t in missing] == ["error: no such file or folder"] * 2


def test_name_and_pins(client: IndexClient) -> None:
    wheel, latest, pinned, exact = resolve_targets(["demo", "demo==1.0", "Demo===1.5"], client=client)
    assert wheel.release is not None and wheel.release.filename == "demo-2.0-py3-none-any.whl"
    assert latest.release is not None and latest.release.filename == "demo-2.0.tar.gz"
    assert latest.warning == "unpinned: scanned 2.0, the release pip would install"
    assert pinned.release is not None and pinned.release.filename == "demo-1.0.tar.gz"
    assert pinned.warning is None and pinned.label == "demo==1.0"
    assert exact.release is not None and exact.release.filename == "demo-1.5.tar.gz"


def test_specifiers_scan_latest_matching(client: IndexClient) -> None:
    below, wild = resolve_targets(["demo<2", "demo==1.*"], client=client)
    assert below.release is not None and below.release.version == "1.5"
    assert below.warning == "unpinned (<2): scanned 1.5, the release pip would install"
    assert wild.release is not None and wild.release.version == "1.5"


def test_artifacts(client: IndexClient) -> None:
    (wheel,) = resolve_targets(["demo==2.0"], artifact="wheel", client=client)
    assert wheel.release is not None and wheel.release.filename == "demo-2.0-py3-none-any.whl"
    everything = resolve_targets(["demo==2.0"], artifact="all", client=client)
    assert sorted(t.release.filename for t in everything if t.release) == [
        "demo-2.0-py3-none-any.whl",
        "demo-2.0.tar.gz",
    ]
    (fallback,) = resolve_targets(["wonly==0.1"], client=client)
    assert fallback.release is not None and fallback.release.packagetype == "wheel"
    assert fallback.warning == "wonly 0.1 has no sdist on the index"
    (legacy,) = resolve_targets(["legacy==1.0.post1"], client=client)
    assert legacy.release is not None and legacy.release.filename == "legacy-1.0.post1.zip"
    with pytest.raises(AcquireError, match="unknown artifact"):
        resolve_targets(["demo"], artifact="source")


def test_errors_become_skipped_targets(client: IndexClient, index: FakeIndex) -> None:
    resolved = resolve_targets(
        ["missing==1.0", "demo==9.9", "demo>5", "old", "not valid!!", "demo==1.0"], client=client
    )
    reasons = [t.skipped for t in resolved]
    assert reasons[0] is not None and reasons[0].startswith("error: ") and reasons[0].endswith("HTTP 404")
    assert reasons[1] == "error: demo==9.9: no matching release on the index"
    assert reasons[2] == "error: demo>5: no matching release on the index"
    assert reasons[3] == "error: old: no matching release on the index"  # only a yanked release
    assert reasons[4] is not None and reasons[4].startswith("error: not a file, folder or requirement (")
    assert reasons[5] is None and resolved[5].release is not None
    assert all("\n" not in (r or "") for r in reasons)


def test_yanked_pin_is_scanned_with_a_warning(client: IndexClient) -> None:
    (old,) = resolve_targets(["old==1.0"], client=client)
    assert old.release is not None and old.warning == "old-1.0.tar.gz is yanked"


def test_unreachable_index_is_an_error_per_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    resolved = resolve_targets(["demo==1.0", "other"])
    assert all(t.skipped is not None and t.skipped.startswith("error: ") for t in resolved)


def test_index_from_pip_env(index: FakeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    (target,) = resolve_targets(["demo==1.5"])
    archive = load_target(target)
    assert archive.filename == "demo-1.5.tar.gz" and archive.target == "demo==1.5"
    assert [(m.path, m.data) for m in archive.members] == [("demo-1.5/setup.py", b"V = '1.5'\n")]


def test_load_target_downloads_and_verifies(client: IndexClient) -> None:
    good, bad = resolve_targets(["demo==1.0", "bad==1.0"], client=client)
    archive = load_target(good, client=client)
    assert archive.format == "tar.gz" and archive.sha256 == (good.release.sha256 if good.release else None)
    with pytest.raises(IndexLookupError, match="sha256 mismatch"):
        load_target(bad, client=client)
    with pytest.raises(IndexLookupError, match="larger than 100 bytes"):
        load_target(good, client=client, limits=Limits(max_archive_bytes=100))
    with pytest.raises(AcquireError, match=r"^skipped: editable"):
        load_target(Target("-e .", skipped="skipped: editable"))


def test_requirements_files(client: IndexClient, tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text("demo==1.0 --hash=sha256:ff\n-e .\nwonly\nmissing==3\n")
    resolved = resolve_targets(["demo==1.5"], [path], client=client)
    resolved = [t for t in resolved if not (t.release and t.release.filename.startswith("demo-2.0"))]
    assert [t.label for t in resolved] == ["demo==1.5", "demo==1.0", "-e .", "wonly", "missing==3"]
    assert [t.release.filename if t.release else None for t in resolved] == [
        "demo-1.5.tar.gz",
        "demo-1.0.tar.gz",
        None,
        "wonly-0.1-py3-none-any.whl",
        None,
    ]
    assert resolved[2].skipped == f"skipped: editable requirement (-e) is not scanned ({path}:2)"
    assert (
        resolved[3].warning
        == "unpinned: scanned 0.1, the release pip would install; wonly 0.1 has no sdist on the index"
    )
    assert resolved[4].skipped is not None and resolved[4].skipped.startswith("error: ")
    assert resolved[1].hashes == ("sha256:ff",)
    assert resolved[1].origin == Origin(str(path), 1)
    with pytest.raises(ProjectFileError, match=r"absent\.txt: no such file"):
        resolve_targets([], [tmp_path / "absent.txt"], client=client)
