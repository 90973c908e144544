"""pip's configuration as pip reads it: files, [install] over [global], PIP_* variables, certificates."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyindex import isolate_pip
from vetpy.acquire.pipconfig import ordered_options, pip_default_index, read_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_pip(monkeypatch, tmp_path)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pip.conf"
    path.write_text(text)
    return path


def test_nothing_configured_is_pips_default() -> None:
    from pip._internal.models.index import PyPI

    settings = read_settings()
    assert settings.index_url == pip_default_index() == PyPI.simple_url.rstrip("/")
    assert settings.extra_index_urls == () and settings.cert is None


def test_install_section_wins_over_global(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "[global]\nindex-url = http://127.0.0.1:1/global\nextra-index-url = http://127.0.0.1:1/x1\n"
        "[install]\nindex-url = http://127.0.0.1:1/install/\n"
        "[download]\nindex-url = http://127.0.0.1:1/download\n",
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    settings = read_settings()
    assert settings.index_url == "http://127.0.0.1:1/install"
    assert settings.extra_index_urls == ("http://127.0.0.1:1/x1",)


def test_environment_wins_over_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(
        "PIP_CONFIG_FILE", str(write(tmp_path, "[install]\nindex-url = http://127.0.0.1:1/f\n"))
    )
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:1/env")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "http://127.0.0.1:1/a http://127.0.0.1:1/b/")
    settings = read_settings()
    assert settings.index_urls == ("http://127.0.0.1:1/env", "http://127.0.0.1:1/a", "http://127.0.0.1:1/b")
    assert read_settings("http://127.0.0.1:1/given").index_urls == ("http://127.0.0.1:1/given",)


def test_override_order_is_pips() -> None:
    items = [
        (":env:.index-url", "E"),
        ("install.index-url", "I"),
        ("global.index-url", "G"),
        ("global.cert", "C"),
        ("freeze.index-url", "F"),
        ("global.timeout", ""),
    ]
    assert ordered_options(items) == {"index-url": "E", "cert": "C"}
    assert ordered_options(items[1:]) == {"index-url": "I", "cert": "C"}


def test_certificates_and_no_index(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/requests/ca.pem")
    assert read_settings().cert == "/requests/ca.pem"
    monkeypatch.setenv("PIP_CERT", "/pip/ca.pem")
    monkeypatch.setenv("PIP_CLIENT_CERT", "/pip/client.pem")
    monkeypatch.setenv("PIP_TRUSTED_HOST", "mirror.internal:8443 other")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    settings = read_settings()
    assert settings.cert == "/pip/ca.pem" and settings.client_cert == "/pip/client.pem"
    assert settings.trusted_hosts == ("mirror.internal:8443", "other")
    assert settings.index_urls == ()


def test_a_missing_certificate_file_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from vetpy.acquire.http import HttpClient
    from vetpy.errors import IndexLookupError

    monkeypatch.setenv("PIP_CERT", "/nonexistent/ca.pem")
    with pytest.raises(IndexLookupError, match="cannot load the certificates"):
        HttpClient(read_settings("https://127.0.0.1:9/simple")).fetch("https://127.0.0.1:9/simple/x/")
