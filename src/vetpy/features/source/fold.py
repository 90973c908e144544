"""Static folding of constant expressions into the text they build, never by running them.

Malware hides a URL, a command or a module name by building it at run time from pieces: concatenated
fragments (``"ht" + "tp://"``), reversed strings (``"...//:sptth"[::-1]``), character codes
(``"".join(map(chr, [104, 116, ...]))``, also with the codes as arithmetic ``(7 << 4) - 1`` and the ``chr``
looked up by a computed name), ``bytes([...]).decode()``, ``bytes.fromhex``, base64/32/16, ``codecs``
rot13, ``.replace`` and f-strings of constants. :class:`Folder` evaluates such an expression with a tiny
interpreter over the syntax tree that knows only these pure operations on constants, bounded in depth,
work and size; anything else (a call it does not know, a name that is not a module-level constant) makes
the fold fail. Nothing from the scanned package is imported or executed.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vetpy.features.scripts import bytes_as_text, looks_like_text

MAX_DEPTH = 40  # nesting of one expression
MAX_STEPS = 20_000  # nodes evaluated per fold
MAX_LEN = 100_000  # characters or bytes of any intermediate value
MAX_INT_BITS = 64
_B64: dict[str, Callable[[Any], bytes]] = {
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.decodebytes": base64.decodebytes,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": base64.b16decode,
    "base64.b85decode": base64.b85decode,
    "base64.a85decode": base64.a85decode,
    "binascii.a2b_base64": binascii.a2b_base64,
    "binascii.unhexlify": binascii.unhexlify,
    "binascii.a2b_hex": binascii.a2b_hex,
    "bytes.fromhex": bytes.fromhex,
}
_TEXT_CODECS = frozenset({"utf-8", "utf8", "ascii", "latin-1", "latin1", "utf-16", "utf-16-le", "utf_8"})
_INT_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: int.__add__,
    ast.Sub: int.__sub__,
    ast.Mult: int.__mul__,
    ast.FloorDiv: int.__floordiv__,
    ast.Mod: int.__mod__,
    ast.LShift: int.__lshift__,
    ast.RShift: int.__rshift__,
    ast.BitOr: int.__or__,
    ast.BitAnd: int.__and__,
    ast.BitXor: int.__xor__,
}
#: Calls whose result a fold can start from (``resolve``d names; ``*.x``: a method of anything).
ROOT_CALLS = frozenset(
    {"*.join", "str.join", "*.decode", "bytes.decode", "*.replace", "str.replace", "bytes", "bytearray"}
    | set(_B64)
    | {"codecs.decode", "zlib.decompress"}
)

Value = str | bytes | int


class FoldError(Exception):
    """The expression is not a pure function of constants this folder knows (or is too big)."""


def _check(value: Value) -> Value:
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise FoldError("integer too large")
    elif len(value) > MAX_LEN:
        raise FoldError("value too long")
    return value


class Folder:
    """Folds one expression (``fold``) given the module's string constants and a name resolver."""

    def __init__(
        self, constants: Mapping[str, str | bytes], resolve: Callable[[ast.AST], str | None]
    ) -> None:
        self.constants = constants
        self.resolve = resolve
        self.steps = 0
        self.obfuscated = False  # the fold went through character codes, reversal or a decoder
        self.pieces: list[str] = []  # the text constants the result was built from

    def fold(self, node: ast.AST) -> str | None:
        """The text ``node`` evaluates to, or None; None too for binary data (bytes that are not UTF-8 or
        UTF-16LE text, or text under 90% printable: a font or an image is not a hidden string)."""
        try:
            value = self.value(node, {}, 0)
        except (FoldError, ValueError, TypeError, ArithmeticError, zlib.error, LookupError):
            return None
        if isinstance(value, bytes):
            return bytes_as_text(value)
        return value if isinstance(value, str) and looks_like_text(value) else None

    def value(self, node: ast.AST, env: Mapping[str, Value], depth: int) -> Value:
        self.steps += 1
        if self.steps > MAX_STEPS or depth > MAX_DEPTH:
            raise FoldError("budget")
        kind = type(node)
        if kind is ast.Constant:
            v = node.value  # type: ignore[attr-defined]
            if isinstance(v, bool) or not isinstance(v, str | bytes | int):
                raise FoldError("not a text or integer constant")
            if isinstance(v, str):
                self.pieces.append(v)
            return _check(v)
        if kind is ast.Name:
            name = node.id  # type: ignore[attr-defined]
            if name in env:
                return env[name]
            if name in self.constants:
                v = self.constants[name]
                if isinstance(v, str):
                    self.pieces.append(v)
                return v
            raise FoldError("unknown name")
        if kind is ast.BinOp:
            return self.binop(node, env, depth)  # type: ignore[arg-type]
        if kind is ast.UnaryOp:
            return self.unary(node, env, depth)  # type: ignore[arg-type]
        if kind is ast.JoinedStr:
            return self.fstring(node, env, depth)  # type: ignore[arg-type]
        if kind is ast.Subscript:
            return self.subscript(node, env, depth)  # type: ignore[arg-type]
        if kind is ast.Call:
            return self.call(node, env, depth)  # type: ignore[arg-type]
        raise FoldError("unsupported node")

    def binop(self, node: ast.BinOp, env: Mapping[str, Value], depth: int) -> Value:
        left = self.value(node.left, env, depth + 1)
        right = self.value(node.right, env, depth + 1)
        op = type(node.op)
        if isinstance(left, int) and isinstance(right, int):
            if op in (ast.LShift, ast.RShift) and not 0 <= right <= MAX_INT_BITS:
                raise FoldError("shift out of range")
            if op in _INT_OPS:
                return _check(_INT_OPS[op](left, right))
            raise FoldError("operator")
        if op is ast.Add and type(left) is type(right):
            return _check(left + right)  # type: ignore[operator]
        if op is ast.Mult and isinstance(right, int) and not isinstance(left, int):
            if right * len(left) > MAX_LEN:
                raise FoldError("value too long")
            return left * right
        raise FoldError("operator")

    def unary(self, node: ast.UnaryOp, env: Mapping[str, Value], depth: int) -> Value:
        v = self.value(node.operand, env, depth + 1)
        if not isinstance(v, int):
            raise FoldError("unary on text")
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.Invert):
            return ~v
        if isinstance(node.op, ast.UAdd):
            return v
        raise FoldError("operator")

    def fstring(self, node: ast.JoinedStr, env: Mapping[str, Value], depth: int) -> Value:
        parts: list[str] = []
        size = 0
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None or part.conversion not in (-1, 115):
                    raise FoldError("formatted value")
                v = self.value(part.value, env, depth + 1)
                parts.append(v.decode("latin-1") if isinstance(v, bytes) else str(v))
            else:
                parts.append(str(self.value(part, env, depth + 1)))
            size += len(parts[-1])
            if size > MAX_LEN:
                raise FoldError("value too long")
        return "".join(parts)

    def subscript(self, node: ast.Subscript, env: Mapping[str, Value], depth: int) -> Value:
        base = self.value(node.value, env, depth + 1)
        if isinstance(base, int):
            raise FoldError("subscript of an integer")
        s = node.slice
        if isinstance(s, ast.Slice):
            bounds: list[int | None] = []
            for b in (s.lower, s.upper, s.step):
                v = None if b is None else self.value(b, env, depth + 1)
                if v is not None and not isinstance(v, int):
                    raise FoldError("slice bound")
                bounds.append(v)
            if bounds[2] is not None and bounds[2] < 0:
                self.obfuscated = True
            return base[bounds[0] : bounds[1] : bounds[2]]
        index = self.value(s, env, depth + 1)
        if not isinstance(index, int):
            raise FoldError("index")
        return base[index]

    def call(self, node: ast.Call, env: Mapping[str, Value], depth: int) -> Value:
        func = node.func
        if isinstance(func, ast.Attribute) and not isinstance(func.value, ast.Name):
            return self.method(node, func, env, depth)
        q = self.resolve(func)
        args = node.args
        if node.keywords or any(isinstance(a, ast.Starred) for a in args):
            raise FoldError("keywords")
        if q == "chr" and len(args) == 1:
            self.obfuscated = True
            return chr(self._int(args[0], env, depth))
        if q == "str" and len(args) == 1:
            v = self.value(args[0], env, depth + 1)
            return v if isinstance(v, str) else str(v)
        if q in ("bytes", "bytearray") and len(args) == 1:
            items = self.items(args[0], env, depth)
            self.obfuscated = True
            return _check(bytes(items))  # type: ignore[arg-type]
        if q in _B64 and len(args) == 1:
            self.obfuscated = True
            data = self.value(args[0], env, depth + 1)
            if isinstance(data, int):
                raise FoldError("decode of an integer")
            return _check(_B64[q](data))
        if q == "zlib.decompress" and len(args) == 1:
            data = self.value(args[0], env, depth + 1)
            if not isinstance(data, bytes):
                raise FoldError("decompress of text")
            self.obfuscated = True
            return zlib.decompressobj().decompress(data, MAX_LEN)
        if q == "codecs.decode" and len(args) == 2:
            return self._codecs(args, env, depth)
        if isinstance(func, ast.Attribute):
            return self.method(node, func, env, depth)
        raise FoldError("unknown call")

    def _codecs(self, args: list[ast.expr], env: Mapping[str, Value], depth: int) -> Value:
        data, name = (self.value(a, env, depth + 1) for a in args)
        if not isinstance(name, str) or name.lower().replace("_", "") not in ("rot13", "hex", "base64"):
            raise FoldError("codec")
        self.obfuscated = True
        if name.lower().replace("_", "") == "rot13":
            if not isinstance(data, str):
                raise FoldError("rot13 of bytes")
            return codecs.decode(data, "rot13")
        raw = data if isinstance(data, bytes) else str(data).encode("ascii")
        return _check(codecs.decode(raw, "hex" if "hex" in name else "base64"))

    def method(self, node: ast.Call, func: ast.Attribute, env: Mapping[str, Value], depth: int) -> Value:
        if node.keywords:
            raise FoldError("keywords")
        base = self.value(func.value, env, depth + 1)
        args = node.args
        if isinstance(base, int):
            raise FoldError("method of an integer")
        if func.attr == "join" and len(args) == 1:
            items = self.items(args[0], env, depth)
            if not all(type(i) is type(base) for i in items):
                raise FoldError("join of mixed items")
            if sum(map(len, items)) + len(base) * max(len(items) - 1, 0) > MAX_LEN:  # type: ignore[arg-type]
                raise FoldError("value too long")
            return base.join(items)  # type: ignore[arg-type]
        if func.attr == "decode" and isinstance(base, bytes) and len(args) <= 1:
            codec = self.value(args[0], env, depth + 1) if args else "utf-8"
            if not isinstance(codec, str) or codec.lower() not in _TEXT_CODECS:
                raise FoldError("codec")
            return base.decode(codec)  # bytes that are not text in that codec fail the fold
        if func.attr == "encode" and isinstance(base, str) and not args:
            return base.encode("utf-8", "surrogatepass")
        if func.attr == "replace" and len(args) == 2:
            old, new = (self.value(a, env, depth + 1) for a in args)
            if type(old) is not type(base) or type(new) is not type(base) or not old:
                raise FoldError("replace")
            grows = base.count(old) * (len(new) - len(old))  # type: ignore[arg-type]
            if len(base) + grows > MAX_LEN:
                raise FoldError("value too long")
            return base.replace(old, new)  # type: ignore[arg-type]
        if func.attr == "fromhex" and isinstance(func.value, ast.Name) and len(args) == 1:
            text = self.value(args[0], env, depth + 1)
            if not isinstance(text, str):
                raise FoldError("fromhex of bytes")
            self.obfuscated = True
            return bytes.fromhex(text)
        raise FoldError("unknown method")

    def _int(self, node: ast.AST, env: Mapping[str, Value], depth: int) -> int:
        v = self.value(node, env, depth + 1)
        if not isinstance(v, int):
            raise FoldError("not an integer")
        return v

    def items(self, node: ast.AST, env: Mapping[str, Value], depth: int) -> list[Value]:
        """The elements of an iterable expression: a list, tuple or string of constants, a comprehension
        over one, ``map`` of a function over one, ``reversed`` of one."""
        if isinstance(node, ast.List | ast.Tuple):
            return [self.value(e, env, depth + 1) for e in node.elts]
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self.comprehension(node, env, depth)
        if isinstance(node, ast.Call) and not node.keywords:
            q = self.resolve(node.func) if not isinstance(node.func, ast.Call) else None
            if q == "map" and len(node.args) == 2:
                return self.mapped(node.args[0], self.items(node.args[1], env, depth + 1), env, depth)
            if q == "reversed" and len(node.args) == 1:
                self.obfuscated = True
                return self.items(node.args[0], env, depth + 1)[::-1]
            if q in ("list", "tuple") and len(node.args) == 1:
                return self.items(node.args[0], env, depth + 1)
        v = self.value(node, env, depth + 1)
        if isinstance(v, str):
            return list(v)
        if isinstance(v, bytes):
            return list(v)
        raise FoldError("not iterable")

    def comprehension(
        self, node: ast.ListComp | ast.GeneratorExp, env: Mapping[str, Value], depth: int
    ) -> list[Value]:
        if len(node.generators) != 1:
            raise FoldError("nested comprehension")
        gen = node.generators[0]
        if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name):
            raise FoldError("comprehension form")
        name = gen.target.id
        out = []
        for item in self.items(gen.iter, env, depth + 1):
            out.append(self.value(node.elt, {**env, name: item}, depth + 1))
        return out

    def mapped(self, func: ast.AST, items: list[Value], env: Mapping[str, Value], depth: int) -> list[Value]:
        """``map(func, items)`` for ``chr``, a one-argument lambda, or a function looked up by a computed
        name (``getattr(__builtins__, <expression>)``): over integer codes that can only be ``chr``."""
        if isinstance(func, ast.Lambda) and len(func.args.args) == 1 and not func.args.defaults:
            name = func.args.args[0].arg
            return [self.value(func.body, {**env, name: i}, depth + 1) for i in items]
        computed = isinstance(func, ast.Call)
        if computed or self.resolve(func) == "chr":
            if not all(isinstance(i, int) and 0 <= i < 0x110000 for i in items):
                raise FoldError("not character codes")
            self.obfuscated = True
            return [chr(i) for i in items]  # type: ignore[arg-type]
        raise FoldError("unknown mapped function")


def subtree(node: ast.AST, limit: int = MAX_STEPS) -> Iterator[ast.AST]:
    """The nodes under ``node`` (itself included), at most ``limit`` of them, without recursion."""
    stack = [node]
    seen = 0
    while stack and seen < limit:
        cur = stack.pop()
        seen += 1
        yield cur
        stack.extend(ast.iter_child_nodes(cur))
