"""Settings read from the environment once, into a frozen object; library code asks for them."""

from __future__ import annotations

from pathlib import Path

import pytest

from vetpy import settings
from vetpy.acquire.credentials import Credentials
from vetpy.acquire.targets import expand_variables
from vetpy.lab.dataset.paths import cache_dir
from vetpy.osv.client import DEFAULT_OSV_URL, osv_url


def test_from_environ_precedence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    empty = settings.Settings.from_environ({}, home)
    assert (empty.cache_dir, empty.data_dir) == (home / ".cache" / "vetpy", None)
    assert (empty.osv_url, empty.osv_cache_seconds) == (None, settings.DEFAULT_OSV_CACHE_SECONDS)
    assert empty.netrc == home / ".netrc" and empty.url_variables == {}
    xdg = settings.Settings.from_environ({"XDG_CACHE_HOME": "/x"}, home)
    assert xdg.cache_dir == Path("/x/vetpy")
    both = settings.Settings.from_environ({"XDG_CACHE_HOME": "/x", "VETPY_CACHE": "/c", "VETPY_DATA": "/d"})
    assert (both.cache_dir, both.data_dir) == (Path("/c"), Path("/d"))
    with pytest.raises(AttributeError):
        both.cache_dir = Path("/elsewhere")  # type: ignore[misc]


def test_from_environ_reads_osv_netrc_and_url_variables(tmp_path: Path) -> None:
    environ = {
        "VETPY_OSV_URL": "http://127.0.0.1:1/osv",
        "VETPY_OSV_CACHE_SECONDS": "0",
        "NETRC": "/n/netrc",
        "INDEX_TOKEN": "t0ken-value",
        "lower_case": "not a pip variable",
    }
    read = settings.Settings.from_environ(environ, tmp_path)
    assert (read.osv_url, read.osv_cache_seconds, read.netrc) == (
        "http://127.0.0.1:1/osv",
        0.0,
        Path("/n/netrc"),
    )
    assert "INDEX_TOKEN" in read.url_variables and "lower_case" not in read.url_variables
    assert "t0ken-value" not in repr(read)  # the environment may hold secrets
    broken = settings.Settings.from_environ(
        {"VETPY_OSV_URL": "", "VETPY_OSV_CACHE_SECONDS": "soon"}, tmp_path
    )
    assert (broken.osv_url, broken.osv_cache_seconds) == (None, settings.DEFAULT_OSV_CACHE_SECONDS)


def test_configured_settings_are_what_library_code_sees(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine files.mirror.internal login bob password netrc-secret-1\n")
    configured = settings.Settings(
        tmp_path / "cache",
        osv_url="http://127.0.0.1:2/osv/",
        netrc=netrc,
        url_variables={"INDEX_TOKEN": "abc"},
    )
    previous = settings.configure(configured)
    try:
        assert cache_dir() == tmp_path / "cache"
        assert osv_url() == "http://127.0.0.1:2/osv" and osv_url("http://127.0.0.1:3") == "http://127.0.0.1:3"
        login = Credentials([], "disabled").login_for("https://files.mirror.internal/x.whl")
        assert login is not None and login.password == "netrc-secret-1"
        assert (
            expand_variables("https://u:${INDEX_TOKEN}@h/${UNSET}/simple")
            == "https://u:abc@h/${UNSET}/simple"
        )
        settings.configure(settings.Settings(tmp_path / "cache"))
        assert osv_url() == DEFAULT_OSV_URL
        assert Credentials([], "disabled").login_for("https://files.mirror.internal/x.whl") is None
        assert expand_variables("https://u:${INDEX_TOKEN}@h/simple") == "https://u:${INDEX_TOKEN}@h/simple"
    finally:
        settings.configure(previous)


def test_unconfigured_settings_follow_the_environment_of_each_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VETPY_OSV_URL", "http://127.0.0.1:4")  # conftest resets the settings per test
    assert osv_url() == "http://127.0.0.1:4"
