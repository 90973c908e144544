"""A fake of OSV's API on 127.0.0.1: ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``."""

from __future__ import annotations

import http.server
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from loopback import serve_on_loopback


@dataclass
class FakeOsv:
    """Advisories by (ecosystem name, version or None for any); ``delay`` and ``status`` misbehave."""

    url: str = ""
    advisories: dict[tuple[str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    detail_requests: list[str] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    delay: float = 0.0
    status: int = 200

    def add(self, name: str, version: str | None, vuln_id: str, summary: str = "") -> None:
        record = {"id": vuln_id, "modified": "2026-01-01T00:00:00Z", "summary": summary}
        self.advisories.setdefault((name, version), []).append(record)

    def answer(self, query: dict[str, Any]) -> dict[str, Any]:
        name = query["package"]["name"]
        version = query.get("version")
        found = self.advisories.get((name, version), []) + self.advisories.get((name, None), [])
        if not found:
            return {}
        return {"vulns": [{"id": v["id"], "modified": v["modified"]} for v in found]}

    def record(self, vuln_id: str) -> dict[str, Any] | None:
        return next((v for vs in self.advisories.values() for v in vs if v["id"] == vuln_id), None)


def _handler(osv: FakeOsv) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if self._misbehave():
                return
            if self.path != "/v1/querybatch":
                self._send(404, {"message": "not found"})
                return
            osv.queries.extend(body["queries"])
            osv.batch_sizes.append(len(body["queries"]))
            self._send(200, {"results": [osv.answer(q) for q in body["queries"]]})

        def do_GET(self) -> None:
            if self._misbehave():
                return
            vuln_id = self.path.rsplit("/", 1)[-1]
            osv.detail_requests.append(vuln_id)
            record = osv.record(vuln_id)
            self._send(200 if record else 404, record or {"message": "not found"})

        def _misbehave(self) -> bool:
            if osv.delay:
                time.sleep(osv.delay)
            if osv.status != 200:
                self._send(osv.status, {"message": "unavailable"})
                return True
            return False

        def _send(self, code: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:  # the client gave up (time-out tests)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_fake_osv() -> Iterator[FakeOsv]:
    """A running fake OSV; its ``url`` is the API base."""
    osv = FakeOsv()
    with serve_on_loopback(_handler(osv)) as base:
        osv.url = base
        yield osv
