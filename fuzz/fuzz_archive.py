"""Coverage-guided fuzzing of the archive reader and the feature extractor with atheris (libFuzzer).

    pip install atheris
    python fuzz/fuzz_archive.py -runs=100000 -max_len=65536 [CORPUS_DIR]

Each input is read as an archive (the format is sniffed from its bytes, as for real samples) under small
limits, and whatever is read goes through ``extract_features``. Any exception other than AcquireError,
or a malformed result, is a crash. Seeds are small valid archives of every format, built in memory.
Nothing is written to disk unless a CORPUS_DIR is given (libFuzzer then saves new inputs there).
"""

from __future__ import annotations

import io
import math
import sys
import tarfile
import zipfile

import atheris

with atheris.instrument_imports():
    from vetpy.acquire.archive import open_archive
    from vetpy.acquire.interface import Limits
    from vetpy.errors import AcquireError
    from vetpy.features.extract import extract_features

LIMITS = Limits(max_members=64, max_member_bytes=256 * 1024, max_total_bytes=1024 * 1024, max_ratio=100)
NAMES = ("x.tar.gz", "x.zip", "x.whl", "x.egg", "x")

SDIST = {
    "demo-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
    "demo-1.0/setup.py": b"import os\nfrom setuptools import setup\nos.system('id')\nsetup(name='demo')\n",
    "demo-1.0/demo/__init__.py": b"import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
}


def seeds() -> list[bytes]:
    """One small valid archive per format."""
    out = []
    for mode in ("w:gz", "w:bz2", "w:xz", "w"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode=mode) as tar:
            for path, data in SDIST.items():
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        out.append(buffer.getvalue())
    for method in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", method) as archive:
            for path, data in SDIST.items():
                archive.writestr(path, data)
        out.append(buffer.getvalue())
    return out


SEEDS = seeds()


def one_input(data: bytes) -> None:
    if not data:
        return
    name = NAMES[data[0] % len(NAMES)]
    body = data[1:]
    if data[0] >= 128 and body:  # half the time, mutate a valid seed rather than raw bytes
        seed = bytearray(SEEDS[body[0] % len(SEEDS)])
        for i in range(1, len(body) - 2, 3):
            seed[int.from_bytes(body[i : i + 2], "little") % len(seed)] ^= body[i + 2] or 1
        body = bytes(seed)
    try:
        archive = open_archive(body, target="fuzz", filename=name, limits=LIMITS)
    except AcquireError as exc:
        assert "\n" not in str(exc)
        return
    for member in archive.members:
        assert member.path and not member.path.startswith("/") and ".." not in member.path.split("/")
    features = extract_features(archive)
    assert all(math.isfinite(v) for v in features.values.values())


def main() -> None:
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
