"""A small key-value store in SQLite (WAL): safe with many processes writing at once, never fatal.

Every operation swallows storage errors (a locked, full, read-only or corrupt cache is treated as a miss):
a cache may make a scan faster, never make it fail.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

_OPEN_ATTEMPTS = 8  # opening races between processes that start together are retried, then a miss
_ABANDONED: list[sqlite3.Connection] = []  # a parent's connections after fork: kept, never used or closed
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, stored REAL NOT NULL)"
)


class KeyValueStore:
    """String values by string key in one SQLite file; one connection per process, opened on first use."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.timeout = timeout
        self._conn: sqlite3.Connection | None = None
        self._pid = os.getpid()
        self._broken = False

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None and self._pid != os.getpid():  # forked: SQLite forbids sharing it
            _ABANDONED.append(self._conn)
            self._conn = None
        if self._conn is not None or self._broken:
            return self._conn
        for attempt in range(_OPEN_ATTEMPTS):
            try:
                conn = self._open()
            except sqlite3.OperationalError:  # e.g. two new workers switching a new file to WAL at once
                time.sleep(0.02 * (attempt + 1))
            except (sqlite3.Error, OSError):
                break
            else:
                self._conn, self._pid = conn, os.getpid()
                return conn
        self._broken = True
        return None

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        return conn

    def get(self, key: str, max_age: float | None = None) -> str | None:
        """The value under ``key``; None when absent, older than ``max_age`` seconds, or unreadable."""
        conn = self._connect()
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value, stored FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or (max_age is not None and time.time() - float(row[1]) > max_age):
            return None
        return str(row[0])

    def put(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (last writer wins; errors are ignored)."""
        conn = self._connect()
        if conn is None:
            return
        try:
            row = (key, value, time.time())
            conn.execute("INSERT OR REPLACE INTO entries (key, value, stored) VALUES (?, ?, ?)", row)
        except sqlite3.Error:
            return

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __getstate__(self) -> dict[str, object]:  # a connection never crosses a process boundary
        state = dict(self.__dict__)
        state["_conn"] = None
        return state
