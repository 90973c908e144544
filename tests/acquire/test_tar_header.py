"""FastTarInfo parses every header as tarfile's own TarInfo does: the same fields or the same error."""

from __future__ import annotations

import io
import random
import tarfile
from typing import Any

from vetpy.acquire import tar_header
from vetpy.acquire.tar_header import FastTarInfo, tarinfo_class

CODECS = (("utf-8", "surrogateescape"), ("ascii", "strict"), ("latin-1", "strict"))
_MISSING = object()


def fields(obj: Any) -> dict[str, Any]:
    """Every attribute a TarInfo holds (its slots; a missing one as a marker)."""
    return {name: getattr(obj, name, _MISSING) for name in tarfile.TarInfo.__slots__ if name != "tarfile"}


def outcome(cls: Any, buf: bytes, encoding: str, errors: str) -> Any:
    """Every attribute of the parsed header, or the error's type and message."""
    try:
        obj = cls.frombuf(buf, encoding, errors)
    except Exception as exc:
        return type(exc), str(exc)
    return fields(obj)


def same(buf: bytes, encoding: str, errors: str) -> bool:
    return outcome(FastTarInfo, buf, encoding, errors) == outcome(tarfile.TarInfo, buf, encoding, errors)


def _archive(fmt: int) -> bytes:
    """A tar of the shapes tar writers make: long and non-ASCII names, links, folders, big ids and times."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for i, (name, kind) in enumerate(
            [
                ("pkg-1.0/setup.py", tarfile.REGTYPE),
                ("pkg-1.0/" + "deep/" * 30 + "m.py", tarfile.REGTYPE),
                ("pkg-1.0/caf\u00e9/\u043c\u043e\u0434.py", tarfile.REGTYPE),
                ("pkg-1.0/folder", tarfile.DIRTYPE),
                ("pkg-1.0/link", tarfile.SYMTYPE),
                ("pkg-1.0/hard", tarfile.LNKTYPE),
            ]
        ):
            info = tarfile.TarInfo(name)
            info.type = kind
            info.mtime = (
                [0, 1_700_000_000, -5, 2**33][i % 4] if fmt != tarfile.USTAR_FORMAT else 1_700_000_000
            )
            info.uid = 2**30 if fmt == tarfile.GNU_FORMAT else 1000
            info.uname, info.gname = "user\u00e9" if fmt == tarfile.PAX_FORMAT else "user", "group"
            info.linkname = "pkg-1.0/setup.py" if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE) else ""
            data = b"print('hi')\n" * i if kind == tarfile.REGTYPE else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data else None)
    return out.getvalue()


def _headers() -> list[bytes]:
    """Every 512-byte block of tars in the three formats (headers, data and the end blocks)."""
    blocks = []
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        data = _archive(fmt)
        blocks += [data[i : i + 512] for i in range(0, len(data), 512)]
    return blocks


def _with_checksum(buf: bytearray, signed: bool) -> bytes:
    """``buf`` with its checksum field made right (unsigned or signed sum), as a writer would."""
    buf[148:156] = b" " * 8
    total = sum(buf) if not signed else sum(b - 256 if b > 127 else b for b in buf)
    buf[148:156] = b"%06o\0 " % (total & 0o777777)
    return bytes(buf)


def test_the_fast_class_is_used_on_this_python() -> None:
    assert tar_header.STDLIB_MATCHES
    assert tarinfo_class() is FastTarInfo


def test_real_headers_parse_the_same() -> None:
    blocks = _headers()
    assert len(blocks) > 40
    for buf in blocks:
        for encoding, errors in CODECS:
            assert outcome(FastTarInfo, buf, encoding, errors) == outcome(
                tarfile.TarInfo, buf, encoding, errors
            )


def test_mutated_and_random_headers_parse_the_same() -> None:
    """Real headers with seeded random bytes changed (checksum made right or not, signed or unsigned), field
    by field with octal, base-256, NUL, space and non-ASCII bytes, and random blocks and lengths."""
    rng = random.Random(7)
    blocks = [b for b in _headers() if b.strip(b"\0")]
    special = [0, 0o200, 0o377, 0x20, 0x30, 0x37, 0x38, ord("_"), 0xC3, 0xE9, 0xFF, ord("/"), ord("S")]
    results: set[str] = set()
    for n in range(20_000):
        buf = bytearray(rng.choice(blocks))
        for _ in range(rng.randint(1, 6)):
            at = rng.choice([rng.randrange(512), 156, 124, 136, 100, 148, 345, 0, 99, 482, 386, 398])
            buf[at] = rng.choice(special) if rng.random() < 0.7 else rng.randrange(256)
        data = _with_checksum(buf, signed=n % 3 == 2) if n % 3 else bytes(buf)
        if n % 97 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 511, 512, 513])))
        for encoding, errors in CODECS[: 1 + n % 3]:
            fast, slow = (
                outcome(FastTarInfo, data, encoding, errors),
                outcome(tarfile.TarInfo, data, encoding, errors),
            )
            assert fast == slow, (n, data)
            results.add(slow[1] if isinstance(slow, tuple) else "parsed")
    assert {"parsed", "bad checksum", "invalid header", "empty header", "truncated header"} <= results


def test_reading_a_whole_archive_gives_the_same_members() -> None:
    for fmt in (tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT):
        data = _archive(fmt)
        members = []
        for cls in (FastTarInfo, tarfile.TarInfo):
            with tarfile.open(fileobj=io.BytesIO(data), mode="r|", tarinfo=cls) as tar:
                members.append([fields(m) for m in tar])
        assert members[0] == members[1]
