"""The SQLite key-value store: round trips, ageing, many writing processes, and a broken file."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from vetpy.cache.store import KeyValueStore


def test_round_trip_and_overwrite(tmp_path: Path) -> None:
    store = KeyValueStore(tmp_path / "kv.sqlite")
    assert store.get("a") is None
    store.put("a", "1")
    store.put("a", "2")
    assert store.get("a") == "2"
    assert KeyValueStore(tmp_path / "kv.sqlite").get("a") == "2"  # another connection sees it


def test_max_age(tmp_path: Path) -> None:
    store = KeyValueStore(tmp_path / "kv.sqlite")
    store.put("a", "1")
    assert store.get("a", max_age=60) == "1"
    time.sleep(0.05)
    assert store.get("a", max_age=0.01) is None


def _writer(path: str, worker: int) -> None:
    store = KeyValueStore(Path(path))
    for i in range(50):
        store.put(f"{worker}-{i}", str(i))


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite"
    KeyValueStore(path).put("seed", "x")
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_writer, args=(str(path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = KeyValueStore(path)
    assert all(store.get(f"{w}-{i}") == str(i) for w in range(4) for i in range(50))


def test_unusable_file_is_a_miss_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "kv.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    store = KeyValueStore(path)
    store.put("a", "1")
    assert store.get("a") is None
    blocked = KeyValueStore(tmp_path / "file" / "kv.sqlite")
    (tmp_path / "file").write_text("a file where a folder should be")
    blocked.put("a", "1")
    assert blocked.get("a") is None
