"""Dynamic-code detectors: exec/eval, compile, computed imports and attributes, decoding.

Their signals come from the source pass (:mod:`vetpy.features.source`): calls resolved through import
aliases are looked up in the tables of :mod:`vetpy.features.calls`; ``code.decode_exec`` is the data flow
from a decoder into exec/eval (:mod:`vetpy.features.source.flow`).
"""

from __future__ import annotations

from vetpy.features.interface import Family, ValueKind, spec

_D, _LOG = Family.DYNAMIC, ValueKind.LOG_COUNT
SPECS = (
    spec(
        "code.exec_eval",
        _D,
        _LOG,
        "exec/eval calls",
        "running a string as code is how payloads are unpacked and hidden",
        signal="runs dynamic code",
    ),
    spec(
        "code.compile",
        _D,
        _LOG,
        "compile() calls",
        "compiling source at run time goes with exec of hidden code",
        signal="compiles code at run time",
    ),
    spec(
        "code.dunder_import",
        _D,
        _LOG,
        "__import__ / importlib with computed names",
        "computed imports hide which modules (os, socket, subprocess) are used",
        signal="imports a module by computed name",
    ),
    spec(
        "code.dynamic_getattr",
        _D,
        _LOG,
        "getattr with a computed attribute name",
        "computed attribute names hide dangerous calls from a reader",
        signal="looks up an attribute by computed name",
    ),
    spec(
        "code.decode_exec",
        _D,
        ValueKind.FLAG,
        "decoded data (base64/zlib/marshal/codecs, chr or XOR loops) feeding exec/eval",
        "decode-then-exec is the classic shape of an obfuscated payload",
        signal="decodes data and runs it as code",
    ),
    spec(
        "code.base64",
        _D,
        _LOG,
        "base64 decoding",
        "payloads and URLs are commonly carried base64-encoded",
        signal="decodes base64",
    ),
    spec(
        "code.marshal_zlib",
        _D,
        _LOG,
        "marshal/zlib/lzma decoding",
        "compressed or marshalled bytecode hides a payload from static reading",
        signal="unpacks marshal/zlib/lzma data",
    ),
)

B64_DECODERS = (
    "b64decode",
    "b32decode",
    "b16decode",
    "a85decode",
    "b85decode",
    "decodebytes",
    "decodestring",
    "urlsafe_b64decode",
    "standard_b64decode",
)
#: Calls (resolved through import aliases) that count towards this family's features.
CALLS: dict[str, tuple[str, ...]] = {
    "exec": ("code.exec_eval",),
    "eval": ("code.exec_eval",),
    "builtins.exec": ("code.exec_eval",),
    "builtins.eval": ("code.exec_eval",),
    "execfile": ("code.exec_eval",),
    "compile": ("code.compile",),
    "builtins.compile": ("code.compile",),
    "__import__": ("code.dunder_import",),
    "builtins.__import__": ("code.dunder_import",),
    "zlib.decompress": ("code.marshal_zlib",),
    "zlib.decompressobj": ("code.marshal_zlib",),
    "marshal.loads": ("code.marshal_zlib",),
    "lzma.decompress": ("code.marshal_zlib",),
    "bz2.decompress": ("code.marshal_zlib",),
    "gzip.decompress": ("code.marshal_zlib",),
    **{f"base64.{n}": ("code.base64",) for n in B64_DECODERS},
}
CALL_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = ()
