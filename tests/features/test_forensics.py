"""Archive forensics tokens: each with a positive and a negative case (no real executable is built)."""

from __future__ import annotations

import io
import zipfile

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.forensics import forensic_tokens

FAKE_PE = b"MZ" + b"\x00" * 58 + b"\x40\x00\x00\x00" + b"PE\x00\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32 + b"IEND\xaeB`\x82"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("canary.txt", "vetpy canary")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("path", "data", "token"),
    [
        ("pkg/assets/logo.png", FAKE_PE, "forensic:disguised_pe"),
        ("pkg/data/readme.txt", _zip(), "forensic:disguised_zip"),
        ("pkg/certs/ca.crt", b"\x7fELF\x02\x01\x01" + b"\x00" * 32, "forensic:disguised_elf"),
        ("pkg/assets/logo.png", PNG + b"import os  # canary " * 8, "forensic:image_trailing_data"),
        ("pkg/mod.py", "access = 'user' # \u202e nimda \u2066\n".encode(), "forensic:bidi_control"),
        ("pkg/mod.py", "is_admin\u200b = True\n".encode(), "forensic:invisible_char"),
        ("pkg/mod.py", "def r\u0435quests_get(): pass\n".encode(), "forensic:mixed_script_identifier"),
    ],
)
def test_forensic_positive(path: str, data: bytes, token: str) -> None:
    assert token in forensic_tokens(path, data)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("pkg/assets/logo.png", PNG),
        ("pkg/lib/_speedups.so", b"\x7fELF\x02\x01\x01"),  # a native extension is named as one
        ("pkg/data/archive.zip", _zip()),
        ("pkg/notes.txt", b"MZ is the start of a DOS header"),
        (
            "pkg/mod.py",
            "# Привет, мир\nname = 'Ωmega'\nx = 1\n".encode(),
        ),  # prose and strings, one script each
    ],
)
def test_forensic_negative(path: str, data: bytes) -> None:
    assert forensic_tokens(path, data) == []


def test_forensic_tokens_reach_the_bag_once() -> None:
    files = {"pkg/a.png": FAKE_PE, "pkg/b.png": FAKE_PE, "pkg/__init__.py": "x = 1\n"}
    tokens = extract_features(make_archive(files)).code_text.split()
    assert tokens.count("forensic:disguised_pe") == 1


def test_module_shadowing_of_a_different_popular_project() -> None:
    from vetpy.features.forensics import shadowed_projects

    sdist = ["reqeusts-extra-1.0/requests/__init__.py", "reqeusts-extra-1.0/requests/api.py"]
    assert shadowed_projects("reqeusts-extra", sdist) == ["requests"]
    wheel = ["requests/__init__.py", "requests/adapters/__init__.py"]
    assert shadowed_projects("helper-x", wheel, wheel=True) == ["requests"]
    assert shadowed_projects("requests", ["requests-2.32.3/src/requests/__init__.py"]) == []
    assert (
        shadowed_projects("requests-toolbelt", ["requests-toolbelt-1.0/requests_toolbelt/__init__.py"]) == []
    )
    vendored = ["mytool-1.0/mytool/_vendor/requests/__init__.py", "mytool-1.0/mytool/__init__.py"]
    assert shadowed_projects("mytool", vendored) == []
    tokens = extract_features(
        make_archive({"requests/__init__.py": "x = 1\n"}, name="reqeusts-extra")
    ).code_text
    assert "clone:shadows_popular_module" in tokens.split()


def test_known_files_are_not_scanned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file of a popular project's release (clones.py) is someone else's code: the package is judged
    on what it adds (the known file's calls do not count), and no token says it holds one."""
    import vetpy.features.gather as gather_module

    copied = "import subprocess\n\ndef run_tool(args):\n    return subprocess.run(['tool', *args])\n"
    monkeypatch.setattr(gather_module, "known_file", lambda data: data == copied.encode())
    files = {"pkg/tool.py": copied, "pkg/extra.py": "X = 1\n"}
    feats = extract_features(make_archive(files))
    assert feats.values["code.subprocess"] == 0
    assert not [t for t in feats.code_text.split() if t.startswith("clone:")]
    monkeypatch.setattr(gather_module, "known_file", lambda data: False)
    plain = extract_features(make_archive(files))
    assert plain.values["code.subprocess"] > 0
    assert "call:subprocess.run" in plain.code_text.split()


def test_any_of_is_a_substring_test_per_mark() -> None:
    import random

    from vetpy.features.forensics import BIDI, INVISIBLE, any_of

    rng = random.Random(6)
    for marks in (BIDI, INVISIBLE, (b"ab", b"ac", b"b", b"\x00.", b"*")):
        found = any_of(marks)
        pieces = [
            *marks,
            *(m[:-1] for m in marks),
            *(m[1:] for m in marks),
            b"a",
            b"\xe2",
            b"\x80",
            b".",
            b" ",
        ]
        for _ in range(3000):
            data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
            assert found(data) is any(m in data for m in marks), data


def test_the_lead_byte_check_skips_only_texts_without_greek_or_cyrillic() -> None:
    import random

    from vetpy.features.forensics import _mixed_script_name

    rng = random.Random(8)
    pieces = ["a", "x = ", "\u0430", "\u03b1", "\u0370", "\u04ff", "\u0340", "\xe9", "#", "'", "\n", "_"]
    pieces += ["\ufffd", "\u0500", "\u036f"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        data = text.encode("utf-8", "surrogatepass")
        for blob in (data, data[:-1], b"\xd0" + data, data + b"\xce"):
            mixed = "forensic:mixed_script_identifier" in forensic_tokens("m.py", blob)
            assert mixed is (not blob.isascii() and _mixed_script_name(blob.decode("utf-8", "replace"))), blob
