"""Logins for index requests, found where pip finds them, and never shown.

Order, as pip's ``MultiDomainBasicAuth``: a login written in the URL itself; the login of a configured index
on the same host and port (``https://user:token@mirror/simple`` also covers that mirror's file URLs); the
netrc file (``NETRC`` or ``~/.netrc``); keyring, when it is installed and pip's ``keyring-provider`` is
not ``disabled`` (only the ``import`` form: vetpy never spawns the ``keyring`` command). Every password found
is registered with :mod:`vetpy.redact`, so it is removed from all output.
"""

from __future__ import annotations

import base64
import netrc
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from vetpy import settings
from vetpy.redact import register_secret


@dataclass(frozen=True)
class Login:
    username: str
    password: str

    def header(self) -> str:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        return f"Basic {token}"


def split_login(url: str) -> tuple[str, Login | None]:
    """``url`` without its user-info, and the login it carried (if any)."""
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    login = Login(urllib.parse.unquote(user), urllib.parse.unquote(password))
    register_secret(login.password)
    if not login.password:  # a bare token as the user name is a secret too
        register_secret(login.username)
    return urllib.parse.urlunsplit(parts._replace(netloc=hostport)), login


def _netloc(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


class Credentials:
    """Finds the login for a URL from the configured indexes, netrc and keyring."""

    def __init__(self, index_urls: Iterable[str] = (), keyring_provider: str = "auto") -> None:
        self._by_netloc: dict[str, Login] = {}
        for url in index_urls:
            _, login = split_login(url)
            if login is not None:
                self._by_netloc.setdefault(_netloc(url), login)
        self._keyring_provider = keyring_provider
        self._netrc = _load_netrc()

    def login_for(self, url: str) -> Login | None:
        """The login to send with a request to ``url`` (``url`` may carry its own)."""
        _, login = split_login(url)
        if login is not None and login.password:
            return login
        netloc = _netloc(url)
        if netloc in self._by_netloc:
            return self._by_netloc[netloc]
        host = urllib.parse.urlsplit(url).hostname or ""
        found = self._from_netrc(host) or self._from_keyring(url, login.username if login else None)
        if found is None and login is not None:
            return login  # a user name alone (or a token as user name)
        return found

    def _from_netrc(self, host: str) -> Login | None:
        if self._netrc is None:
            return None
        entry = self._netrc.authenticators(host)
        if not entry:
            return None
        user, _, password = entry
        register_secret(password)
        return Login(user or "", password or "")

    def _from_keyring(self, url: str, username: str | None) -> Login | None:
        if self._keyring_provider in ("disabled", "subprocess"):
            return None
        try:
            import keyring  # optional, as in pip
        except Exception:
            return None
        for key in (url, urllib.parse.urlsplit(url).hostname or ""):
            try:
                credential = keyring.get_credential(key, username)
            except Exception:  # a broken backend must not sink the scan
                return None
            if credential is not None and credential.password:
                register_secret(credential.password)
                return Login(credential.username or "", credential.password)
        return None


def _load_netrc() -> netrc.netrc | None:
    path = settings.current().netrc
    try:
        if path is None or not path.is_file():
            return None
        parsed = netrc.netrc(str(path))
    except (OSError, netrc.NetrcParseError):
        return None
    for _, entry in parsed.hosts.items():
        register_secret(entry[2])
    return parsed
