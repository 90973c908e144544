"""Property-based fuzzing of the two stages that read hostile bytes: ``open_archive`` and
``extract_features``. Nothing but AcquireError may escape the reader, nothing at all the extractor, and
what comes back is well formed.

``VETPY_FUZZ_EXAMPLES`` sets the examples per property (default 200, kept small for CI); a long round:
``VETPY_FUZZ_EXAMPLES=20000 pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import io
import math
import os
import tarfile
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import build_archive
from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Archive, ArchiveFormat, Limits, Member
from vetpy.errors import AcquireError
from vetpy.features.extract import extract_features
from vetpy.features.registry import FEATURE_IDS

EXAMPLES = int(os.environ.get("VETPY_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 200,  # CI runs are reproducible; long rounds explore
)
#: Small limits so fuzzed inputs reach every limit branch quickly.
SMALL = Limits(max_members=40, max_member_bytes=64 * 1024, max_total_bytes=256 * 1024, max_ratio=50)

SDIST = {
    "demo-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nHome-page: https://x.org\n",
    "demo-1.0/setup.py": b"import os\nfrom setuptools import setup\nos.system('id')\nsetup(name='demo')\n",
    "demo-1.0/demo/__init__.py": b"import base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n",
    "demo-1.0/demo.pth": b"import os; os.getcwd()\n",
    "demo-1.0/demo.egg-info/entry_points.txt": b"[console_scripts]\ndemo = demo:main\n",
}


def _tar_with_specials() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, link in (
            ("demo-1.0/link", tarfile.SYMTYPE, "/etc/passwd"),
            ("demo-1.0/hard", tarfile.LNKTYPE, "demo-1.0/setup.py"),
            ("../../escape.py", tarfile.REGTYPE, ""),
            ("demo-1.0/" + "long/" * 40 + "name.py", tarfile.REGTYPE, ""),
        ):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            data = b"x = 1\n" if kind == tarfile.REGTYPE else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip_stored() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path, data in SDIST.items():
            archive.writestr(path, data)
    return buffer.getvalue()


SEEDS = [build_archive(SDIST, fmt) for fmt in ("tar.gz", "tar.bz2", "tar.xz", "tar", "zip")]
SEEDS += [_tar_with_specials(), _zip_stored()]
NAMES = st.sampled_from(["x.tar.gz", "x.zip", "x.whl", "x.egg", "x.tar.bz2", "x", "x.tar"])


def check_archive(data: bytes, name: str) -> None:
    """``open_archive`` either raises a one-line AcquireError or returns a well-formed Archive."""
    try:
        archive = open_archive(data, target="fuzz", filename=name, limits=SMALL)
    except AcquireError as exc:
        message = str(exc)
        assert message.startswith(f"{name}: ") and "\n" not in message and len(message) < 400, message
        return
    assert archive.format in ("zip", "wheel", "egg", "tar.gz", "tar.bz2", "tar.xz", "tar")
    assert len(archive.members) <= SMALL.max_members
    assert sum(len(m.data) for m in archive.members) <= SMALL.max_total_bytes
    for member in archive.members:
        parts = member.path.split("/")
        assert member.path and not member.path.startswith("/") and "\\" not in member.path
        assert ".." not in parts and "" not in parts and "." not in parts
        assert len(member.data) <= SMALL.max_member_bytes
    assert all("\n" not in note for note in archive.notes) and len(archive.notes) <= 201
    assert archive.limit_hit is None or "\n" not in archive.limit_hit
    check_features(archive)


def check_features(archive: Archive) -> None:
    """``extract_features`` never raises; every registry value is a finite number; evidence is tidy."""
    features = extract_features(archive)
    assert set(features.values) == set(FEATURE_IDS)
    assert all(isinstance(v, float) and math.isfinite(v) for v in features.values.values())
    assert isinstance(features.suspicious_text, str) and isinstance(features.code_text, str)
    paths = {m.path for m in archive.members}
    for evidence in features.evidence:
        assert evidence.feature in features.values
        assert evidence.file is None or evidence.file in paths, evidence
        assert evidence.line is None or evidence.line >= 0
        assert "\n" not in evidence.snippet and len(evidence.snippet) <= 200


# -- open_archive ---------------------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=4096), name=NAMES)
def test_random_bytes(data: bytes, name: str) -> None:
    check_archive(data, name)


@FUZZ
@given(
    magic=st.sampled_from([b"PK\x03\x04", b"PK\x05\x06", b"\x1f\x8b\x08", b"BZh9", b"\xfd7zXZ\x00", b""]),
    rest=st.binary(max_size=2048),
    name=NAMES,
)
def test_magic_then_random_bytes(magic: bytes, rest: bytes, name: str) -> None:
    check_archive(magic + rest, name)


@FUZZ
@given(
    seed=st.sampled_from(range(len(SEEDS))),
    flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(1, 255)), max_size=16),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    splice=st.one_of(st.none(), st.tuples(st.integers(min_value=0), st.binary(min_size=1, max_size=64))),
    name=NAMES,
)
def test_mutated_valid_archives(
    seed: int,
    flips: list[tuple[int, int]],
    cut: int | None,
    splice: tuple[int, bytes] | None,
    name: str,
) -> None:
    data = bytearray(SEEDS[seed])
    for offset, mask in flips:
        data[offset % len(data)] ^= mask
    if splice is not None:
        at = splice[0] % (len(data) + 1)
        data[at:at] = splice[1]
    if cut is not None:
        data = data[: cut % (len(data) + 1)]
    check_archive(bytes(data), name)


@FUZZ
@given(
    files=st.dictionaries(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=60),
        st.binary(max_size=512),
        max_size=12,
    ),
    fmt=st.sampled_from(["tar.gz", "tar", "zip"]),
)
def test_archives_with_arbitrary_member_names(files: dict[str, bytes], fmt: str) -> None:
    try:
        data = build_archive(files, fmt)
    except (ValueError, IndexError, UnicodeEncodeError, tarfile.TarError):
        return  # the writer refused the name (zipfile: IndexError on a name of only NULs): nothing to read
    check_archive(data, f"x.{fmt}")


# -- extract_features -----------------------------------------------------------------------------------

TOKENS = [
    *"abcdefxyz_0123456789 \t\n()[]{}:;,.'\"\\#=+-*/%<>!@&|^~",
    "import ", "from ", "def ", "class ", "lambda ", "exec(", "eval(", "os.system(", "base64.b64decode(",
    "__import__(", "getattr(", "setup(", "cmdclass=", "subprocess.Popen(", "socket.socket(", "chr(",
    "'http://198.51.100.7/x'", "\\x41", "if ", "else ", "for ", "while ", "try:", "except:", "yield ",
    "\n    ", "\n        ", "async ", "await ", "f'", "# -*- coding: latin-1 -*-\n", "# coding: rot13\n",
    "\x00", "\ufeff", "é", "\u2028", "\r", "'''", '"""', "\\",
]  # fmt: skip
#: Python-ish text: keywords, calls the detectors look for, brackets, quotes, escapes and odd characters.
PYTHONISH = st.lists(st.sampled_from(TOKENS), max_size=200).map("".join)
PY_PATHS = st.sampled_from(
    [
        "demo-1.0/setup.py",
        "demo-1.0/demo/__init__.py",
        "demo-1.0/demo/cli.py",
        "demo-1.0/demo.pth",
        "setup.py",
    ]
)
META_PATHS = st.sampled_from(
    [
        "demo-1.0/PKG-INFO",
        "demo-1.0/setup.cfg",
        "demo-1.0/demo.egg-info/entry_points.txt",
        "demo.dist-info/METADATA",
        "demo-1.0/LICENSE",
        "demo-1.0/install.sh",
    ]
)


def _archive(members: dict[str, bytes]) -> Archive:
    return Archive(
        "fuzz",
        "demo-1.0.tar.gz",
        "0" * 64,
        ArchiveFormat.TAR_GZ,
        tuple(Member(p, d) for p, d in members.items()),
    )


@FUZZ
@given(files=st.dictionaries(PY_PATHS, PYTHONISH, min_size=1, max_size=4))
def test_features_of_random_pythonish_text(files: dict[str, str]) -> None:
    check_features(_archive({p: t.encode("utf-8", "surrogatepass") for p, t in files.items()}))


@FUZZ
@given(
    files=st.dictionaries(st.one_of(PY_PATHS, META_PATHS), st.binary(max_size=2048), min_size=1, max_size=6)
)
def test_features_of_random_bytes_as_python_and_metadata(files: dict[str, bytes]) -> None:
    check_features(_archive(files))


@FUZZ
@given(
    text=st.text(max_size=600),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "cp1252", "utf-8-sig"]),
    where=st.one_of(PY_PATHS, META_PATHS),
)
def test_features_of_random_text_in_odd_encodings(text: str, encoding: str, where: str) -> None:
    data = text.encode(encoding, "replace")
    check_features(_archive({where: data, "demo-1.0/PKG-INFO": b"Name: demo\nVersion: 1.0\n"}))
