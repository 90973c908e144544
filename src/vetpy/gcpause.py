"""Cyclic garbage collection paused while one package is scanned.

Building a syntax tree allocates hundreds of thousands of tracked objects, and every 700 allocations
CPython's collector walks the young ones (and now and then every object alive): about a sixth of
``ast.parse`` and a tenth of a whole scan, for nothing, since a scan makes almost no reference cycles
(none of the 62 popular releases of ``benchmarks/popular.py`` left more than 100 unreachable objects).
Reference counting still frees everything else at once; what cycles there are wait for the next
collection after the block. Results do not depend on it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic collector off for the block, and on again after it if it was on before (a block inside
    another leaves it to the outer one; a caller that turned it off keeps it off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
