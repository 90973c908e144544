"""Metadata, typosquatting and archive-shape features."""

from __future__ import annotations

import math

from featurepkgs import make_archive, pkg_info
from vetpy.features.extract import extract_features
from vetpy.features.typosquat import typosquat


def test_typosquat_fires_on_near_name_not_on_popular_itself() -> None:
    squat = extract_features(make_archive({}, name="requestss"))
    assert squat.values["meta.typosquat"] == 1.0
    assert squat.values["meta.typosquat_similarity"] > 0.9
    assert "requests" in squat.evidence_for("meta.typosquat")[0].message
    own = extract_features(make_archive({}, name="requests"))
    assert own.values["meta.typosquat"] == 0.0 and own.values["meta.typosquat_similarity"] == 0.0
    assert typosquat("Requests").similarity == 0.0  # canonical form of a popular name


def test_typosquat_far_and_short_names() -> None:
    assert not typosquat("zq-quite-unrelated-internal-tool").is_typosquat
    assert not typosquat("nmp").is_typosquat  # shorter than 4


def test_no_author_no_license_odd_version() -> None:
    bare = extract_features(make_archive({}, version="0.0.0"))
    assert bare.values["meta.no_author"] == 1.0
    assert bare.values["meta.no_license"] == 1.0
    assert bare.values["meta.odd_version"] == 1.0
    assert extract_features(make_archive({}, version="999.0.4")).values["meta.odd_version"] == 1.0
    full = extract_features(
        make_archive(
            {"LICENSE": "MIT License"},
            version="1.4.2",
            pkg_info=pkg_info(version="1.4.2", author="Jane", license="MIT"),
        )
    )
    assert full.values["meta.no_author"] == 0.0
    assert full.values["meta.no_license"] == 0.0
    assert full.values["meta.odd_version"] == 0.0


def test_description_length_is_log_scaled() -> None:
    meta = pkg_info() + "\n" + "word " * 200
    f = extract_features(make_archive({}, pkg_info=meta))
    assert math.isclose(f.values["meta.log_description"], math.log1p(len(("word " * 200).strip())))


def test_archive_shape() -> None:
    f = extract_features(make_archive({"a.py": "x = 1\n", "b.txt": "hi"}))
    assert math.isclose(f.values["archive.log_files"], math.log1p(3))
    assert math.isclose(f.values["archive.log_py_files"], math.log1p(1))
    assert f.values["archive.no_python"] == 0.0
    assert extract_features(make_archive({"b.txt": "hi"})).values["archive.no_python"] == 1.0


def test_archive_anomalies() -> None:
    clean = extract_features(make_archive({"a.py": "x = 1\n"}))
    for fid in (
        "archive.limit_hit",
        "archive.path_tricks",
        "archive.binary_files",
        "archive.nested_archives",
    ):
        assert clean.values[fid] == 0.0
    odd = extract_features(
        make_archive(
            {
                "a.py": "x = 1\n",
                "bin/tool.exe": b"MZ" + b"\x00" * 200,
                "lib/x.so": b"\x7fELF" + b"\x00" * 60,
                "data/inner.zip": b"PK\x03\x04" + b"\x00" * 30,
            },
            notes=("skipped symlink a -> /etc/passwd",),
            limit_hit="max_members",
        )
    )
    for fid in (
        "archive.limit_hit",
        "archive.path_tricks",
        "archive.binary_files",
        "archive.nested_archives",
    ):
        assert odd.values[fid] == 1.0, fid
    assert any(e.file and e.file.endswith("tool.exe") for e in odd.evidence_for("archive.binary_files"))
