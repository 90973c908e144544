"""Shared fixtures: archives built in memory by the tests themselves, and a local package index."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from loopback import QuietHandler, serve_on_loopback

ArchiveBuilder = Callable[..., bytes]

_TAR_WRITE = {"tar.gz": "w:gz", "tar.bz2": "w:bz2", "tar.xz": "w:xz", "tar": "w"}


def build_archive(files: dict[str, bytes], fmt: str = "tar.gz") -> bytes:
    """An archive of ``files`` (path -> bytes) in ``fmt``: tar.gz, tar.bz2, tar.xz, tar, or zip."""
    buffer = io.BytesIO()
    if fmt == "zip":
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path, data in files.items():
                archive.writestr(path, data)
        return buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode=_TAR_WRITE[fmt]) as tar:  # type: ignore[call-overload]
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def make_archive() -> ArchiveBuilder:
    """The ``build_archive(files, fmt)`` helper, as a fixture."""
    return build_archive


@pytest.fixture(autouse=True)
def _settings_from_each_tests_environment() -> Iterator[None]:
    """Library code reads the environment a test set up (with monkeypatch), not one an earlier test left
    in :mod:`vetpy.settings`: the settings are read again on first use in each test."""
    from vetpy import settings

    settings.configure(None)
    yield
    settings.configure(None)


@pytest.fixture(autouse=True)
def _own_scan_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets an empty scan cache (results and downloads), never the user's."""
    import vetpy.cache

    root = tmp_path_factory.mktemp("scan-cache")
    monkeypatch.setattr(vetpy.cache, "scan_cache_root", lambda: root)


@dataclass
class FakeIndex:
    """A PEP 691 index served on 127.0.0.1: add projects and files, read ``url`` and ``requests``."""

    url: str = ""
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def add_file(
        self, project: str, filename: str, data: bytes, *, sha256: str | None = None, yanked: bool = False
    ) -> None:
        """List ``filename`` on ``project``'s page and serve ``data`` at /files/<filename>."""
        page = self.pages.setdefault(project, {"meta": {"api-version": "1.0"}, "name": project, "files": []})
        digest = sha256 or hashlib.sha256(data).hexdigest()
        entry: dict[str, Any] = {
            "filename": filename,
            "url": f"../../files/{filename}",
            "hashes": {"sha256": digest},
        }
        if yanked:
            entry["yanked"] = True
        page["files"].append(entry)
        self.blobs[filename] = data


def _handler(index: FakeIndex) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            index.requests.append(self.path)
            parts = [p for p in self.path.split("/") if p]
            if parts == ["simple"]:  # the root page: PEP 691's project list
                projects = [{"name": name} for name in sorted(index.pages)]
                body = json.dumps({"meta": {"api-version": "1.0"}, "projects": projects}).encode()
                self._send(200, body, "application/vnd.pypi.simple.v1+json")
            elif len(parts) == 2 and parts[0] == "simple" and parts[1] in index.pages:
                body = json.dumps(index.pages[parts[1]]).encode()
                self._send(200, body, "application/vnd.pypi.simple.v1+json")
            elif len(parts) == 2 and parts[0] == "files" and parts[1] in index.blobs:
                self._send(200, index.blobs[parts[1]], "application/octet-stream")
            else:
                self._send(404, b"not found", "text/plain")

    return Handler


@pytest.fixture
def fake_index() -> Iterator[FakeIndex]:
    """A real HTTP server on 127.0.0.1 (a thread) serving PEP 691 JSON pages and files."""
    index = FakeIndex()
    with serve_on_loopback(_handler(index)) as base:
        index.url = f"{base}/simple"
        yield index


@pytest.fixture(scope="session")
def _refused_port() -> Iterator[int]:
    """A loopback port that is bound but never listens: connecting to it is refused at once."""
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


@pytest.fixture(autouse=True)
def _no_public_osv(monkeypatch: pytest.MonkeyPatch, _refused_port: int) -> None:
    """Tests never reach OSV's public service: the known-malicious lookup points at a refused port
    (so it degrades to a note at once) unless a test sets ``VETPY_OSV_URL`` to its fake OSV."""
    monkeypatch.setenv("VETPY_OSV_URL", f"http://127.0.0.1:{_refused_port}")


@pytest.fixture
def fake_osv() -> Iterator[Any]:
    """A fake OSV API on 127.0.0.1 (see fake_osv.py)."""
    from fake_osv import serve_fake_osv

    with serve_fake_osv() as osv:
        yield osv
