"""The corpus feature cache's key: what invalidates it and what does not."""

from __future__ import annotations

from pathlib import Path

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
