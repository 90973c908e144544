"""A small SQLite cache of OSV answers in vetpy's cache folder.

Answers per release expire after ``ttl`` seconds (a new advisory must show up); an advisory's
"is it about malware" verdict is kept per id and modified stamp (it changes only when the record does).
A cache that cannot be opened or written is skipped silently: the lookup then simply asks OSV again.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path

from vetpy.osv.client import VulnRef

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, refs TEXT NOT NULL, fetched REAL NOT NULL);
CREATE TABLE IF NOT EXISTS vulns (
    id TEXT NOT NULL, modified TEXT NOT NULL, malicious INTEGER NOT NULL, PRIMARY KEY (id, modified)
);
CREATE TABLE IF NOT EXISTS pauses (url TEXT PRIMARY KEY, reason TEXT NOT NULL, until REAL NOT NULL);
"""


class OsvCache:
    """Release answers with an expiry and advisory verdicts; every method tolerates a broken cache."""

    def __init__(self, path: Path | None, ttl: float) -> None:
        self.ttl = ttl
        self._db: sqlite3.Connection | None = None
        if path is None or ttl <= 0:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=2.0)
            db.executescript(SCHEMA)
            self._db = db
        except (sqlite3.Error, OSError):
            self._db = None

    def answer(self, key: str, now: float | None = None) -> list[VulnRef] | None:
        """The cached advisories of one release, or None when missing or expired."""
        row = self._fetch("SELECT refs, fetched FROM answers WHERE key = ?", (key,))
        if row is None or (now or time.time()) - float(str(row[1])) > self.ttl:
            return None
        try:
            return [VulnRef(str(i), str(m)) for i, m in json.loads(str(row[0]))]
        except (ValueError, TypeError):
            return None

    def store_answer(self, key: str, refs: list[VulnRef]) -> None:
        payload = json.dumps([[r.id, r.modified] for r in refs])
        self._write("INSERT OR REPLACE INTO answers VALUES (?, ?, ?)", (key, payload, time.time()))

    def malicious(self, ref: VulnRef) -> bool | None:
        """Whether an advisory (at this modified stamp) is about malware, when known."""
        row = self._fetch("SELECT malicious FROM vulns WHERE id = ? AND modified = ?", (ref.id, ref.modified))
        return None if row is None else bool(row[0])

    def store_malicious(self, ref: VulnRef, malicious: bool) -> None:
        self._write("INSERT OR REPLACE INTO vulns VALUES (?, ?, ?)", (ref.id, ref.modified, int(malicious)))

    def paused(self, url: str) -> str | None:
        """Why the OSV service at ``url`` was found unreachable, while the pause after that lasts."""
        row = self._fetch("SELECT reason, until FROM pauses WHERE url = ?", (url,))
        return str(row[0]) if row is not None and float(str(row[1])) > time.time() else None

    def pause(self, url: str, reason: str, seconds: float) -> None:
        """Let other vetpy processes skip ``url`` for ``seconds`` (it just failed with ``reason``)."""
        self._write("INSERT OR REPLACE INTO pauses VALUES (?, ?, ?)", (url, reason, time.time() + seconds))

    def close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _fetch(self, sql: str, params: tuple[str, ...]) -> tuple[object, ...] | None:
        if self._db is None:
            return None
        try:
            row: tuple[object, ...] | None = self._db.execute(sql, params).fetchone()
            return row
        except sqlite3.Error:
            return None

    def _write(self, sql: str, params: tuple[object, ...]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.execute(sql, params)
        except sqlite3.Error:
            pass
