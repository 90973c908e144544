"""Building the clone index from a PEP 691 index on 127.0.0.1 serving two small projects built here."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyindex import LocalIndex, build_sdist, build_wheel, isolate_pip, serve
from vetpy.acquire.index import IndexClient
from vetpy.acquire.release import ReleaseFile
from vetpy.cache.downloads import DownloadCache
from vetpy.cli.main import main
from vetpy.errors import IndexLookupError, VetpyError
from vetpy.features.clones import fingerprint, load_index
from vetpy.lab.clone_index import build_index, choose_files, project_digests, read_popular


def module(name: str, version: str) -> bytes:
    text = (
        f'"""The {name} module of release {version}."""\n\n\ndef version() -> str:\n    return "{version}"\n'
    )
    return text.encode()


ALPHA_OLD = {"alpha/__init__.py": b"", "alpha/core.py": module("alpha", "1.0")}
ALPHA = {
    "alpha/__init__.py": b"from alpha.core import version\n",  # under 64 bytes: no fingerprint
    "alpha/core.py": module("alpha", "2.0"),
    "alpha/util.py": module("alpha.util", "2.0"),
    "alpha/data.json": module("not python", "2.0"),
    "alpha/noise.bin": b"".join(hashlib.sha256(bytes([i])).digest() for i in range(128)),  # incompressible
}
BETA = {"beta/__init__.py": module("beta", "0.3")}
BETA_BINARY = {"beta/__init__.py": module("beta binary", "0.3"), "beta/fast.py": module("beta.fast", "0.3")}


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalIndex]:
    isolate_pip(monkeypatch, tmp_path)
    local = LocalIndex()
    local.add_sdist("alpha", "1.0", ALPHA_OLD)
    local.add_sdist("alpha", "2.0", ALPHA)
    local.add_wheel("alpha", "2.0", {"alpha/core.py": module("alpha wheel", "2.0")})
    local.add_sdist("alpha", "3.0b1", {"alpha/core.py": module("alpha", "3.0b1")})
    yanked_name, yanked = build_sdist("alpha", "4.0", {"alpha/core.py": module("alpha", "4.0")})
    local.add("alpha", yanked_name, yanked, yanked=True)
    local.add("beta", *build_wheel("beta", "0.3", BETA_BINARY, tag="cp311-cp311-manylinux_2_17_x86_64"))
    local.add_wheel("beta", "0.3", BETA)  # the pure wheel is preferred over the binary one
    with serve(local):
        yield local


def prints(files: dict[str, bytes]) -> set[int]:
    return {
        d for path, data in files.items() if path.endswith(".py") and (d := fingerprint(data)) is not None
    }


def test_the_latest_sdist_else_a_pure_wheel_is_read(index: LocalIndex, tmp_path: Path) -> None:
    client = IndexClient(index.url)
    alpha = project_digests(client, "alpha")
    assert (alpha.version, alpha.filename, alpha.files, alpha.error) == ("2.0", "alpha-2.0.tar.gz", 3, None)
    assert alpha.digests == prints(ALPHA) and len(alpha.digests) == 2
    beta = project_digests(client, "beta")
    assert beta.filename == "beta-0.3-py3-none-any.whl" and beta.digests == prints(BETA)
    missing = project_digests(client, "gamma")
    assert missing.digests == set() and missing.error is not None and "404" in missing.error


def test_a_file_over_the_bound_is_passed_over_for_the_next_choice(index: LocalIndex) -> None:
    client = IndexClient(index.url)
    sdist_size = len(index.blobs["alpha-2.0.tar.gz"])
    wheel_size = len(index.blobs["alpha-2.0-py3-none-any.whl"])
    assert wheel_size < sdist_size
    alpha = project_digests(client, "alpha", max_bytes=sdist_size - 1)
    assert alpha.filename == "alpha-2.0-py3-none-any.whl"
    assert alpha.digests == {fingerprint(module("alpha wheel", "2.0"))}
    tiny = project_digests(client, "alpha", max_bytes=100)
    assert tiny.error is not None and "over 100 B: alpha-2.0.tar.gz, alpha-2.0-py3-none-any.whl" in tiny.error


def test_choice_order_skips_yanked_and_pre_releases(index: LocalIndex) -> None:
    files = IndexClient(index.url).release_files("alpha")
    assert [f.filename for f in choose_files(files, "alpha")] == [
        "alpha-2.0.tar.gz",
        "alpha-2.0-py3-none-any.whl",
    ]


def test_the_index_is_built_with_provenance_and_downloads_are_cached(
    index: LocalIndex, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "clones.npz"
    cache = DownloadCache(tmp_path / "cache")
    seen: list[str] = []
    summary = build_index(
        ["alpha", "beta", "gamma"],
        IndexClient(index.url),
        out,
        source="a test list",
        cache=cache,
        workers=2,
        on_done=lambda p: seen.append(p.name),
    )
    assert sorted(seen) == ["alpha", "beta", "gamma"] and list(summary.failed) == ["gamma"]
    assert index.requests.count("/simple/gamma/") == 3  # tried again twice, after the others
    built = load_index(out)
    assert set(built.digests.tolist()) == prints(ALPHA) | prints(BETA) and summary.digests == 3
    assert built.known(module("alpha", "2.0").replace(b"\n", b"\r\n"))
    assert not built.known(module("alpha", "1.0")) and not built.known(module("beta binary", "0.3"))
    info = built.info
    assert (info["projects"], info["digests"], info["source"], info["failed"]) == (
        2,
        3,
        "a test list",
        ["gamma"],
    )
    assert info["releases"] == ["alpha 2.0 alpha-2.0.tar.gz 3", "beta 0.3 beta-0.3-py3-none-any.whl 1"]
    assert out.stat().st_size == summary.size and [p.name for p in out.parent.iterdir()] == ["clones.npz"]
    sdist = index.blobs["alpha-2.0.tar.gz"]
    assert cache.get(hashlib.sha256(sdist).hexdigest()) == sdist
    requests = len(index.requests)
    build_index(["alpha"], IndexClient(index.url), out, source="again", cache=cache)
    assert [r for r in index.requests[requests:] if r.startswith("/files/")] == []  # from the cache
    assert load_index(out).info["projects"] == 1


class FlakyClient(IndexClient):
    """Fails each project's first look-up, as a resolver that drops a query now and then does."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.failed: set[str] = set()

    def release_files(self, name: str) -> list[ReleaseFile]:
        if name not in self.failed:
            self.failed.add(name)
            raise IndexLookupError(f"{name}: Temporary failure in name resolution")
        return super().release_files(name)


def test_a_failed_look_up_is_tried_again(index: LocalIndex, tmp_path: Path) -> None:
    seen: list[tuple[str, str | None]] = []
    out = tmp_path / "clones.npz"
    summary = build_index(
        ["alpha", "beta"],
        FlakyClient(index.url),
        out,
        source="x",
        on_done=lambda p: seen.append((p.name, p.error)),
    )
    assert summary.failed == {} and sorted(seen) == [("alpha", None), ("beta", None)]
    with pytest.raises(VetpyError, match="no project could be read"):
        build_index(["alpha"], FlakyClient(index.url), out, source="x", retries=0)


def test_nothing_is_written_when_no_project_could_be_read(index: LocalIndex, tmp_path: Path) -> None:
    out = tmp_path / "clones.npz"
    with pytest.raises(VetpyError, match="no project could be read"):
        build_index(["gamma", "delta"], IndexClient(index.url), out, source="x")
    assert not out.exists()
    with pytest.raises(VetpyError, match="--workers"):
        build_index(["alpha"], IndexClient(index.url), out, source="x", workers=0)


def test_read_popular_orders_by_rank(tmp_path: Path) -> None:
    listed = tmp_path / "popular.csv"
    listed.write_text("rank,name\n3,gamma\n1,alpha\n2,beta\n4,alpha\n")
    assert read_popular(listed, 2) == ["alpha", "beta"] and read_popular(listed, 10) == [
        "alpha",
        "beta",
        "gamma",
    ]
    listed.write_text("name\nalpha\n")
    with pytest.raises(VetpyError, match="not a readable rank,name list"):
        read_popular(listed, 2)


def test_the_command_builds_from_the_data_folders_list(
    index: LocalIndex, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    (data / "malicious").mkdir(parents=True)
    (data / "popular.csv").write_text("rank,name\n1,beta\n2,gamma\n3,alpha\n")
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "clones.npz"
    args = ["dataset", "clones", "--data", str(data), "--out", str(out), "--workers", "2"]
    assert main([*args, "--top", "2"]) == 0
    captured = capsys.readouterr()
    assert "1 fingerprints of 1 of 2 projects" in captured.out and "gamma" in captured.err
    assert load_index(out).info["source"] == "popular.csv, top 2 (latest release of each)"
    assert list((tmp_path / "cache" / "clones" / "files").rglob("*"))  # downloads went to the cache folder
    assert main([*args, "--top", "3"]) == 0 and load_index(out).info["projects"] == 2
    assert main([*args, "--top", "0"]) == 2
    assert "--top and --workers must be at least 1" in capsys.readouterr().err
