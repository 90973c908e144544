"""pip's configuration files remembered between runs: the same settings as pip's loader, read again as
soon as a file pip looks at appears or changes; PIP_* variables always live; logins never stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyindex import isolate_pip
from vetpy.acquire import pipconfig, pipmemo
from vetpy.acquire.pipconfig import environment_items, read_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_pip(monkeypatch, tmp_path)


def _user_files_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """pip looks at files under tmp_path only; the user file (not written yet) is returned."""
    monkeypatch.delenv("PIP_CONFIG_FILE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "etc-xdg"))
    return tmp_path / "xdg" / "pip" / "pip.conf"


def _pip_must_not_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import pip._internal.configuration as configuration

    def refuse(self: object) -> None:
        raise AssertionError("pip's loader ran")

    monkeypatch.setattr(configuration.Configuration, "load", refuse)


def test_a_second_read_comes_from_the_memo_until_a_file_appears_or_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user = _user_files_only(monkeypatch, tmp_path)
    first = read_settings()
    assert pipmemo.memo_path().is_file()
    with monkeypatch.context() as patched:
        _pip_must_not_load(patched)
        assert read_settings() == first
    user.parent.mkdir(parents=True)
    user.write_text("[install]\nindex-url = http://127.0.0.1:1/user\n")
    assert read_settings().index_url == "http://127.0.0.1:1/user"  # a new file: pip reads again
    with monkeypatch.context() as patched:
        _pip_must_not_load(patched)
        assert read_settings().index_url == "http://127.0.0.1:1/user"
    user.write_text("[install]\nindex-url = http://127.0.0.1:1/changed-user\n")
    assert read_settings().index_url == "http://127.0.0.1:1/changed-user"


def test_variables_are_read_live_and_never_stored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _user_files_only(monkeypatch, tmp_path)
    read_settings()
    _pip_must_not_load(monkeypatch)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:1/secret-token-env")
    assert read_settings().index_url == "http://127.0.0.1:1/secret-token-env"
    assert "secret-token-env" not in pipmemo.memo_path().read_text()


def test_a_login_in_a_file_is_never_stored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    user = _user_files_only(monkeypatch, tmp_path)
    user.parent.mkdir(parents=True)
    user.write_text("[global]\nindex-url = http://me:hunter2@127.0.0.1:1/simple\n")
    assert read_settings().index_url == "http://me:hunter2@127.0.0.1:1/simple"
    assert not pipmemo.memo_path().exists()


def test_another_pip_config_file_variable_is_another_fingerprint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    one, two = tmp_path / "one.conf", tmp_path / "two.conf"
    one.write_text("[global]\nindex-url = http://127.0.0.1:1/one\n")
    two.write_text("[global]\nindex-url = http://127.0.0.1:1/two\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(one))
    assert read_settings().index_url == "http://127.0.0.1:1/one"
    monkeypatch.setenv("PIP_CONFIG_FILE", str(two))
    assert read_settings().index_url == "http://127.0.0.1:1/two"


def test_a_damaged_memo_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _user_files_only(monkeypatch, tmp_path)
    first = read_settings()
    pipmemo.memo_path().write_text("{not json")
    assert read_settings() == first
    assert json.loads(pipmemo.memo_path().read_text())["format"] == pipmemo.FORMAT


def test_variables_are_named_as_pips_loader_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from pip._internal.configuration import Configuration

    for key, value in {
        "PIP_INDEX_URL": "http://127.0.0.1:1/i",
        "PIP_EXTRA_INDEX_URL": "http://127.0.0.1:1/x",
        "PIP_TRUSTED_HOST": "h",
        "PIP_NO_INDEX": "1",
        "PIP_DEFAULT_TIMEOUT": "5",
        "PIP_VERSION": "ignored",
    }.items():
        monkeypatch.setenv(key, value)
    config = Configuration(isolated=False, load_only=None)
    config.load()
    from_pip = sorted((k, str(v)) for k, v in config.items() if k.startswith(":env:"))
    assert sorted(environment_items()) == from_pip
    assert pipconfig.ordered_options(environment_items())["index-url"] == "http://127.0.0.1:1/i"
