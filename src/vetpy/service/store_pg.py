"""The job store on PostgreSQL (``--db postgresql://...``): the same SQL as SQLite through psycopg 3.

psycopg is an optional import: without it, ``--db postgresql://`` is a one-line error. Credentials in the
URL are never printed: errors name the database by host and name only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from vetpy.errors import VetpyError
from vetpy.service.store import SqlStore

_PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    label TEXT NOT NULL,
    sha256 TEXT,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created DOUBLE PRECISION NOT NULL,
    finished DOUBLE PRECISION,
    result TEXT,
    error TEXT,
    verdict TEXT,
    score DOUBLE PRECISION,
    name TEXT,
    triage TEXT,
    labelled DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_sha256 ON jobs (sha256, model);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished);
"""


def redacted(url: str) -> str:
    """``url`` without its user name and password (for messages)."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class PostgresStore(SqlStore):
    """Jobs in a PostgreSQL database; one connection behind a lock, one transaction per call."""

    placeholder = "%s"
    locking_select = " FOR UPDATE SKIP LOCKED"

    def __init__(self, url: str) -> None:
        super().__init__()
        try:
            import psycopg
        except ImportError as exc:
            raise VetpyError("--db postgresql:// needs psycopg: pip install 'psycopg[binary]'") from exc
        try:
            self._conn: Any = psycopg.connect(url, autocommit=True)
        except Exception as exc:
            raise VetpyError(f"cannot connect to {redacted(url)}: {type(exc).__name__}") from None
        self._tx_lock = threading.Lock()
        with self._transaction() as cursor:
            for statement in filter(str.strip, _PG_SCHEMA.split(";")):
                cursor.execute(statement)

    def _sql(self, statement: str) -> str:
        return statement.replace("%", "%%").replace("?", self.placeholder)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._tx_lock, self._conn.transaction(), self._conn.cursor() as cursor:
            yield cursor

    def close(self) -> None:
        with self._tx_lock:
            self._conn.close()
