"""A webhook receiver on 127.0.0.1 that records the JSON bodies posted to it (or answers ``status``)."""

from __future__ import annotations

import http.server
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from loopback import serve_on_loopback


@dataclass
class Sink:
    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200


@contextmanager
def serve_sink() -> Iterator[Sink]:
    sink = Sink()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if sink.status == 200:
                sink.posts.append(json.loads(body))
            self.send_response(sink.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serve_on_loopback(Handler) as base:
        sink.url = base
        yield sink
