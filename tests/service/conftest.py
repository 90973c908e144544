"""Fixtures of the service tests (helpers in :mod:`service.serverproc`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

try:  # the service extra (and httpx) are optional: without them these tests are not collected
    import fastapi  # noqa: F401
    import httpx  # noqa: F401
    import prometheus_client  # noqa: F401
except ImportError:  # pragma: no cover
    collect_ignore_glob = ["test_*.py"]
    Server = None
else:
    from service.serverproc import Server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh server (started by the test with ``server.start()`` after setting ``extra``/``env``)."""
    srv = Server(tmp_path / "srv")
    srv.root.mkdir()
    try:
        yield srv
    finally:
        srv.stop()
