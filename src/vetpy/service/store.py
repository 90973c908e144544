"""Jobs, results and triage labels behind one small interface (:class:`JobStore`).

A job moves ``queued -> running -> done | failed`` and never back, except that jobs found ``running`` when
the service starts (it was killed mid-scan) go back to ``queued``, or end ``failed`` after
``max_attempts`` such restarts. :meth:`JobStore.finish` only moves a ``running`` job, so each job ends
exactly once. :class:`SqlStore` holds the SQL; :class:`SQLiteStore` (WAL, the default) and
:class:`vetpy.service.store_pg.PostgresStore` supply a connection and a dialect.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from vetpy.result import ScanResult, Verdict


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Label(StrEnum):
    """A person's triage decision: ``malicious`` (confirmed) or ``benign`` (a false alarm)."""

    MALICIOUS = "malicious"
    BENIGN = "benign"


@dataclass(frozen=True)
class Job:
    """One accepted scan request. ``target`` is what the worker scans (a stored upload's path, or
    ``name==version``); ``label`` is what the client called it (the upload's file name, or the target)."""

    id: str
    kind: str  # "upload" | "index"
    target: str
    label: str
    sha256: str | None
    model: str
    status: Status
    attempts: int
    created: float
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    triage: Label | None = None

    def to_dict(self) -> dict[str, Any]:
        """The contract's job object (plus a few additions: error, created, finished, label)."""
        return {
            "id": self.id,
            "status": self.status.value,
            "result": self.result,
            "error": self.error,
            "created": self.created,
            "finished": self.finished,
            "label": self.triage.value if self.triage else None,
        }


@dataclass(frozen=True)
class Labelled:
    """A labelled scan for training: the archive (when the service kept it) and the person's label."""

    sha256: str | None
    label: Label
    name: str | None
    version: str | None
    path: Path | None
    labelled_at: float


class JobStore(Protocol):
    """What the service needs from its database."""

    def add(self, kind: str, target: str, label: str, sha256: str | None, model: str) -> Job: ...
    def get(self, job_id: str) -> Job | None: ...
    def cached(self, sha256: str, model: str) -> Job | None: ...
    def claim(self, limit: int) -> list[Job]: ...
    def finish(self, job_id: str, status: Status, result: ScanResult | None, error: str | None) -> bool: ...
    def release(self, job_ids: Sequence[str]) -> None: ...
    def recover(self, max_attempts: int) -> tuple[int, int]: ...
    def flagged(self, verdict: str | None, name: str, min_score: float, limit: int) -> list[Job]: ...
    def set_label(self, job_id: str, label: Label) -> bool: ...
    def labelled(self, uploads: Path | None = None) -> list[Labelled]: ...
    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


_COLUMNS = (
    "id, kind, target, label, sha256, model, status, attempts, created, finished, result, error, triage"
)


class SqlStore:
    """The SQL shared by both databases; subclasses open the connection and set ``placeholder``."""

    placeholder = "?"
    locking_select = ""  # e.g. " FOR UPDATE SKIP LOCKED"

    def __init__(self) -> None:
        self._lock = threading.Lock()

    # -- connection plumbing (subclasses) -------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        raise NotImplementedError
        yield  # pragma: no cover

    def _sql(self, statement: str) -> str:
        return statement.replace("?", self.placeholder)

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._transaction() as cursor:
            cursor.execute(self._sql(statement), tuple(params))
            return list(cursor.fetchall())

    def _execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        with self._transaction() as cursor:
            cursor.execute(self._sql(statement), tuple(params))
            return int(cursor.rowcount)

    # -- the interface -------------------------------------------------------------------------------
    def add(self, kind: str, target: str, label: str, sha256: str | None, model: str) -> Job:
        job = Job(uuid.uuid4().hex, kind, target, label, sha256, model, Status.QUEUED, 0, time.time())
        self._execute(
            "INSERT INTO jobs (id, kind, target, label, sha256, model, status, attempts, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
            (job.id, kind, target, label, sha256, model, job.status.value, job.created),
        )
        return job

    def get(self, job_id: str) -> Job | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _job(rows[0]) if rows else None

    def cached(self, sha256: str, model: str) -> Job | None:
        """The newest job for this archive and model that is still to run or has a real verdict."""
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE sha256 = ? AND model = ? AND (status IN ('queued', 'running')"
            " OR verdict IN ('malicious', 'benign')) ORDER BY seq DESC LIMIT 1",
            (sha256, model),
        )
        return _job(rows[0]) if rows else None

    def claim(self, limit: int) -> list[Job]:
        """Move up to ``limit`` of the oldest queued jobs to ``running`` and return them."""
        with self._transaction() as cursor:
            cursor.execute(
                self._sql(
                    f"SELECT {_COLUMNS} FROM jobs WHERE status = 'queued' ORDER BY seq LIMIT ?"
                    + self.locking_select
                ),
                (limit,),
            )
            jobs = [_job(row) for row in cursor.fetchall()]
            for job in jobs:
                cursor.execute(
                    self._sql("UPDATE jobs SET status = 'running', attempts = attempts + 1 WHERE id = ?"),
                    (job.id,),
                )
        return [_replace_status(job, Status.RUNNING) for job in jobs]

    def finish(self, job_id: str, status: Status, result: ScanResult | None, error: str | None) -> bool:
        """End a running job (False when it was not running: it has already ended)."""
        data = result.to_dict() if result is not None else None
        score = result.score if result is not None else None
        return (
            self._execute(
                "UPDATE jobs SET status = ?, finished = ?, result = ?, error = ?, verdict = ?, score = ?,"
                " name = ?, sha256 = COALESCE(sha256, ?) WHERE id = ? AND status = 'running'",
                (
                    status.value,
                    time.time(),
                    json.dumps(data) if data is not None else None,
                    error,
                    result.verdict.value if result is not None else None,
                    score,
                    (result.name or "") if result is not None else "",
                    result.sha256 if result is not None else None,
                    job_id,
                ),
            )
            == 1
        )

    def release(self, job_ids: Sequence[str]) -> None:
        """Put running jobs back in the queue without counting the attempt (a clean shutdown)."""
        for job_id in job_ids:
            self._execute(
                "UPDATE jobs SET status = 'queued', attempts = attempts - 1"
                " WHERE id = ? AND status = 'running'",
                (job_id,),
            )

    def recover(self, max_attempts: int) -> tuple[int, int]:
        """At start-up: jobs left ``running`` by a crash are queued again, or failed after too many tries."""
        failed = self._execute(
            "UPDATE jobs SET status = 'failed', finished = ?, error = ?"
            " WHERE status = 'running' AND attempts >= ?",
            (
                time.time(),
                f"the service stopped {max_attempts} times while scanning this package",
                max_attempts,
            ),
        )
        requeued = self._execute("UPDATE jobs SET status = 'queued' WHERE status = 'running'")
        return requeued, failed

    def flagged(self, verdict: str | None, name: str, min_score: float, limit: int) -> list[Job]:
        """Finished jobs, newest first, filtered by verdict (None = any), name substring and lowest score."""
        clauses = ["status IN ('done', 'failed')", "COALESCE(score, 0) >= ?"]
        params: list[Any] = [min_score]
        if verdict:
            clauses.append("verdict = ?")
            params.append(verdict)
        if name:
            clauses.append("LOWER(COALESCE(name, '') || ' ' || label) LIKE ?")
            params.append("%" + name.lower().replace("%", "").replace("_", "") + "%")
        rows = self._rows(
            f"SELECT {_COLUMNS} FROM jobs WHERE {' AND '.join(clauses)}"
            " ORDER BY finished DESC, seq DESC LIMIT ?",
            (*params, limit),
        )
        return [_job(row) for row in rows]

    def set_label(self, job_id: str, label: Label) -> bool:
        return (
            self._execute(
                "UPDATE jobs SET triage = ?, labelled = ? WHERE id = ? AND status IN ('done', 'failed')",
                (label.value, time.time(), job_id),
            )
            == 1
        )

    def labelled(self, uploads: Path | None = None) -> list[Labelled]:
        """Every labelled scan; ``path`` is the stored upload when ``uploads`` is given and it is there."""
        rows = self._rows(
            "SELECT sha256, triage, result, kind, labelled FROM jobs"
            " WHERE triage IS NOT NULL ORDER BY labelled"
        )
        out = []
        for sha256, triage, result, kind, labelled in rows:
            data = json.loads(result) if result else {}
            path = uploads / sha256 if uploads and kind == "upload" and sha256 else None
            out.append(
                Labelled(
                    sha256=sha256 or data.get("sha256"),
                    label=Label(triage),
                    name=data.get("name"),
                    version=data.get("version"),
                    path=path if path is not None and path.is_file() else None,
                    labelled_at=float(labelled),
                )
            )
        return out

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in Status}
        for status, count in self._rows("SELECT status, COUNT(*) FROM jobs GROUP BY status"):
            counts[str(status)] = int(count)
        return counts

    def close(self) -> None:
        raise NotImplementedError


def _job(row: Sequence[Any]) -> Job:
    job_id, kind, target, label, sha256, model, status, attempts, created, finished, result, error, triage = (
        row
    )
    return Job(
        id=job_id,
        kind=kind,
        target=target,
        label=label,
        sha256=sha256,
        model=model,
        status=Status(status),
        attempts=int(attempts),
        created=float(created),
        finished=None if finished is None else float(finished),
        result=json.loads(result) if result else None,
        error=error,
        triage=Label(triage) if triage else None,
    )


def _replace_status(job: Job, status: Status) -> Job:
    from dataclasses import replace

    return replace(job, status=status, attempts=job.attempts + 1)


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    label TEXT NOT NULL,
    sha256 TEXT,
    model TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    finished REAL,
    result TEXT,
    error TEXT,
    verdict TEXT,
    score REAL,
    name TEXT,
    triage TEXT,
    labelled REAL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, seq);
CREATE INDEX IF NOT EXISTS jobs_sha256 ON jobs (sha256, model);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished);
"""


class SQLiteStore(SqlStore):
    """Jobs in one SQLite file in WAL mode (readers never block the writer; a kill loses nothing
    committed). One connection shared by the service's threads behind a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SQLITE_SCHEMA)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._lock:
            cursor = self._conn.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_store(spec: str) -> JobStore:
    """A store from ``--db``: a ``postgresql://`` URL, else a SQLite file path."""
    if spec.startswith(("postgresql://", "postgres://")):
        from vetpy.service.store_pg import PostgresStore

        return PostgresStore(spec)
    return SQLiteStore(Path(spec))


def verdict_of(job: Job) -> Verdict | None:
    """The verdict in a finished job's result, if any."""
    if job.result and job.result.get("verdict") in {v.value for v in Verdict}:
        return Verdict(job.result["verdict"])
    return None
