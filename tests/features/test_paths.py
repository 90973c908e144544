"""Member paths made once: the same PurePosixPath as a fresh one, shared between callers."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from vetpy.features.paths import member_path


@pytest.mark.parametrize("path", ["setup.py", "a/b/__init__.py", "a//b/./c.py", "a/b/", "", ".", "x/../y.py"])
def test_member_path_is_a_pureposixpath(path: str) -> None:
    made = member_path(path)
    assert made == PurePosixPath(path)
    assert (made.name, made.suffix, made.parts) == (
        PurePosixPath(path).name,
        PurePosixPath(path).suffix,
        PurePosixPath(path).parts,
    )
    assert member_path(path) is made
