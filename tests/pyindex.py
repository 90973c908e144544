"""A PEP 691 index served on 127.0.0.1 by the tests, and real wheels and sdists built by the tests.

``LocalIndex`` serves ``/simple/<project>/`` (JSON), files under ``/files/`` and PEP 658 metadata files
(``<file>.metadata``); with ``login`` set, every request needs that Basic login (401 otherwise).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import json
import tarfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from loopback import QuietHandler, serve_on_loopback


def metadata_text(name: str, version: str, requires: Sequence[str] = (), extra: str = "") -> str:
    lines = ["Metadata-Version: 2.2", f"Name: {name}", f"Version: {version}"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n" + extra + "\n"


def build_wheel(
    name: str,
    version: str,
    files: dict[str, bytes],
    requires: Sequence[str] = (),
    tag: str = "py3-none-any",
) -> tuple[str, bytes]:
    """A valid wheel (METADATA, WHEEL, RECORD) that pip can install: (filename, bytes)."""
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    members = dict(files)
    members[f"{dist}/METADATA"] = metadata_text(name, version, requires).encode()
    members[f"{dist}/WHEEL"] = (
        f"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
    )
    record = []
    for path, data in members.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    members[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            archive.writestr(path, data)
    return f"{name.replace('-', '_')}-{version}-{tag}.whl", buffer.getvalue()


def build_sdist(
    name: str,
    version: str,
    files: dict[str, bytes],
    requires: Sequence[str] = (),
    dynamic: bool = False,
) -> tuple[str, bytes]:
    """An sdist with a PKG-INFO (Metadata 2.2; ``Dynamic: Requires-Dist`` when ``dynamic``)."""
    root = f"{name.replace('-', '_')}-{version}"
    pkg_info = metadata_text(name, version, requires, "Dynamic: Requires-Dist" if dynamic else "")
    members = {f"{root}/PKG-INFO": pkg_info.encode(), **{f"{root}/{k}": v for k, v in files.items()}}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return f"{root}.tar.gz", buffer.getvalue()


@dataclass
class LocalIndex:
    """Projects and files served over HTTP on 127.0.0.1; see the module docstring."""

    login: tuple[str, str] | None = None
    url: str = ""  # the simple API root, without a login
    pages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    auth_seen: list[str | None] = field(default_factory=list)

    def add(
        self,
        project: str,
        filename: str,
        data: bytes,
        *,
        requires_python: str | None = None,
        yanked: bool = False,
        metadata: bytes | None = None,
        url: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {
            "filename": filename,
            "url": url or f"../../files/{filename}",
            "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
        }
        if requires_python:
            entry["requires-python"] = requires_python
        if yanked:
            entry["yanked"] = True
        if metadata is not None:
            entry["core-metadata"] = {"sha256": hashlib.sha256(metadata).hexdigest()}
            self.blobs[filename + ".metadata"] = metadata
        self.pages.setdefault(project, []).append(entry)
        self.blobs[filename] = data

    def add_wheel(
        self, name: str, version: str, files: dict[str, bytes], requires: Sequence[str] = ()
    ) -> str:
        filename, data = build_wheel(name, version, files, requires)
        meta = metadata_text(name, version, requires).encode()
        self.add(name, filename, data, metadata=meta)
        return filename

    def add_sdist(
        self, name: str, version: str, files: dict[str, bytes], requires: Sequence[str] = ()
    ) -> str:
        filename, data = build_sdist(name, version, files, requires)
        self.add(name, filename, data)
        return filename

    @property
    def login_url(self) -> str:
        """The index URL with the login in it (``http://user:token@127.0.0.1:port/simple``)."""
        if self.login is None:
            return self.url
        return self.url.replace("http://", f"http://{self.login[0]}:{self.login[1]}@")


def _handler(index: LocalIndex) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def do_GET(self) -> None:
            index.requests.append(self.path)
            header = self.headers.get("Authorization")
            index.auth_seen.append(header)
            if index.login is not None:
                expected = base64.b64encode(":".join(index.login).encode()).decode()
                if header != f"Basic {expected}":
                    return self._send(401, b"login required", "text/plain")
            parts = [p for p in self.path.split("?")[0].split("/") if p]
            if len(parts) == 2 and parts[0] == "simple" and parts[1] in index.pages:
                page = {"meta": {"api-version": "1.1"}, "name": parts[1], "files": index.pages[parts[1]]}
                return self._send(200, json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")
            if len(parts) == 2 and parts[0] == "files" and parts[1] in index.blobs:
                return self._send(200, index.blobs[parts[1]], "application/octet-stream")
            return self._send(404, b"not found", "text/plain")

    return Handler


@contextmanager
def serve(index: LocalIndex) -> Iterator[LocalIndex]:
    """Serve ``index`` on 127.0.0.1 (a thread) until the block ends."""
    with serve_on_loopback(_handler(index)) as base:
        index.url = f"{base}/simple"
        yield index


def isolate_pip(monkeypatch: Any, tmp_path: Any) -> None:
    """No pip configuration, netrc or keyring of this machine leaks into a test."""
    import os

    for key in list(os.environ):
        if key.startswith("PIP_") or key in ("NETRC", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setattr("vetpy.acquire.pipmemo.memo_path", lambda: tmp_path / "pip-config.json")
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("PIP_KEYRING_PROVIDER", "disabled")
