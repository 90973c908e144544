"""Index answers stay in their box: a hostile server on 127.0.0.1 tries size, time, schemes and redirects."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from packaging.requirements import Requirement

from pyindex import isolate_pip
from vetpy.acquire.http import HttpClient
from vetpy.acquire.index import IndexClient
from vetpy.acquire.pipconfig import IndexSettings
from vetpy.errors import IndexLookupError

JSON = "application/vnd.pypi.simple.v1+json"


class Hostile(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    seen: ClassVar[list[tuple[str, str | None]]] = []
    other_port = 0

    def do_GET(self) -> None:
        Hostile.seen.append((self.path, self.headers.get("Authorization")))
        route = getattr(self, "route_" + self.path.strip("/").split("/")[-1].replace("-", "_"), None)
        if route is None:
            self.send_error(404)
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route()

    def head(self, code: int = 200, ctype: str = JSON, **extra: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for key, value in extra.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()

    def route_huge(self) -> None:  # 80 MiB of JSON, no Content-Length
        self.head()
        self.wfile.write(b'{"files": [')
        chunk = b'{"filename": "x-1.0.tar.gz", "url": "x"},' * 20000
        for _ in range(80 * 1024 * 1024 // len(chunk)):
            self.wfile.write(chunk)

    def route_declared_huge(self) -> None:
        self.head(Content_Length=str(10**12))

    def route_trickle(self) -> None:  # one byte a second, for ever
        self.head()
        for _ in range(600):
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(1)

    def route_trickle_headers(self) -> None:
        self.wfile.write(b"HTTP/1.0 200 OK\r\n")
        for _ in range(600):
            self.wfile.write(b"X")
            self.wfile.flush()
            time.sleep(1)

    def route_to_file(self) -> None:
        self.head(302, Location="file:///etc/passwd")

    def route_elsewhere(self) -> None:
        self.head(302, Location=f"http://localhost:{Hostile.other_port}/landed")

    def route_landed(self) -> None:
        self.head()
        self.wfile.write(b'{"ok": true}')

    def route_evil(self) -> None:  # a project page that points at local files and a FIFO
        page = {
            "meta": {"api-version": "1.0"},
            "name": "evil",
            "files": [
                {"filename": "evil-1.0.tar.gz", "url": "file:///etc/passwd", "hashes": {}},
                {"filename": "evil-1.1.tar.gz", "url": "file:///tmp/fifo/evil-1.1.tar.gz", "hashes": {}},
            ],
        }
        body = json.dumps(page).encode()
        self.head(Content_Length=str(len(body)))
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    isolate_pip(monkeypatch, tmp_path)
    Hostile.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    server.daemon_threads = True
    Hostile.other_port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client(base: str, deadline: float = 300.0) -> HttpClient:
    return HttpClient(IndexSettings(index_url=f"{base}/simple", timeout=30.0), deadline=deadline)


def test_json_pages_have_a_size_limit(hostile: str) -> None:
    with pytest.raises(IndexLookupError, match="over the limit"):
        client(hostile).fetch(f"{hostile}/huge")
    with pytest.raises(IndexLookupError, match=r"answer of 1000000000000 bytes is over the limit"):
        client(hostile).fetch(f"{hostile}/declared-huge")


def test_a_trickling_server_meets_the_deadline(hostile: str) -> None:
    for route in ("trickle", "trickle-headers"):
        start = time.monotonic()
        with pytest.raises(IndexLookupError, match=r"no complete answer within 1.5 s"):
            client(hostile, deadline=1.5).fetch(f"{hostile}/{route}")
        assert time.monotonic() - start < 10


def test_only_http_urls(hostile: str, tmp_path: Path) -> None:
    with pytest.raises(IndexLookupError, match=r"only http\(s\) URLs are fetched, not file:"):
        client(hostile).fetch(f"{hostile}/to-file")  # a redirect to file:///etc/passwd
    with pytest.raises(IndexLookupError, match=r"only http\(s\) URLs are fetched, not file:"):
        client(hostile).fetch("file:///etc/passwd")
    index = IndexClient(index_url=hostile)  # the page of "evil" lists only file: URLs
    with pytest.raises(IndexLookupError, match="no matching release"):
        index.choose(Requirement("evil"))


def test_cross_host_redirects_are_noted_and_keep_the_login_home(hostile: str) -> None:
    http_client = HttpClient(IndexSettings(index_url=f"http://me:tok3n-xyz@{hostile[7:]}/simple"))
    fetched = http_client.fetch(f"{hostile}/elsewhere")
    assert fetched.body == b'{"ok": true}'
    assert fetched.notes == (
        f"redirected from 127.0.0.1:{Hostile.other_port} to localhost:{Hostile.other_port}",
    )
    (first_auth,) = [auth for path, auth in Hostile.seen if path == "/elsewhere"]
    (landed_auth,) = [auth for path, auth in Hostile.seen if path == "/landed"]
    assert first_auth is not None and first_auth.startswith("Basic ")
    assert landed_auth is None  # the login is never sent to another host
