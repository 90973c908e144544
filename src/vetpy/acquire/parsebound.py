"""How much code the feature stage parses into a syntax tree.

Parsing is where a hostile file costs the most: Python's parser keeps every node of the tree, and dense
code (``a\\n`` a million times, ``x = [1,1,1,...]``) takes about 1.8 GB and 5 s for 2 MB. So a file is
parsed only within a bound; past it the scan is incomplete (acquire/views.py), never benign.

The bound used to be 2 MB of code whatever it held, which left the generated modules of popular
projects (API clients, cloud-SDK and CDK bindings, protobuf ``_pb2`` files, 2-8 MB of sparse, long-named
code) unscanned: 29 releases of the 11,982 benign ones of the development data were ``error`` for it.
Now every file up to :data:`PARSE_BYTES` is parsed as before, and a larger one up to
:data:`PARSE_BYTES_MAX` when its estimated tree is no bigger than what the densest 2 MB can make
(:data:`PARSE_UNITS`). The estimate, one C pass over the bytes, counts punctuation (each comma, bracket,
dot, operator or colon makes at most a node or two) and whitespace-separated words (each holds at least
one token): the worst shapes measured take 1.4-1.8 GB per million units, and the 2.9 MB of Telethon's
generated types 0.39 million units and 161 MB.
"""

from __future__ import annotations

#: Code up to this many bytes is always parsed (the bound before the estimate).
PARSE_BYTES = 2_000_000
#: Code over this many bytes is never parsed.
PARSE_BYTES_MAX = 8_000_000
#: Between the two, code is parsed when :func:`tree_units` is at most this (the densest 2 MB: 1.0 million).
PARSE_UNITS = 1_000_000
_PUNCTUATION = b",()[]{}.=+-*/%<>:&|^~@;!"


def tree_units(data: bytes) -> int:
    """An estimate of the size of ``data``'s syntax tree: punctuation characters plus words."""
    return len(data) - len(data.translate(None, _PUNCTUATION)) + len(data.split())


def parses(data: bytes) -> bool:
    """Whether the feature stage parses this code (UTF-8 bytes) into a syntax tree."""
    size = len(data)
    return size <= PARSE_BYTES or (size <= PARSE_BYTES_MAX and tree_units(data) <= PARSE_UNITS)
