"""redact(): logins in URLs and registered secrets never leave vetpy."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyindex import isolate_pip
from vetpy.acquire.credentials import Credentials, split_login
from vetpy.redact import redact, register_secret


def test_urls_lose_their_login() -> None:
    text = "GET https://user:s3cr3t@mirror.example/simple/x/ failed; also http://tok3n@h:8/a and ftp://a:b@c"
    assert (
        redact(text)
        == "GET https://***@mirror.example/simple/x/ failed; also http://***@h:8/a and ftp://***@c"
    )
    assert redact("no url here: a@b, mailto:x@y") == "no url here: a@b, mailto:x@y"


def test_registered_secrets_are_removed_anywhere() -> None:
    register_secret("netrc-pa55word-123")
    register_secret("x")  # too short to register: it would blank ordinary text
    assert redact("server said: bad token netrc-pa55word-123!") == "server said: bad token ***!"
    assert redact("x marks the spot") == "x marks the spot"


def test_long_lines_stay_fast() -> None:
    line = "a://" + "b" * 200_000 + " " + "c://" * 50_000
    assert redact(line) == line


def test_split_login_and_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_pip(monkeypatch, tmp_path)
    clean, login = split_login("https://al%40ice:p%3Ass-word@mirror.internal:8443/simple")
    assert clean == "https://mirror.internal:8443/simple"
    assert login is not None and (login.username, login.password) == ("al@ice", "p:ss-word")
    assert redact("p:ss-word and p%3Ass-word") == "*** and ***"
    netrc = tmp_path / "netrc"
    netrc.write_text("machine files.mirror.internal login bob password netrc-secret-999\n")
    monkeypatch.setenv("NETRC", str(netrc))
    creds = Credentials(["https://al%40ice:p%3Ass-word@mirror.internal:8443/simple"], "disabled")
    # the index's login covers its files on the same host and port, netrc covers other hosts
    found = creds.login_for("https://mirror.internal:8443/files/x.whl")
    assert found is not None and found.username == "al@ice"
    assert creds.login_for("https://mirror.internal/other") is None  # another port is another origin
    netrc_login = creds.login_for("https://files.mirror.internal/x.whl")
    assert netrc_login is not None and netrc_login.password == "netrc-secret-999"
    assert redact("echo netrc-secret-999") == "echo ***"
