"""A PEP 691 index on 127.0.0.1 whose project list changes while a test runs: projects carry
``_last-serial``, files carry ``upload-time``, the root answers ``X-PyPI-Last-Serial``, and (optionally)
``POST /pypi`` speaks the changelog interface over XML-RPC."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from xmlrpc.server import SimpleXMLRPCDispatcher

from loopback import QuietHandler, serve_on_loopback


class LiveIndex:
    def __init__(self, changelog: bool = False) -> None:
        self.url = ""
        self.changelog = changelog
        self.serial = 100
        self.projects: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.events: list[tuple[str, str, int, str, int]] = []
        self.lock = threading.Lock()
        self.serials = True  # False: a project list without _last-serial
        self.flaky: dict[str, int] = {}  # filename -> how many more downloads answer HTTP 503

    def upload(self, project: str, version: str, filename: str, data: bytes, *, ago: float = 0.0) -> str:
        """Publish a file (a new serial; its upload time ``ago`` seconds back); returns its sha256."""
        digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            self.serial += 1
            now = datetime.fromtimestamp(time.time() - ago, UTC)
            entry = {
                "filename": filename,
                "url": f"../../files/{filename}",
                "hashes": {"sha256": digest},
                "upload-time": now.isoformat().replace("+00:00", "Z"),
            }
            page = self.projects.setdefault(project, {"serial": 0, "files": []})
            page["serial"] = self.serial
            page["files"].append(entry)
            self.blobs[filename] = data
            kind = "source" if filename.endswith(".tar.gz") else "py3"
            action = f"add {kind} file {filename}"
            self.events.append((project, version, int(now.timestamp()), action, self.serial))
        return digest

    def remove(self, project: str, filename: str) -> None:
        with self.lock:
            self.serial += 1
            page = self.projects[project]
            page["files"] = [f for f in page["files"] if f["filename"] != filename]
            page["serial"] = self.serial
            self.blobs.pop(filename, None)
            self.events.append((project, "", int(time.time()), f"remove file {filename}", self.serial))

    def root(self) -> dict[str, Any]:
        with self.lock:
            projects = [
                {"name": n, "_last-serial": p["serial"]} if self.serials else {"name": n}
                for n, p in sorted(self.projects.items())
            ]
        return {"meta": {"api-version": "1.1", "_last-serial": self.serial}, "projects": projects}

    def page(self, name: str) -> dict[str, Any] | None:
        with self.lock:
            if name not in self.projects:
                return None
            files = list(self.projects[name]["files"])
        return {"meta": {"api-version": "1.1"}, "name": name, "files": files}

    def changelog_since_serial(self, serial: int) -> list[list[Any]]:
        with self.lock:
            return [list(e) for e in self.events if e[4] > serial]

    def changelog_last_serial(self) -> int:
        return self.serial


def _handler(index: LiveIndex) -> type[http.server.BaseHTTPRequestHandler]:
    dispatcher = SimpleXMLRPCDispatcher(allow_none=True)
    dispatcher.register_function(index.changelog_since_serial, "changelog_since_serial")
    dispatcher.register_function(index.changelog_last_serial, "changelog_last_serial")

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            parts = [p for p in self.path.split("/") if p]
            if parts == ["simple"]:
                self._send(200, json.dumps(index.root()).encode(), "application/vnd.pypi.simple.v1+json")
            elif len(parts) == 2 and parts[0] == "simple" and (page := index.page(parts[1])) is not None:
                self._send(200, json.dumps(page).encode(), "application/vnd.pypi.simple.v1+json")
            elif len(parts) == 2 and parts[0] == "files" and index.flaky.get(parts[1], 0) > 0:
                index.flaky[parts[1]] -= 1
                self._send(503, b"busy", "text/plain")
            elif len(parts) == 2 and parts[0] == "files" and parts[1] in index.blobs:
                self._send(200, index.blobs[parts[1]], "application/octet-stream")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/pypi" or not index.changelog:
                self._send(404, b"not found", "text/plain")
                return
            self._send(200, dispatcher._marshaled_dispatch(body), "text/xml")

        def extra_headers(self) -> None:
            self.send_header("X-PyPI-Last-Serial", str(index.serial))

    return Handler


@contextmanager
def serve_live_index(changelog: bool = False) -> Iterator[LiveIndex]:
    index = LiveIndex(changelog)
    with serve_on_loopback(_handler(index)) as base:
        index.url = f"{base}/simple"
        yield index
