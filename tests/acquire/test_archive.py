"""open_archive and detect_format: every format, every limit, every path trick, bad input."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
import tempfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import ArchiveBuilder, build_archive
from vetpy.acquire import reader as reader_module
from vetpy.acquire.archive import open_archive, safe_path
from vetpy.acquire.interface import Archive, Limits
from vetpy.acquire.sniff import detect_format
from vetpy.errors import AcquireError, LimitExceeded

SDIST = {
    "demo-1.0/setup.py": b"from setuptools import setup\nsetup(name='demo')\n",
    "demo-1.0/demo/__init__.py": b"VALUE = 1\n",
    "demo-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
}


def files_of(archive: Archive) -> dict[str, bytes]:
    return {m.path: m.data for m in archive.members}


def tar_bytes(infos: list[tuple[tarfile.TarInfo, bytes | None]], fmt: int = tarfile.GNU_FORMAT) -> bytes:
    """A plain tar written entry by entry, so tests can set any member type or name."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for info, data in infos:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def entry(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


# -- formats -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.bz2", "tar.xz", "tar", "zip"])
def test_sdist_formats_read_from_bytes(make_archive: ArchiveBuilder, fmt: str) -> None:
    data = make_archive(SDIST, fmt)
    result = open_archive(data, target="demo==1.0", filename=f"demo-1.0.{fmt}")
    assert result.format == fmt
    assert files_of(result) == SDIST
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.target == "demo==1.0"
    assert result.filename == f"demo-1.0.{fmt}"
    assert result.notes == () and result.limit_hit is None


def test_read_from_path(make_archive: ArchiveBuilder, tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(make_archive(SDIST, "tar.bz2"))  # the extension lies: content decides
    result = open_archive(path, target=str(path))
    assert result.format == "tar.bz2"
    assert result.filename == "demo-1.0.tar.gz"
    assert files_of(result) == SDIST


def test_zip_named_tar_gz_is_a_zip(make_archive: ArchiveBuilder) -> None:
    result = open_archive(make_archive(SDIST, "zip"), target="x", filename="demo-1.0.tar.gz")
    assert result.format == "zip"
    assert len(result.members) == 3


def test_wheel_and_egg(make_archive: ArchiveBuilder) -> None:
    files = {"demo/__init__.py": b"x = 1\n", "demo-1.0.dist-info/METADATA": b"Name: demo\n"}
    wheel = open_archive(make_archive(files, "zip"), target="w", filename="demo-1.0-py3-none-any.whl")
    egg = open_archive(make_archive(files, "zip"), target="e", filename="demo-1.0-py3.8.egg")
    assert (wheel.format, egg.format) == ("wheel", "egg")
    assert files_of(wheel) == files == files_of(egg)
    # a ".whl" that is really a tar.gz is reported by its content
    fake = open_archive(make_archive(files, "tar.gz"), target="f", filename="demo-1.0-py3-none-any.whl")
    assert fake.format == "tar.gz"


def test_folder_walk(tmp_path: Path) -> None:
    root = tmp_path / "demo-1.0"
    (root / "demo" / "sub").mkdir(parents=True)
    (root / "setup.py").write_bytes(b"print('hi')\n")
    (root / "demo" / "sub" / "m.py").write_bytes(b"y = 2\n")
    outside = tmp_path / "secret.txt"
    outside.write_bytes(b"do not read me")
    (root / "link.txt").symlink_to(outside)
    (root / "linkdir").symlink_to(tmp_path)
    result = open_archive(root, target=str(root))
    assert result.format == "folder" and result.sha256 == ""
    assert files_of(result) == {"setup.py": b"print('hi')\n", "demo/sub/m.py": b"y = 2\n"}
    assert any(n.startswith("skipped symlink link.txt -> ") for n in result.notes)
    assert any(n.startswith("skipped symlink linkdir -> ") for n in result.notes)


def test_nested_archive_is_kept_as_bytes(make_archive: ArchiveBuilder) -> None:
    inner = make_archive({"evil.py": b"x"}, "zip")
    result = open_archive(make_archive({"pkg/inner.zip": inner}, "tar.gz"), target="x")
    assert files_of(result) == {"pkg/inner.zip": inner}


def test_undecodable_names_are_kept() -> None:
    data = tar_bytes([(entry("pkg/bad\udcff.py"), b"x = 1\n")])
    result = open_archive(data, target="x")
    assert [m.path for m in result.members] == ["pkg/bad\ufffd.py"]


def test_empty_zip_is_readable() -> None:
    buffer = io.BytesIO()
    zipfile.ZipFile(buffer, "w").close()
    result = open_archive(buffer.getvalue(), target="x")
    assert result.format == "zip" and result.members == ()


# -- sniffing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PK\x05\x06" + bytes(18), "zip"),
        (b"\x1f\x8b\x08\x00", "tar.gz"),
        (b"BZh91AY&SY", "tar.bz2"),
        (b"\xfd7zXZ\x00\x00", "tar.xz"),
        (b"", "unknown"),
        (b"hello world", "unknown"),
        (b"PK\x01\x02", "unknown"),
        (bytes(512), "unknown"),
    ],
)
def test_detect_format(head: bytes, expected: str) -> None:
    assert detect_format(head) == expected


def test_detect_tar_ustar_and_v7() -> None:
    posix = tar_bytes([(entry("a.py"), b"1")], fmt=tarfile.USTAR_FORMAT)
    assert detect_format(posix[:512]) == "tar"
    v7 = bytearray(posix[:512])
    v7[257:265] = bytes(8)  # no "ustar" magic: a pre-POSIX header, recognised by its checksum
    v7[148:156] = b"%06o\x00 " % (sum(v7[:148]) + 256 + sum(v7[156:]))
    assert detect_format(bytes(v7)) == "tar"
    v7[0] ^= 1  # checksum no longer adds up
    assert detect_format(bytes(v7)) == "unknown"


def test_detect_wheel_egg_by_name_only_for_zip_content() -> None:
    assert detect_format(b"PK\x03\x04", "a-1-py3-none-any.WHL") == "wheel"
    assert detect_format(b"PK\x03\x04", "a-1.egg") == "egg"
    assert detect_format(b"\x1f\x8b", "a-1.egg") == "tar.gz"


# -- limits ------------------------------------------------------------------------------------------


def test_member_count_limit(make_archive: ArchiveBuilder) -> None:
    files = {f"pkg/m{i}.py": b"x" for i in range(10)}
    result = open_archive(make_archive(files, "tar.gz"), target="x", limits=Limits(max_members=4))
    assert result.limit_hit == "members: more than 4"
    assert len(result.members) == 4


def test_member_bytes_limit_skips_only_that_member(make_archive: ArchiveBuilder) -> None:
    for fmt in ("tar.gz", "zip"):
        files = {"a.py": b"a" * 10, "big.bin": b"b" * 5000, "c.py": b"c" * 10}
        result = open_archive(make_archive(files, fmt), target="x", limits=Limits(max_member_bytes=1000))
        assert files_of(result) == {"a.py": b"a" * 10, "c.py": b"c" * 10}, fmt
        assert result.limit_hit is None
        assert result.notes == ("skipped large member big.bin (more than 1000 B)",)


def test_member_bytes_limit_in_folder(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"b" * 5000)
    (tmp_path / "a.py").write_bytes(b"a")
    result = open_archive(tmp_path, target="x", limits=Limits(max_member_bytes=1000))
    assert files_of(result) == {"a.py": b"a"}
    assert result.notes == ("skipped large member big.bin (more than 1000 B)",)


def test_total_bytes_limit(make_archive: ArchiveBuilder) -> None:
    files = {f"m{i}.txt": bytes([65 + i]) * 400 for i in range(5)}
    result = open_archive(make_archive(files, "zip"), target="x", limits=Limits(max_total_bytes=1000))
    assert result.limit_hit == "total: more than 1000 B"
    assert [m.path for m in result.members] == ["m0.txt", "m1.txt"]


def test_archive_size_limit(make_archive: ArchiveBuilder, tmp_path: Path) -> None:
    data = make_archive(SDIST, "tar.gz")
    path = tmp_path / "demo.tar.gz"
    path.write_bytes(data)
    for source in (data, path):
        with pytest.raises(LimitExceeded, match=r"archive: .* is more than 100 B"):
            open_archive(source, target="x", filename="demo.tar.gz", limits=Limits(max_archive_bytes=100))


def _gzip_tar_bomb(zero_mib: int, before: dict[str, bytes]) -> bytes:
    """A tar.gz whose last member is ``zero_mib`` MiB of zeros.

    One MiB of zeros is compressed once and its self-contained deflate segment (after a full flush)
    repeated, so even a 1 GiB bomb takes milliseconds to build. The gzip trailer is not valid: a reader
    that is stopped early never gets there.
    """
    head = b""
    for name, data in before.items():
        info = entry(name)
        info.size = len(data)
        head += info.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)
    bomb = entry("pkg/zeros.bin")
    bomb.size = zero_mib << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    start = compressor.compress(head + bomb.tobuf(tarfile.GNU_FORMAT)) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(bytes(1024)) + compressor.flush()
    return start + segment * zero_mib + end


def test_bomb_builder_really_inflates() -> None:
    data = _gzip_tar_bomb(3, {"a.py": b"x"})
    with tarfile.open(fileobj=io.BytesIO(data), mode="r|gz") as tar:
        sizes = {info.name: len(tar.extractfile(info).read()) for info in tar}  # type: ignore[union-attr]
    assert sizes == {"a.py": 1, "pkg/zeros.bin": 3 << 20}


def test_gzip_bomb_stops_before_inflating() -> None:
    data = _gzip_tar_bomb(1024, {"pkg/setup.py": b"print(1)\n"})  # 1 GiB of zeros in about 1 MiB
    assert len(data) < 2 << 20
    start = time.perf_counter()
    result = open_archive(data, target="bomb", limits=Limits(max_ratio=100, max_member_bytes=2 << 30))
    assert time.perf_counter() - start < 0.5  # inflating 1 GiB would take seconds
    assert result.limit_hit is not None and result.limit_hit.startswith("ratio: 1.0 GiB from 1.0 MiB")
    assert files_of(result) == {"pkg/setup.py": b"print(1)\n"}


def test_gzip_bomb_of_only_zeros_raises() -> None:
    with pytest.raises(LimitExceeded, match=r"^bomb.tar.gz: ratio: "):
        open_archive(_gzip_tar_bomb(8, {}), target="x", filename="bomb.tar.gz")


def test_ratio_limit_counts_across_members(make_archive: ArchiveBuilder) -> None:
    files = {"a.py": b"ok\n"} | {f"z{i}.bin": bytes(600 << 10) for i in range(4)}
    result = open_archive(make_archive(files, "tar.gz"), target="x", limits=Limits(max_ratio=50))
    assert result.limit_hit is not None and result.limit_hit.startswith("ratio: 1.2 MiB from ")
    assert [m.path for m in result.members] == ["a.py", "z0.bin"]


def test_zip_bomb_stops_while_streaming(make_archive: ArchiveBuilder) -> None:
    files = {"a.py": b"ok\n", "zeros.bin": bytes(8 << 20), "later.py": b"never\n"}
    result = open_archive(make_archive(files, "zip"), target="x", limits=Limits(max_ratio=100))
    assert result.limit_hit is not None and result.limit_hit.startswith("ratio: ")
    assert files_of(result) == {"a.py": b"ok\n"}


def test_time_limit(make_archive: ArchiveBuilder, monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter(range(1_000_000))
    monkeypatch.setattr(reader_module, "_clock", lambda: float(next(ticks)))
    files = {f"m{i}.py": b"x" for i in range(50)}
    result = open_archive(make_archive(files, "zip"), target="x", limits=Limits(max_seconds=10))
    assert result.limit_hit == "time: more than 10 s"
    assert 0 < len(result.members) < 50


def test_limit_before_anything_read_raises(make_archive: ArchiveBuilder) -> None:
    with pytest.raises(LimitExceeded, match=r"^demo.zip: members: more than 0$"):
        open_archive(
            make_archive(SDIST, "zip"), target="x", filename="demo.zip", limits=Limits(max_members=0)
        )


# -- path tricks -------------------------------------------------------------------------------------


def test_tar_path_tricks_and_special_members() -> None:
    dev = entry("pkg/dev", tarfile.CHRTYPE)
    dev.devmajor, dev.devminor = 1, 3
    data = tar_bytes(
        [
            (entry("/etc/evil.py"), b"abs"),
            (entry("../../outside.py"), b"up"),
            (entry("pkg/../../x/y.py"), b"mid"),
            (entry("pkg/./ok.py"), b"ok"),
            (entry("pkg/link", tarfile.SYMTYPE, "/etc/passwd"), None),
            (entry("pkg/hard", tarfile.LNKTYPE, "pkg/ok.py"), None),
            (dev, None),
            (entry("pkg/blk", tarfile.BLKTYPE), None),
            (entry("pkg/fifo", tarfile.FIFOTYPE), None),
            (entry("pkg/dir", tarfile.DIRTYPE), None),
        ]
    )
    result = open_archive(data, target="x")
    assert files_of(result) == {
        "etc/evil.py": b"abs",
        "outside.py": b"up",
        "x/y.py": b"mid",
        "pkg/ok.py": b"ok",
        "pkg/hard": b"ok",  # a hardlink inside the archive is read as its target, as pip extracts it
    }
    assert result.notes == (
        "absolute path: /etc/evil.py",
        "path traversal: ../../outside.py",
        "path traversal: pkg/../../x/y.py",
        "symlink pkg/link points outside the archive (/etc/passwd); not followed",
        "skipped device pkg/dev",
        "skipped device pkg/blk",
        "skipped fifo pkg/fifo",
        "hardlink pkg/hard -> pkg/ok.py read as the content of pkg/ok.py",
    )
    assert [f.kind for f in result.findings] == ["link_escape"]


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_zip_path_tricks() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("/abs/evil.py", b"abs")
        archive.writestr("../../up.py", b"up")
        archive.writestr("win\\..\\..\\back.py", b"back")
        archive.writestr("C:/drive.py", b"drive")
        link = zipfile.ZipInfo("pkg/link")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, b"/etc/passwd")
        archive.writestr("pkg/secret.py", b"ciphertext")
        archive.writestr("..", b"nothing left")
        archive.writestr("pkg/ok.py", b"ok")
        archive.writestr("pkg/ok.py", b"second")
    data = bytearray(buffer.getvalue())
    central = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02pkg/secret.py"[:4]))
    while data[central + 46 : central + 59] != b"pkg/secret.py":
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1  # mark it encrypted in the central directory
    result = open_archive(bytes(data), target="x")
    assert [(m.path, m.data) for m in result.members] == [
        ("abs/evil.py", b"abs"),
        ("up.py", b"up"),
        ("back.py", b"back"),
        ("drive.py", b"drive"),
        ("pkg/link", b"/etc/passwd"),  # pip writes a symlink-mode member as a regular file
        ("pkg/ok.py", b"ok"),
        ("pkg/ok.py", b"second"),
    ]
    assert "absolute path: /abs/evil.py" in result.notes
    assert "path traversal: ../../up.py" in result.notes
    assert "path traversal: win\\..\\..\\back.py" in result.notes
    assert "absolute path: C:/drive.py" in result.notes
    assert "member pkg/link has symlink mode bits: read as the regular file pip writes" in result.notes
    assert "skipped encrypted member pkg/secret.py" in result.notes
    assert "skipped unnamed member '..'" in result.notes
    assert "duplicate path pkg/ok.py (every copy is read)" in result.notes


def test_zip_corrupt_member_is_noted_and_rest_read(make_archive: ArchiveBuilder) -> None:
    data = bytearray(make_archive({"a.py": b"A" * 200, "b.py": b"B" * 50}, "zip"))
    offset = data.index(b"a.py") + 4  # first local header's name; its data follows
    data[offset + 2] ^= 0xFF
    result = open_archive(bytes(data), target="x")
    assert files_of(result) == {"b.py": b"B" * 50}
    assert len(result.notes) == 1 and result.notes[0].startswith("unreadable member a.py (")


@pytest.mark.parametrize(
    "path",
    ["a/b.py", "a/../b.py", "/x", "../../x", "./a", "a\\b", "C:\\x", "..", "", "/", "a//b/./c/../d"],
)
def test_safe_path_is_always_relative(path: str) -> None:
    notes: list[str] = []
    clean = safe_path(path, notes.append)
    if clean is not None:
        assert not clean.startswith("/") and ".." not in clean.split("/") and "\\" not in clean
        assert "" not in clean.split("/") and "." not in clean.split("/")


# -- bad input ---------------------------------------------------------------------------------------


def _bad_inputs(make_archive: ArchiveBuilder) -> Iterator[tuple[str, bytes]]:
    good_gz = make_archive({f"f{i}.py": os.urandom(300) for i in range(20)}, "tar.gz")
    good_zip = make_archive({"a.py": b"x" * 100}, "zip")
    good_xz = make_archive({f"f{i}.py": os.urandom(300) for i in range(20)}, "tar.xz")
    yield "empty.tar.gz", b""
    yield "random.tar.gz", os.urandom(4096)
    yield "truncated.tar.gz", good_gz[: len(good_gz) // 2]
    yield "truncated.tar.xz", good_xz[: len(good_xz) // 2]
    yield "truncated.zip", good_zip[:-30]
    yield "gzip-junk.tar.gz", b"\x1f\x8b" + os.urandom(200)
    yield "bzip-junk.tar.bz2", b"BZh9" + os.urandom(200)
    yield "zip-junk.zip", b"PK\x03\x04" + os.urandom(200)
    yield "gzip-not-tar.tar.gz", zlib.compress(b"hello" * 1000, wbits=31)


def test_bad_input_raises_one_line(make_archive: ArchiveBuilder) -> None:
    for name, data in _bad_inputs(make_archive):
        with pytest.raises(AcquireError) as info:
            open_archive(data, target="x", filename=name)
        message = str(info.value)
        assert message.startswith(f"{name}: not a readable archive ("), message
        assert "\n" not in message and len(message) < 200, message
        assert not isinstance(info.value, LimitExceeded)


def test_missing_file_or_special_file_raises(tmp_path: Path) -> None:
    with pytest.raises(AcquireError, match=r"^nope.tar.gz: cannot read \("):
        open_archive(tmp_path / "nope.tar.gz", target="x")
    fifo = tmp_path / "pipe.tar.gz"
    os.mkfifo(fifo)
    with pytest.raises(AcquireError, match=r"^pipe.tar.gz: not a readable archive \(not a regular file\)$"):
        open_archive(str(fifo), target="x")  # would block forever if it were read


def test_nothing_written_outside_memory(
    make_archive: ArchiveBuilder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    tmp_before = set(os.listdir(tempfile.gettempdir()))
    tricky = tar_bytes(
        [
            (entry("/tmp/vetpy-evil.py"), b"x"),
            (entry("../../vetpy-up.py"), b"y"),
            (entry("link", tarfile.SYMTYPE, "/tmp"), None),
            (entry("link/vetpy-through-link.py"), b"z"),
        ]
    )
    for data in (tricky, make_archive(SDIST, "zip"), make_archive(SDIST, "tar.xz")):
        open_archive(data, target="x")
    assert os.listdir(work) == []
    assert set(os.listdir(tempfile.gettempdir())) - tmp_before == set()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd"]


_SEEDS = {fmt: build_archive(SDIST, fmt) for fmt in ("tar.gz", "tar.bz2", "tar.xz", "tar", "zip")}


@settings(max_examples=150, deadline=None)
@given(
    fmt=st.sampled_from(sorted(_SEEDS)),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), min_size=1, max_size=8),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
)
def test_corrupted_archives_never_crash(fmt: str, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(_SEEDS[fmt])
    for offset, mask in flips:
        data[offset % len(data)] ^= mask
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    try:
        result = open_archive(bytes(data), target="x", filename="fuzz")
    except AcquireError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("fuzz: ")
        return
    for member in result.members:
        assert member.path and not member.path.startswith("/") and ".." not in member.path.split("/")
