"""Archive-shape detectors: limits hit, path tricks, native binaries, nested archives, size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vetpy.features.interface import Family, ValueKind, spec

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

NATIVE_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!")
WHEEL_NATIVE_OK = (".so", ".pyd", ".dylib", ".dll", ".lib", ".a")
MAX_NOTES = 5

_A, _FLAG, _LOG = Family.ARCHIVE, ValueKind.FLAG, ValueKind.LOG_COUNT
SPECS = (
    spec(
        "archive.limit_hit",
        _A,
        _FLAG,
        "reading stopped at a size/count/ratio/time limit (bomb-like)",
        "archive bombs and padded archives try to exhaust or blind a scanner",
    ),
    spec(
        "archive.path_tricks",
        _A,
        _FLAG,
        "absolute paths, '..', links or devices inside the archive",
        "such members escape the unpack directory or point at files outside the package",
    ),
    spec(
        "archive.binary_files",
        _A,
        _FLAG,
        "native executables or libraries inside a source archive",
        "a source distribution has no reason to ship a ready-made executable payload",
    ),
    spec(
        "archive.nested_archives",
        _A,
        _FLAG,
        "archives inside the archive",
        "a second archive hides its content from a one-level look",
    ),
    spec("archive.log_files", _A, _LOG, "log(1 + number of files)", "malicious uploads are mostly tiny"),
    spec(
        "archive.log_py_files",
        _A,
        _LOG,
        "log(1 + number of Python files)",
        "a payload package often holds one or two Python files",
    ),
    spec(
        "archive.log_py_bytes",
        _A,
        _LOG,
        "log(1 + bytes of Python source)",
        "size puts the other counts in proportion (a large project has more of everything)",
    ),
    spec(
        "archive.no_python",
        _A,
        _FLAG,
        "no Python file at all",
        "a 'Python package' without Python carries its payload elsewhere (scripts, binaries)",
    ),
)


def detect(facts: PackageFacts, out: Collector) -> None:
    archive = facts.archive
    members = archive.members
    if archive.limit_hit:
        out.fire("archive.limit_hit", f"reading stopped at the {archive.limit_hit} limit")
        out.token("archive:limit_hit")
    if archive.notes:
        for note in archive.notes[:MAX_NOTES]:
            out.fire("archive.path_tricks", note)
        out.token("archive:path_tricks")
    is_wheel = archive.filename.lower().endswith(".whl") or "wheel" in archive.format.lower()
    for m in members:
        head = m.data[:8]
        lower = m.path.lower()
        if head.startswith(NATIVE_MAGIC) and not (head.startswith(b"MZ") and len(m.data) < 128):
            if is_wheel and lower.endswith(WHEEL_NATIVE_OK):
                continue
            out.fire("archive.binary_files", f"native executable or library: {m.path}", m.path)
            out.token("archive:binary")
        elif head.startswith(ARCHIVE_MAGIC):
            out.fire("archive.nested_archives", f"archive inside the archive: {m.path}", m.path)
            out.token("archive:nested")
    py = facts.py_members
    out.count("archive.log_files", len(members))
    out.count("archive.log_py_files", len(py))
    out.count("archive.log_py_bytes", sum(len(m.data) for m in py))
    if not py:
        out.fire("archive.no_python", "no Python file in the archive")
        out.token("archive:no_python")
