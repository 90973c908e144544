"""tarfile's header parsing, with the same results in fewer Python calls.

Reading a tar, Python's tarfile spends most of its time turning each 512-byte header into a TarInfo: about
twenty calls of ``nts``/``nti`` and two 504-item ``struct`` unpacks for the checksum, per header (two per
member of an sdist, whose pax header comes first). That was about half of reading a median popular sdist.
:class:`FastTarInfo` parses the same header in one ``struct`` unpack, with the number and text fields
decoded inline by the same expressions, and the checksums summed from the bytes themselves: the same
fields, the same errors (type and message) for any 512 bytes (``tests/acquire/test_tar_header.py`` compares
both on every header of real archives and on seeded random and mutated ones).

It mirrors the code of ``TarInfo.frombuf``, ``nti``, ``nts`` and ``calc_chksums`` (the same source in CPython
3.11 to 3.13); on a Python whose tarfile has other code (:data:`STDLIB_MATCHES` false: their bytecode is
checked when this module loads) tarfile's own class is used instead.
"""

from __future__ import annotations

import hashlib
import struct
import tarfile
from types import CodeType
from typing import Any

# The fields of a header, in order: name, mode, uid, gid, size, mtime, chksum, type, linkname, (magic and
# version skipped), uname, gname, devmajor, devminor, prefix, (12 bytes of padding skipped).
_FIELDS = struct.Struct("100s8s8s8s12s12s8s1s100s8x32s32s8s8s155s12x")
_LOW = bytes(range(128))  # bytes.translate(None, _LOW) keeps the bytes a signed char reads as negative
_SPARSE = tarfile.GNUTYPE_SPARSE
_tar: Any = tarfile  # the header errors, nti, nts and calc_chksums are not in tarfile's stubs


def _number(field: bytes | bytearray) -> int:
    """``tarfile.nti``: a number field (octal text, or base-256 after a 0o200/0o377 byte)."""
    if field[0] in (0o200, 0o377):
        return _tar.nti(field)  # type: ignore[no-any-return]
    end = field.find(b"\0")
    if end != -1:
        field = field[:end]
    try:
        return int(field.decode("ascii", "strict").strip() or "0", 8)
    except ValueError:
        raise _tar.InvalidHeaderError("invalid header")  # noqa: B904 - as tarfile raises it


def _text(field: bytes, encoding: str, errors: str) -> str:
    """``tarfile.nts``: a NUL-terminated text field."""
    end = field.find(b"\0")
    return (field[:end] if end != -1 else field).decode(encoding, errors)


def _checksums(buf: bytes | bytearray) -> tuple[int, int]:
    """``tarfile.calc_chksums``: the unsigned and signed sums of the header with its checksum field read
    as spaces (a byte of 128 or more counts 256 less as a signed char)."""
    head, tail = buf[:148], buf[156:]
    unsigned = 256 + sum(head) + sum(tail)
    high = len(head.translate(None, _LOW)) + len(tail.translate(None, _LOW))
    return unsigned, unsigned - 256 * high


class FastTarInfo(tarfile.TarInfo):
    """A TarInfo whose :meth:`frombuf` is tarfile's, in fewer calls (see the module's docstring)."""

    __slots__ = ()

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Any:
        if len(buf) == 0:
            raise _tar.EmptyHeaderError("empty header")
        if len(buf) != tarfile.BLOCKSIZE:
            raise _tar.TruncatedHeaderError("truncated header")
        if buf.count(tarfile.NUL) == tarfile.BLOCKSIZE:
            raise _tar.EOFHeaderError("end of file header")
        name, mode, uid, gid, size, mtime, chksum_field, kind, link, uname, gname, major, minor, prefix = (
            _FIELDS.unpack(buf)
        )
        chksum = _number(chksum_field)
        if chksum not in _checksums(buf):
            raise _tar.InvalidHeaderError("bad checksum")
        obj: Any = cls()
        obj.name = _text(name, encoding, errors)
        obj.mode = _number(mode)
        obj.uid = _number(uid)
        obj.gid = _number(gid)
        obj.size = _number(size)
        obj.mtime = _number(mtime)
        obj.chksum = chksum
        obj.type = kind
        obj.linkname = _text(link, encoding, errors)
        obj.uname = _text(uname, encoding, errors)
        obj.gname = _text(gname, encoding, errors)
        obj.devmajor = _number(major)
        obj.devminor = _number(minor)
        prefix_text = _text(prefix, encoding, errors)
        if obj.type == tarfile.AREGTYPE and obj.name.endswith("/"):
            obj.type = tarfile.DIRTYPE
        if obj.type == _SPARSE:
            obj._sparse_structs = _sparse_structs(buf)
        if obj.isdir():
            obj.name = obj.name.rstrip("/")
        if prefix_text and obj.type not in tarfile.GNU_TYPES:
            obj.name = prefix_text + "/" + obj.name
        return obj


def _sparse_structs(buf: bytes | bytearray) -> tuple[list[tuple[int, int]], bool, int]:
    """The old GNU sparse format's structures, as tarfile reads them."""
    pos = 386
    structs = []
    for _ in range(4):
        try:
            offset = _number(buf[pos : pos + 12])
            numbytes = _number(buf[pos + 12 : pos + 24])
        except ValueError:
            break
        structs.append((offset, numbytes))
        pos += 24
    return structs, bool(buf[482]), _number(buf[483:495])


def _code_digest(code: CodeType) -> str:
    """The bytecode, constants and names of a function (not its line numbers)."""
    return hashlib.sha256(repr((code.co_code, code.co_consts, code.co_names)).encode()).hexdigest()[:16]


def stdlib_digests() -> tuple[str, ...]:
    """The code digests of the tarfile functions :class:`FastTarInfo` mirrors."""
    functions = (_tar.TarInfo.frombuf.__func__, _tar.nti, _tar.nts, _tar.calc_chksums)
    return tuple(_code_digest(f.__code__) for f in functions)


#: The digests of those functions in CPython 3.11.7, 3.12.1 and 3.13.0 (the same source in all three, which
#: FastTarInfo mirrors; the bytecode differs between versions).
MIRRORED = frozenset(
    {
        ("71c6929326e20452", "b753718ec70ee542", "a11636b38cc1bfa3", "be9b8faf4471cc86"),
        ("f4ca95b921b6ee00", "4eb2f52c0f4787d1", "20d7d876136f8ff9", "04671365f9b0ab06"),
        ("6e74b546827fe809", "e871c64b9b5134d2", "42eecea51efad4fc", "54941b99d6c922a8"),
    }
)
#: Whether this Python's tarfile has that code (else its own TarInfo is used).
STDLIB_MATCHES = stdlib_digests() in MIRRORED


def tarinfo_class() -> type[tarfile.TarInfo]:
    """The TarInfo class the tar reader parses headers with."""
    return FastTarInfo if STDLIB_MATCHES else tarfile.TarInfo
