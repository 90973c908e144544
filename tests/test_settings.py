"""Settings read from the environment once, into a frozen object."""

from __future__ import annotations

from pathlib import Path

import pytest

from vetpy import settings
from vetpy.lab.dataset.paths import cache_dir


def test_from_environ_precedence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert settings.Settings.from_environ({}, home) == settings.Settings(home / ".cache" / "vetpy", None)
    xdg = settings.Settings.from_environ({"XDG_CACHE_HOME": "/x"}, home)
    assert xdg.cache_dir == Path("/x/vetpy")
    both = settings.Settings.from_environ({"XDG_CACHE_HOME": "/x", "VETPY_CACHE": "/c", "VETPY_DATA": "/d"})
    assert both == settings.Settings(Path("/c"), Path("/d"))
    with pytest.raises(AttributeError):
        both.cache_dir = Path("/elsewhere")  # type: ignore[misc]


def test_configured_settings_are_what_library_code_sees(tmp_path: Path) -> None:
    previous = settings.configure(settings.Settings(tmp_path / "cache"))
    try:
        assert cache_dir() == tmp_path / "cache"
    finally:
        settings.configure(previous)
