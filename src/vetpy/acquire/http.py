"""A small HTTP(S) client for index pages and files that an index cannot turn against vetpy.

Every request has a hard overall deadline (a watchdog shuts the socket, so a server trickling one byte a
second cannot hold a scan), a size cap (checked against Content-Length and while reading), only ``http`` and
``https`` URLs (an index cannot point vetpy at ``file:///etc/passwd`` or a FIFO), at most
``MAX_REDIRECTS`` redirects, each to http(s) only, and a note for every redirect to another host (the login
is not carried there). Certificates, client certificates, trusted hosts, proxies and logins follow pip's
settings (see :mod:`vetpy.acquire.pipconfig` and :mod:`vetpy.acquire.credentials`). Errors are
:class:`~vetpy.errors.IndexLookupError` with credentials removed.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

from vetpy.acquire.credentials import Credentials, split_login
from vetpy.acquire.pipconfig import IndexSettings
from vetpy.errors import IndexLookupError
from vetpy.redact import redact

USER_AGENT = "vetpy (static malicious-package scanner)"
MAX_REDIRECTS = 5
MAX_PAGE_BYTES = 32 * 1024 * 1024  # one index page (JSON or HTML); the largest real pages are a few MiB
DEFAULT_DEADLINE = 300.0  # seconds for one request, headers and body together
_CHUNK = 256 * 1024
_REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Fetched:
    """One answer: the final URL (no login in it), status, headers (lower-case names), body and notes."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    notes: tuple[str, ...] = field(default_factory=tuple)


class _Watchdog:
    """Shuts a connection's socket when the deadline passes (unblocks any read in progress)."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.fired = False
        self.sock: socket.socket | None = None  # kept: http.client drops its own reference early
        self._connection = connection
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        sock = self.sock or self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class HttpClient:
    """GET requests with pip's connection settings and vetpy's limits."""

    def __init__(
        self,
        settings: IndexSettings,
        *,
        deadline: float = DEFAULT_DEADLINE,
        credentials: Credentials | None = None,
    ) -> None:
        self.settings = settings
        self.deadline = deadline
        self.credentials = credentials or Credentials(
            (*settings.index_urls, *settings.find_links), settings.keyring_provider
        )
        self._contexts: dict[bool, ssl.SSLContext] = {}

    def fetch(self, url: str, *, accept: str | None = None, max_bytes: int = MAX_PAGE_BYTES) -> Fetched:
        """GET ``url`` following redirects; raise IndexLookupError on any failure, HTTP >= 400 included."""
        end = time.monotonic() + self.deadline
        notes: list[str] = []
        current = url
        login = self.credentials.login_for(url)
        for _ in range(MAX_REDIRECTS + 1):
            clean, _ = split_login(current)
            status, headers, body = self._request(clean, accept, max_bytes, end, login)
            if status in _REDIRECTS and headers.get("location"):
                target = urllib.parse.urljoin(clean, headers["location"])
                _require_http(target, f"{redact(clean)}: redirect")
                if _host(target) != _host(clean):
                    notes.append(redact(f"redirected from {_host(clean)} to {_host(target)}"))
                    login = self.credentials.login_for(split_login(target)[0])
                current = target
                continue
            if status >= 400:
                raise IndexLookupError(redact(f"{clean}: HTTP {status}"))
            return Fetched(clean, status, headers, body, tuple(notes))
        raise IndexLookupError(redact(f"{url}: more than {MAX_REDIRECTS} redirects"))

    def _request(
        self, url: str, accept: str | None, max_bytes: int, end: float, login: object
    ) -> tuple[int, dict[str, str], bytes]:
        _require_http(url, redact(url))
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise IndexLookupError(redact(f"{url}: no answer within {self.deadline:g} s"))
        parts = urllib.parse.urlsplit(url)
        connection, path = self._connection(parts, min(self.settings.timeout, remaining))
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        if accept:
            headers["Accept"] = accept
        header = getattr(login, "header", None)
        if header is not None:
            headers["Authorization"] = header()
        watchdog = _Watchdog(connection, remaining)
        try:
            connection.connect()
            watchdog.sock = connection.sock
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            answer = {k.lower(): v for k, v in response.getheaders()}
            body = b"" if response.status in _REDIRECTS else _read_capped(response, answer, max_bytes, url)
            if watchdog.fired:  # the socket was shut mid-answer: what was read is cut short
                raise OSError("deadline")
            return response.status, answer, body
        except IndexLookupError:
            raise
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if watchdog.fired:
                raise IndexLookupError(
                    redact(f"{url}: no complete answer within {self.deadline:g} s")
                ) from None
            raise IndexLookupError(redact(f"{url}: {getattr(exc, 'reason', None) or exc}")) from None
        finally:
            watchdog.cancel()
            connection.close()

    def _connection(
        self, parts: urllib.parse.SplitResult, timeout: float
    ) -> tuple[http.client.HTTPConnection, str]:
        host, port = parts.hostname or "", parts.port
        path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        proxy = _proxy_for(parts)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            context = self._context(self._trusted(host, port))
            if proxy:
                p = urllib.parse.urlsplit(proxy)
                connection = http.client.HTTPSConnection(
                    p.hostname or "", p.port, timeout=timeout, context=context
                )
                connection.set_tunnel(host, port)
            else:
                connection = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        elif proxy:
            p = urllib.parse.urlsplit(proxy)
            connection = http.client.HTTPConnection(p.hostname or "", p.port, timeout=timeout)
            path = urllib.parse.urlunsplit(parts._replace(fragment=""))
        else:
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
        return connection, path

    def _trusted(self, host: str, port: int | None) -> bool:
        for trusted in self.settings.trusted_hosts:
            name, _, want_port = trusted.partition(":")
            if name == host and (not want_port or want_port == str(port)):
                return True
        return False

    def _context(self, insecure: bool) -> ssl.SSLContext:
        if insecure not in self._contexts:
            try:
                context = ssl.create_default_context(cafile=self.settings.cert)
                if self.settings.client_cert:
                    context.load_cert_chain(self.settings.client_cert)
            except (OSError, ssl.SSLError) as exc:
                raise IndexLookupError(
                    f"cannot load the certificates pip is configured with: {exc}"
                ) from None
            if insecure:  # pip's trusted-host: no certificate check for that host
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._contexts[insecure] = context
        return self._contexts[insecure]


def _read_capped(response: http.client.HTTPResponse, headers: Mapping[str, str], cap: int, url: str) -> bytes:
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise IndexLookupError(redact(f"{url}: answer of {int(declared)} bytes is over the limit of {cap}"))
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(min(_CHUNK, cap + 1 - size))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            raise IndexLookupError(redact(f"{url}: answer is over the limit of {cap} bytes"))


def _require_http(url: str, label: str) -> None:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise IndexLookupError(
            redact(f"{label}: only http(s) URLs are fetched, not {scheme or 'a bare path'}:")
        )


def _host(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return (parts.hostname or "") + (f":{parts.port}" if parts.port else "")


def _proxy_for(parts: urllib.parse.SplitResult) -> str | None:
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    proxy = urllib.request.getproxies().get(parts.scheme)
    return proxy or None
