"""Names and strings of a compiled Python file (.pyc), read by a small marshal parser that cannot crash.

Untrusted bytes are never given to ``marshal``: this parser only walks the format, bounds every read,
depth and count, and returns what it understood so far when anything is off. It knows the code-object
layouts of Python 2.7 and 3.0-3.14 (told apart by the file's magic number).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

MAX_DEPTH = 64
MAX_ITEMS = 200_000
MAX_STRING = 1 << 20
_FLAG_REF = 0x80
_SINGLES = frozenset(b"0NFTS.")


@dataclass
class Bytecode:
    """What a .pyc holds that analysis can use: global/attribute names and string constants."""

    version: str = "unknown"
    names: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    complete: bool = False


class _Bad(Exception):
    """The bytes stop making sense: keep what was read."""


def _layout(magic: int) -> tuple[str, int, int]:
    """(version, header bytes, int fields before a code object's objects) for a magic number."""
    if magic == 62211:
        return "2.7", 8, 4
    if 3000 <= magic < 3230:
        return "3.0-3.2", 8, 5
    if 3230 <= magic < 3394:
        return "3.3-3.6", 12, 5
    if 3394 <= magic < 3400:
        return "3.7", 16, 5
    if 3400 <= magic < 3450:
        return "3.8-3.10", 16, 6
    if 3450 <= magic < 3700:
        return "3.11+", 16, 5
    raise _Bad(f"unknown magic {magic}")


class _Parser:
    def __init__(self, data: bytes, ints: int, out: Bytecode) -> None:
        self.data, self.pos, self.ints, self.out = data, 0, ints, out
        self.refs: list[object] = []
        self.items = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _Bad("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int32(self) -> int:
        value: int = struct.unpack("<i", self.take(4))[0]
        return value

    def obj(self, depth: int, sink: list[str] | None) -> object:
        self.items += 1
        if depth > MAX_DEPTH or self.items > MAX_ITEMS:
            raise _Bad("too deep or too many items")
        code = self.take(1)[0]
        flag, kind = code & _FLAG_REF, code & ~_FLAG_REF
        slot = len(self.refs)
        if flag:
            self.refs.append(None)
        value = self._value(kind, depth, sink)
        if flag:
            self.refs[slot] = value
        return value

    def _value(self, kind: int, depth: int, sink: list[str] | None) -> object:
        if kind in _SINGLES:
            return None
        simple = {ord("i"): 4, ord("g"): 8, ord("y"): 16, ord("I"): 8}
        if kind in simple:
            self.take(simple[kind])
            return None
        if kind == ord("l"):
            self.take(2 * min(abs(self.int32()), MAX_STRING))
            return None
        if kind in b"fx":  # old text floats and complexes
            for _ in range(1 if kind == ord("f") else 2):
                self.take(self.take(1)[0])
            return None
        if kind in b"stuaAzZ":
            size = self.take(1)[0] if kind in b"zZ" else self.int32()
            if size > MAX_STRING:
                raise _Bad("string too long")
            raw = self.take(size)
            text = raw.decode("utf-8", "replace") if kind != ord("s") else raw.decode("latin-1")
            if sink is not None and (kind != ord("s") or depth > 0):
                sink.append(text)
            return text
        if kind == ord("r"):
            index = self.int32()
            ref = self.refs[index] if 0 <= index < len(self.refs) else None
            if isinstance(ref, str) and sink is not None:
                sink.append(ref)
            return ref
        if kind in b"()[<>":
            count = self.take(1)[0] if kind == ord(")") else self.int32()
            for _ in range(min(count, MAX_ITEMS)):
                self.obj(depth + 1, sink)
            return None
        if kind == ord("{"):
            while self.data[self.pos : self.pos + 1] not in (b"0", b""):
                self.obj(depth + 1, sink)
                self.obj(depth + 1, sink)
            self.take(1)
            return None
        if kind == ord("c"):
            self._code(depth)
            return None
        raise _Bad(f"unknown marshal type {kind}")

    def _code(self, depth: int) -> None:
        for _ in range(self.ints):
            self.int32()
        self.obj(depth + 1, None)  # bytecode
        self.obj(depth + 1, self.out.strings)  # constants (nested code objects included)
        self.obj(depth + 1, self.out.names)  # global and attribute names
        for _ in range(5):  # local names (and kinds), free/cell vars or filename, name, qualname
            self.obj(depth + 1, None)
        self.int32()  # first line number
        for _ in range(2 if self.ints == 5 and self.out.version == "3.11+" else 1):
            self.obj(depth + 1, None)  # line table (and exception table)


def read_pyc(data: bytes) -> Bytecode:
    """Names and string constants of a .pyc; never raises (``complete`` says whether all was read)."""
    out = Bytecode()
    if len(data) < 8:
        return out
    magic = int.from_bytes(data[:2], "little")
    try:
        out.version, header, ints = _layout(magic)
        parser = _Parser(data[header:], ints, out)
        parser.obj(0, None)
        out.complete = True
    except (_Bad, IndexError, struct.error, RecursionError, MemoryError):
        pass
    return out
