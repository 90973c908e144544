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
