"""Small defanged packages, one per way of hiding code from a reader that pip would still install or run.

Every payload only writes a canary file (``CANARY`` under the test's temp dir) and looks like malware to a
reader: it decodes base64 and runs it. Nothing here ever runs a payload; tests extract some of these with
pip's own unpacking code to show what pip would put on disk.
"""

from __future__ import annotations

import base64
import io
import json
import py_compile
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PKG_INFO = b"Metadata-Version: 2.1\nName: evil\nVersion: 1.0\nSummary: a demo\n"
BENIGN_SETUP = b"from setuptools import setup\nsetup(name='evil', version='1.0')\n"
MiB = 1024 * 1024


def payload(canary: Path) -> bytes:
    """Code that decodes and runs ``open(canary, 'w').write('ran')`` (the only thing it would ever do)."""
    inner = base64.b64encode(f"open({str(canary)!r}, 'w').write('ran')".encode()).decode()
    return f"import base64\nexec(base64.b64decode('{inner}'))\n".encode()


def tinfo(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", size: int = 0) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime, info.size = kind, linkname, 0o644, 1_700_000_000, size
    return info


def tar_gz(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.GNU_FORMAT) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def files_tar(files: dict[str, bytes]) -> bytes:
    return tar_gz([(tinfo(p), d) for p, d in files.items()])


def zip_with_modes(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in files.items():
            info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


REG = stat.S_IFREG | 0o644


def _base(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    return {"evil-1.0/PKG-INFO": PKG_INFO, "evil-1.0/evil/__init__.py": b"VERSION = '1.0'\n"} | (extra or {})


@dataclass(frozen=True)
class Evasion:
    """One class of hiding place: a package file name, how to build it, and where pip puts the payload."""

    name: str
    filename: str
    build: Callable[[Path], bytes]
    installed: str  # path (after pip's unpacking) whose content holds the payload; "" when none
    runs: str  # when the payload would run


def zip_symlink_mode(canary: Path) -> bytes:
    files = {p: (d, REG) for p, d in _base().items()}
    files["evil-1.0/setup.py"] = (payload(canary) + BENIGN_SETUP, stat.S_IFLNK | 0o777)
    return zip_with_modes(files)


def zip_fifo_mode(canary: Path) -> bytes:
    files = {
        "evil/__init__.py": (payload(canary), stat.S_IFIFO | 0o644),
        "evil-1.0.dist-info/METADATA": (PKG_INFO, REG),
        "evil-1.0.dist-info/WHEEL": (b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n", REG),
    }
    return zip_with_modes(files)


def tar_link(kind: bytes) -> Callable[[Path], bytes]:
    def build(canary: Path) -> bytes:
        target = "data/blob.txt" if kind == tarfile.SYMTYPE else "evil-1.0/data/blob.txt"
        entries: list[tuple[tarfile.TarInfo, bytes | None]] = [(tinfo(p), d) for p, d in _base().items()]
        entries.append((tinfo("evil-1.0/data/blob.txt"), payload(canary) + BENIGN_SETUP))
        entries.append((tinfo("evil-1.0/setup.py", kind, target), None))
        return tar_gz(entries)

    return build


def tar_link_escape(canary: Path) -> bytes:
    entries: list[tuple[tarfile.TarInfo, bytes | None]] = [(tinfo(p), d) for p, d in _base().items()]
    entries.append((tinfo("evil-1.0/setup.py"), BENIGN_SETUP))
    entries.append(
        (tinfo("evil-1.0/evil/config.py", tarfile.SYMTYPE, "../../../../../tmp/vetpy-elsewhere.py"), None)
    )
    return tar_gz(entries)


def polyglot(canary: Path) -> bytes:
    tar = files_tar(_base({"evil-1.0/setup.py": BENIGN_SETUP}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in _base({"evil-1.0/setup.py": payload(canary) + BENIGN_SETUP}).items():
            archive.writestr(path, data)
    return tar + buffer.getvalue()


def duplicate_names(canary: Path) -> bytes:
    entries = [(tinfo(p), d) for p, d in _base().items()]
    entries.append((tinfo("evil-1.0/setup.py"), BENIGN_SETUP))
    entries.append((tinfo("evil-1.0/setup.py"), payload(canary) + BENIGN_SETUP))  # extraction keeps this one
    return tar_gz(entries)  # type: ignore[arg-type]


def _padding(size: int) -> bytes:
    """Comment lines that compress about 150:1 (under the default ratio limit)."""
    line = b"#" + b" " * 2000 + b"\n"
    out = bytearray()
    n = 0
    while len(out) < size:
        out += line[:-1] + b"%08d\n" % (n * 2654435761 % 10**8)
        n += 1
    return bytes(out[:size].rsplit(b"\n", 1)[0] + b"\n")


def oversized_setup(canary: Path) -> bytes:
    return files_tar(_base({"evil-1.0/setup.py": _padding(17 * MiB) + payload(canary) + BENIGN_SETUP}))


def padded_setup(canary: Path) -> bytes:
    return files_tar(_base({"evil-1.0/setup.py": _padding(3 * MiB) + payload(canary) + BENIGN_SETUP}))


def many_py_files(canary: Path) -> bytes:
    files = _base({"evil-1.0/setup.py": BENIGN_SETUP})
    files |= {f"evil-1.0/evil/m{i:04d}.py": b"X = %d\n" % i for i in range(3000)}
    files["evil-1.0/evil/zz/__init__.py"] = payload(canary)
    return files_tar(files)


def _utf7_line(line: str) -> str:
    encoded = base64.b64encode(line.encode("utf-16-be")).decode().rstrip("=")
    return f"+{encoded}-"


def utf7_source(canary: Path) -> bytes:
    hidden = "\n".join(_utf7_line(line) for line in payload(canary).decode().splitlines())
    return files_tar(
        _base({"evil-1.0/setup.py": b"# coding: utf-7\n" + hidden.encode() + b"\n" + BENIGN_SETUP})
    )


def unicode_escape_source(canary: Path) -> bytes:
    text = payload(canary).decode()
    hidden = "".join(f"\\x{ord(c):02x}" if c.isalpha() else c for c in text)
    return files_tar(
        _base({"evil-1.0/setup.py": b"# coding: unicode_escape\n" + hidden.encode() + BENIGN_SETUP})
    )


def exec_data_file(canary: Path) -> bytes:
    setup = (
        b"import os\nhere = os.path.dirname(__file__)\n"
        + (b"exec(open(os.path.join(here, 'build', 'config.txt')).read())\n")
        + BENIGN_SETUP
    )
    return files_tar(_base({"evil-1.0/setup.py": setup, "evil-1.0/build/config.txt": payload(canary)}))


def runpy_data_file(canary: Path) -> bytes:
    setup = b"import runpy\nrunpy.run_path('tools/helper.dat')\n" + BENIGN_SETUP
    return files_tar(_base({"evil-1.0/setup.py": setup, "evil-1.0/tools/helper.dat": payload(canary)}))


def compiled(source: bytes) -> bytes:
    """``source`` compiled to a .pyc (compiled only, never run)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "m.py")
        src.write_bytes(source)
        return Path(py_compile.compile(str(src), cfile=str(Path(tmp, "m.pyc")), doraise=True)).read_bytes()


def sourceless_wheel(canary: Path) -> bytes:
    files = {
        "evil/__init__.py": b"from . import _impl\n",
        "evil/_impl.pyc": compiled(payload(canary)),
        "evil-1.0.dist-info/METADATA": PKG_INFO,
        "evil-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    return zip_with_modes({p: (d, REG) for p, d in files.items()})


def notebook(canary: Path) -> bytes:
    cells = [{"cell_type": "code", "source": payload(canary).decode().splitlines(keepends=True)}]
    doc = json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}).encode()
    return files_tar(_base({"evil-1.0/setup.py": BENIGN_SETUP, "evil-1.0/demo.ipynb": doc}))


def in_tree_backend(canary: Path) -> bytes:
    body = "".join("    " + line + "\n" for line in payload(canary).decode().splitlines())
    backend = (
        "from setuptools import build_meta as _orig\n"
        "prepare_metadata_for_build_wheel = _orig.prepare_metadata_for_build_wheel\n"
        "build_sdist = _orig.build_sdist\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        + body
        + "    return _orig.build_wheel(wheel_directory, config_settings, metadata_directory)\n"
    ).encode()
    pyproject = (
        b'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
    )
    return files_tar(_base({"evil-1.0/pyproject.toml": pyproject, "evil-1.0/_build/backend.py": backend}))


EVASIONS: tuple[Evasion, ...] = (
    Evasion("zip member with symlink mode", "evil-1.0.zip", zip_symlink_mode, "setup.py", "build"),
    Evasion(
        "zip member with FIFO mode", "evil-1.0-py3-none-any.whl", zip_fifo_mode, "evil/__init__.py", "import"
    ),
    Evasion("tar symlink to a data file", "evil-1.0.tar.gz", tar_link(tarfile.SYMTYPE), "setup.py", "build"),
    Evasion("tar hardlink to a data file", "evil-1.0.tar.gz", tar_link(tarfile.LNKTYPE), "setup.py", "build"),
    Evasion("tar symlink leaving the archive", "evil-1.0.tar.gz", tar_link_escape, "", "install"),
    Evasion("tar.gz + zip polyglot", "evil-1.0.tar.gz", polyglot, "setup.py", "build"),
    Evasion("duplicate member names", "evil-1.0.tar.gz", duplicate_names, "setup.py", "build"),
    Evasion("17 MiB padded setup.py", "evil-1.0.tar.gz", oversized_setup, "setup.py", "build"),
    Evasion("3 MiB padded setup.py", "evil-1.0.tar.gz", padded_setup, "setup.py", "build"),
    Evasion(
        "payload in the 3,001st .py file", "evil-1.0.tar.gz", many_py_files, "evil/zz/__init__.py", "import"
    ),
    Evasion("utf-7 source encoding", "evil-1.0.tar.gz", utf7_source, "setup.py", "build"),
    Evasion("unicode_escape source encoding", "evil-1.0.tar.gz", unicode_escape_source, "setup.py", "build"),
    Evasion("exec(open(data file).read())", "evil-1.0.tar.gz", exec_data_file, "build/config.txt", "build"),
    Evasion("runpy.run_path(data file)", "evil-1.0.tar.gz", runpy_data_file, "tools/helper.dat", "build"),
    Evasion(
        "sourceless .pyc in a pure wheel",
        "evil-1.0-py3-none-any.whl",
        sourceless_wheel,
        "evil/_impl.pyc",
        "import",
    ),
    Evasion("notebook code cell", "evil-1.0.tar.gz", notebook, "demo.ipynb", "user"),
    Evasion("in-tree build backend", "evil-1.0.tar.gz", in_tree_backend, "_build/backend.py", "build"),
)
