"""Archive forensics as code-token bag tokens (no numeric column, so the bundled model is unchanged until a
retrain learns them): executables and archives disguised by their extension (a PE inside ``.png``, a zip
inside ``.txt``), images with data after their end (a payload read out of a picture), invisible and
bidirectional-control characters in Python source, and identifiers mixing Latin with look-alike Cyrillic
or Greek letters."""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from vetpy.features.paths import member_path
from vetpy.features.typosquat import popular_names

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

CONTENT_MAGIC = (
    ("pe", (b"MZ",)),
    ("elf", (b"\x7fELF",)),
    ("macho", (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")),
    ("zip", (b"PK\x03\x04",)),
    ("archive", (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!")),
)
#: Extensions whose files should never start like an executable or an archive.
INNOCENT_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".svg", ".txt", ".md", ".rst", ".crt", ".pem", ".cer"}
    | {".json", ".csv", ".cfg", ".ini", ".toml", ".yaml", ".yml", ".html", ".css", ".py", ".dat", ".wav"}
)
PNG_END = b"IEND\xaeB`\x82"
MIN_TRAILING = 64
BIDI = tuple(chr(c).encode() for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
INVISIBLE = tuple(chr(c).encode() for c in (0x200B, 0x200C, 0x200D, 0x2060, 0x180E))
MIXED_SCRIPT_RE = re.compile(
    r"[A-Za-z][^\W\d_]*[\u0370-\u03ff\u0400-\u04ff]|[\u0370-\u03ff\u0400-\u04ff][^\W\d_]*[A-Za-z]"
)
_GREEK_CYRILLIC_RE = re.compile(r"[\u0370-\u03ff\u0400-\u04ff]")  # both sides of MIXED_SCRIPT_RE need one
# The UTF-8 lead bytes of U+0340-U+04FF: a decoded text holds no Greek or Cyrillic letter without one (a
# byte memchr finds, where the class above is a regex scan of every character).
_GREEK_CYRILLIC_LEADS = (b"\xcd", b"\xce", b"\xcf", b"\xd0", b"\xd1", b"\xd2", b"\xd3")
MAX_SCAN_BYTES = 4_000_000
# MIXED_SCRIPT_RE's second alternative, which starts with the rare Greek or Cyrillic class. Its first one
# (a Latin letter, letters, then a Greek or Cyrillic character) is this one read backwards, so it matches a
# text exactly where this one matches the reversed text: two scans that start only at Greek or Cyrillic
# characters, instead of one that starts at every Latin letter and runs to the end of its word.
_MIXED_FROM_GREEK_CYRILLIC_RE = re.compile(r"[\u0370-\u03ff\u0400-\u04ff][^\W\d_]*[A-Za-z]")


def any_of(marks: tuple[bytes, ...]) -> Callable[[bytes], bool]:
    """``lambda data: any(mark in data for mark in marks)`` with one regex search per distinct first byte
    of the marks: alternatives sharing their first byte are searched for that byte, one pass over the
    data instead of one per mark."""
    patterns = [
        re.compile(b"|".join(re.escape(mark) for mark in marks if mark[:1] == first))
        for first in sorted({mark[:1] for mark in marks})
    ]
    return lambda data: any(pattern.search(data) is not None for pattern in patterns)


_HAS_BIDI, _HAS_INVISIBLE = any_of(BIDI), any_of(INVISIBLE)


def _disguised(path: str, data: bytes) -> str | None:
    suffix = member_path(path).suffix.lower()
    if suffix not in INNOCENT_SUFFIXES:
        return None
    for kind, magics in CONTENT_MAGIC:
        if data.startswith(magics) and (kind != "pe" or b"PE\x00\x00" in data[:1024]):
            return kind
    return None


def _trailing_image_data(path: str, data: bytes) -> bool:
    if not path.lower().endswith(".png") or not data.startswith(b"\x89PNG"):
        return False
    end = data.rfind(PNG_END)
    return end >= 0 and len(data) - (end + len(PNG_END)) >= MIN_TRAILING


def mixed_script_anywhere(text: str) -> bool:
    """``MIXED_SCRIPT_RE.search(text) is not None``, searched from the Greek and Cyrillic characters."""
    search = _MIXED_FROM_GREEK_CYRILLIC_RE.search
    return search(text) is not None or search(text[::-1]) is not None


def _mixed_script_name(text: str) -> bool:
    """An identifier (not a string or comment) mixing Latin with Cyrillic or Greek letters. The pattern has
    no anchors, so a match inside a token is a match in the whole text: without one anywhere (or without
    a Greek or Cyrillic letter, which it needs), no token can hold one and the tokenizer is not run."""
    text = text[:1_000_000]
    if _GREEK_CYRILLIC_RE.search(text) is None or not mixed_script_anywhere(text):
        return False
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.NAME and not tok.string.isascii() and MIXED_SCRIPT_RE.search(tok.string):
                return True
    except (tokenize.TokenError, SyntaxError, ValueError):
        return False
    return False


def forensic_tokens(path: str, data: bytes) -> list[str]:
    """Tokens for one archive member."""
    out: list[str] = []
    kind = _disguised(path, data)
    if kind:
        out.append(f"forensic:disguised_{kind}")
    if _trailing_image_data(path, data):
        out.append("forensic:image_trailing_data")
    if path.endswith(".py") and not data[:MAX_SCAN_BYTES].isascii():
        head = data[:MAX_SCAN_BYTES]
        if _HAS_BIDI(head):
            out.append("forensic:bidi_control")
        if _HAS_INVISIBLE(head):
            out.append("forensic:invisible_char")
        if any(lead in head for lead in _GREEK_CYRILLIC_LEADS) and _mixed_script_name(
            head.decode("utf-8", "replace")
        ):
            out.append("forensic:mixed_script_identifier")
    return out


def top_level_packages(paths: list[str], wheel: bool) -> set[str]:
    """Import packages at the top of a wheel (``pkg/``) or of an sdist (``root/pkg/``, ``root/src/pkg/``)."""
    found: set[str] = set()
    for path in paths:
        parts = member_path(path).parts
        if parts[-1:] != ("__init__.py",):
            continue
        if wheel and len(parts) == 2:
            found.add(parts[0])
        elif not wheel and (len(parts) == 3 or (len(parts) == 4 and parts[1] == "src")):
            found.add(parts[-2])
    return found


def shadowed_projects(dist_name: str, paths: list[str], wheel: bool = False) -> list[str]:
    """Top-level packages named like a *different* popular project: installing this package replaces what
    ``import <name>`` finds (a clone, or an import-name squat)."""
    _, popular = popular_names()
    own = canonicalize_name(dist_name)
    return sorted(
        name
        for name in top_level_packages(paths, wheel)
        if (canon := canonicalize_name(name)) in popular and canon != own and not own.startswith(canon)
    )


def _dist_name(filename: str) -> str:
    """The distribution name from an archive file name (``name-version.tar.gz`` or a wheel's name)."""
    stem = member_path(filename).name
    return re.split(r"-\d", stem, maxsplit=1)[0]


def detect(facts: PackageFacts, out: Collector) -> None:
    """Forensic tokens over every member (each kind once per package), then module shadowing."""
    seen: set[str] = set()
    for member in facts.archive.members:
        for token in forensic_tokens(member.path, member.data):
            if token not in seen:
                seen.add(token)
                out.token(token)
    filename = facts.archive.filename
    paths = [m.path for m in facts.py_members]
    if shadowed_projects(_dist_name(filename), paths, wheel=filename.endswith(".whl")):
        out.token("clone:shadows_popular_module")
    # Known files (clones.py) are simply not scanned, and leave no token: in the development data only
    # malware clones hold them (the index has the latest releases), so a token taught "holds a popular
    # project's file = malicious" and pushed up every benign package that vendors one.
