"""The .pyc reader: names and strings out of real bytecode, and no crash or hang on any mangled input."""

from __future__ import annotations

import random

from evasions import compiled
from vetpy.acquire.pyc import read_pyc

SOURCE = (
    b"import os, base64\nexec(base64.b64decode('eA=='))\n"
    b"class A:\n    def f(self):\n        os.system('id')\n"
)


def test_reads_names_and_strings() -> None:
    code = read_pyc(compiled(SOURCE))
    assert code.complete and code.version == "3.11+"
    assert {"os", "base64", "exec", "b64decode", "system"} <= set(code.names)
    assert {"eA==", "id"} <= set(code.strings)


def test_mangled_bytecode_never_crashes() -> None:
    data = compiled(SOURCE * 20)
    rng = random.Random(16)
    for _ in range(2000):
        mangled = bytearray(data[: rng.randrange(len(data) + 1)])
        for _ in range(rng.randrange(6)):
            if mangled:
                mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        read_pyc(bytes(mangled))
    deep = data[:16] + b"(" + b"\x01\x00\x00\x00(" * 100_000
    assert not read_pyc(deep).complete
    huge = data[:16] + b"s\xff\xff\xff\x7f"
    assert not read_pyc(huge).complete
