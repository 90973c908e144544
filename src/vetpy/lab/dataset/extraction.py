"""Feature extraction over a whole corpus: on all cores, cached by archive sha256 + extractor fingerprint.

The cache is a SQLite file outside the repo (it holds code text taken from malware, so it must never be
committed). Changing the feature registry, the behaviour of any extractor source file, a data file the
features read, or how :func:`extract_one` makes a record changes the fingerprint, so stale features are
never reused.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import multiprocessing
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import vetpy.acquire as acquire_pkg
import vetpy.features as features_pkg
from vetpy.acquire.interface import Archive
from vetpy.features.interface import PackageFeatures
from vetpy.features.registry import FEATURE_IDS, schema_hash
from vetpy.lab.dataset.corpus import Sample
from vetpy.lab.dataset.dedup import near_duplicate_key
from vetpy.lab.dataset.paths import cache_dir
from vetpy.result import one_line

T = TypeVar("T")


def code_digest(root: Path) -> str:
    """A hash of the Python files under ``root`` as syntax trees: formatting and comments do not count."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(ast.dump(ast.parse(path.read_bytes())).encode())
    return digest.hexdigest()


def extractor_fingerprint() -> str:
    """Registry schema hash + the acquire and features code + the data files features read (popular
    names, well-known domains). Code is hashed as its syntax tree, so reformatting or editing comments
    keeps the cache; any change in behaviour or data invalidates it."""
    digest = hashlib.sha256(schema_hash().encode())
    for package in (acquire_pkg, features_pkg):
        digest.update(code_digest(Path(str(package.__file__)).parent).encode())
    # how a record is made from an archive (what the extractor is given: the code views) is part of it too
    digest.update(ast.dump(ast.parse(inspect.getsource(extract_one))).encode())
    for item in sorted(resources.files("vetpy.data").iterdir(), key=lambda t: t.name):
        if item.name.endswith((".txt", ".csv", ".npz")):  # word lists, the lexicon, the clone index
            digest.update(item.name.encode())
            digest.update(item.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class FeatureRecord:
    """The cached outcome of extracting one archive (``error`` set when it could not be read)."""

    sha256: str
    error: str | None
    name: str | None
    version: str | None
    values: tuple[float, ...]
    suspicious_text: str
    code_text: str
    dup_key: str
    seconds: float

    def to_features(self) -> PackageFeatures:
        return PackageFeatures(
            name=self.name,
            version=self.version,
            values=dict(zip(FEATURE_IDS, self.values, strict=True)),
            suspicious_text=self.suspicious_text,
            code_text=self.code_text,
        )

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> FeatureRecord:
        data: dict[str, Any] = json.loads(text)
        data["values"] = tuple(data["values"])
        return cls(**data)


def extract_one(sample: Sample) -> FeatureRecord:
    """Read one archive as bytes (in memory) and extract its features; errors become a record."""
    from vetpy.acquire.archive import open_archive
    from vetpy.features.extract import extract_features

    start = time.perf_counter()
    try:
        data = sample.path.read_bytes()
        archive = open_archive(data, target=str(sample.path), filename=sample.path.name)
        feats = extract_features(archive.analysed())  # what a scan reads (Scanner.scan_archive): code views
        return record_from(sample.sha256, archive, feats, sample.name, sample.version, start)
    except Exception as exc:
        return error_record(sample.sha256, exc, sample.name, sample.version, start)


def record_from(
    key: str,
    archive: Archive,
    feats: PackageFeatures,
    name: str | None = None,
    version: str | None = None,
    start: float | None = None,
) -> FeatureRecord:
    """The cache record of one extracted archive (``name``/``version`` for the near-duplicate key:
    the corpus's, else what the metadata says)."""
    return FeatureRecord(
        sha256=key,
        error=None,
        name=feats.name,
        version=feats.version,
        values=tuple(float(feats.values.get(f, 0.0)) for f in FEATURE_IDS),
        suspicious_text=feats.suspicious_text,
        code_text=feats.code_text,
        dup_key=near_duplicate_key(archive, name or feats.name or "", version or feats.version or ""),
        seconds=time.perf_counter() - start if start is not None else 0.0,
    )


def error_record(
    key: str, exc: Exception, name: str = "", version: str = "", start: float | None = None
) -> FeatureRecord:
    """The record of an archive that could not be read: its error in one line, zero features."""
    return FeatureRecord(
        sha256=key,
        error=one_line(f"{type(exc).__name__}: {exc}"),
        name=name,
        version=version,
        values=tuple(0.0 for _ in FEATURE_IDS),
        suspicious_text="",
        code_text="",
        dup_key=key[:20],
        seconds=time.perf_counter() - start if start is not None else 0.0,
    )


#: Seconds a cache call waits for another process's write before it gives up.
LOCK_WAIT = 600.0


class FeatureCache:
    """SQLite store of FeatureRecords keyed by (sha256, fingerprint)."""

    def __init__(self, path: Path | None = None, fingerprint: str | None = None) -> None:
        self.path = path or cache_dir() / "features.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint or extractor_fingerprint()
        # several runs share the cache: a writer makes others wait (up to LOCK_WAIT), never fail, and
        # write-ahead logging lets readers go on while one writes
        self._db = sqlite3.connect(self.path, timeout=LOCK_WAIT)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS features (sha256 TEXT, fingerprint TEXT, record TEXT,"
            " PRIMARY KEY (sha256, fingerprint))"
        )

    def get_many(self, shas: Iterable[str]) -> dict[str, FeatureRecord]:
        wanted = set(shas)
        rows = self._db.execute(
            "SELECT sha256, record FROM features WHERE fingerprint = ?", (self.fingerprint,)
        )
        return {sha: FeatureRecord.from_json(rec) for sha, rec in rows if sha in wanted}

    def put_many(self, records: Iterable[FeatureRecord]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO features VALUES (?, ?, ?)",
            [(r.sha256, self.fingerprint, r.to_json()) for r in records],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def records_in_pool(
    work: Callable[[T], FeatureRecord], items: list[T], jobs: int, per_worker: int = 500, chunk: int = 8
) -> Iterator[FeatureRecord]:
    """``work`` over ``items`` in ``jobs`` spawned processes (in order, in this one, for one job or one
    item), records in the order they finish; a worker is replaced after ``per_worker`` tasks."""
    if jobs <= 1 or len(items) <= 1:
        yield from map(work, items)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(jobs, maxtasksperchild=per_worker) as pool:
        yield from pool.imap_unordered(work, items, chunksize=chunk)


def _imap(samples: list[Sample], jobs: int) -> Iterator[FeatureRecord]:
    return records_in_pool(extract_one, samples, jobs)


def extract_corpus(
    samples: list[Sample],
    jobs: int = 0,
    cache: FeatureCache | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, FeatureRecord]:
    """Features for every sample (by sha256), computing only what the cache lacks."""
    cache = cache or FeatureCache()
    records = cache.get_many(s.sha256 for s in samples)
    todo_by_sha = {s.sha256: s for s in samples if s.sha256 not in records}
    todo = list(todo_by_sha.values())
    jobs = jobs or multiprocessing.cpu_count()
    batch: list[FeatureRecord] = []
    for done, record in enumerate(_imap(todo, jobs), start=1):
        records[record.sha256] = record
        batch.append(record)
        if len(batch) >= 200:
            cache.put_many(batch)
            batch = []
        if on_progress:
            on_progress(done, len(todo))
    cache.put_many(batch)
    return records
