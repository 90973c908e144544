"""The job store's contract, on SQLite and (when a local PostgreSQL can be started) on PostgreSQL."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.serverproc import free_port
from vetpy.result import Reason, ScanResult, Verdict
from vetpy.service.store import JobStore, Label, SQLiteStore, Status, open_store

MODEL = "default-abc"


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on 127.0.0.1 (skips when none can be started here)."""
    pytest.importorskip("psycopg")
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    prefix: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="vetpy-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user")
        os.chown(root, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    try:
        subprocess.run(
            [*prefix, initdb, "-D", str(data), "-A", "trust", "-U", "vetpy"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.skip(f"could not start a local PostgreSQL ({type(exc).__name__})")
    try:
        yield f"postgresql://vetpy@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[JobStore]:
    if request.param == "sqlite":
        opened: JobStore = SQLiteStore(tmp_path / "jobs.sqlite3")
    else:
        url: str = request.getfixturevalue("postgres_url")
        opened = open_store(url)
        with opened._transaction() as cursor:  # type: ignore[attr-defined]
            cursor.execute("DELETE FROM jobs")
    yield opened
    opened.close()


def _result(name: str, verdict: Verdict, score: float | None, sha256: str = "f" * 64) -> ScanResult:
    reasons = (Reason("code.decode_exec", "exec of decoded data", f"{name}/setup.py", 7),)
    return ScanResult(name, name, "1.0", sha256, verdict, score, 0.5, reasons)


def test_a_job_ends_exactly_once(store: JobStore) -> None:
    job = store.add("upload", "/x/aa", "a.tar.gz", "a" * 64, MODEL)
    assert store.get(job.id) == job
    assert [j.id for j in store.claim(10)] == [job.id]
    assert store.claim(10) == []
    assert store.finish(job.id, Status.DONE, _result("a", Verdict.BENIGN, 0.1), None)
    assert not store.finish(job.id, Status.FAILED, None, "again")
    done = store.get(job.id)
    assert done is not None and done.status is Status.DONE and done.result is not None
    assert done.result["verdict"] == "benign"


def test_cache_by_sha256_and_model_skips_errors(store: JobStore) -> None:
    sha = "b" * 64
    first = store.add("upload", "/x/b", "b.tar.gz", sha, MODEL)
    assert store.cached(sha, MODEL) == first  # still queued: the same job answers
    assert store.cached(sha, "other-model") is None
    store.claim(1)
    store.finish(first.id, Status.DONE, _result("b", Verdict.ERROR, None, sha), None)
    assert store.cached(sha, MODEL) is None  # an error is not a result to hand out again
    second = store.add("upload", "/x/b", "b.tar.gz", sha, MODEL)
    store.claim(1)
    store.finish(second.id, Status.DONE, _result("b", Verdict.MALICIOUS, 0.99, sha), None)
    cached = store.cached(sha, MODEL)
    assert cached is not None and cached.id == second.id


def test_recover_requeues_then_fails_after_max_attempts(store: JobStore) -> None:
    job = store.add("index", "pkg==1.0", "pkg==1.0", None, MODEL)
    store.claim(1)
    assert store.recover(max_attempts=2) == (1, 0)  # crashed once: queued again
    store.claim(1)
    assert store.recover(max_attempts=2) == (0, 1)  # crashed twice while scanning it: failed
    failed = store.get(job.id)
    assert failed is not None and failed.status is Status.FAILED and failed.error


def test_release_does_not_count_an_attempt(store: JobStore) -> None:
    job = store.add("index", "pkg==1.0", "pkg==1.0", None, MODEL)
    store.claim(1)
    store.release([job.id])
    again = store.claim(1)
    assert [j.attempts for j in again] == [1]


def test_flagged_filters_and_labels(store: JobStore, tmp_path: Path) -> None:
    rows = [
        ("alpha", Verdict.MALICIOUS, 0.97),
        ("beta", Verdict.BENIGN, 0.02),
        ("gamma", Verdict.MALICIOUS, 0.6),
    ]
    ids = {}
    for name, verdict, score in rows:
        job = store.add("upload", f"/x/{name}", f"{name}.tar.gz", name[0] * 64, MODEL)
        store.claim(1)
        store.finish(job.id, Status.DONE, _result(name, verdict, score, name[0] * 64), None)
        ids[name] = job.id
    assert [j.id for j in store.flagged("malicious", "", 0.0, 10)] == [ids["gamma"], ids["alpha"]]
    assert [j.id for j in store.flagged("malicious", "", 0.9, 10)] == [ids["alpha"]]
    assert [j.id for j in store.flagged(None, "BET", 0.0, 10)] == [ids["beta"]]
    assert store.set_label(ids["alpha"], Label.MALICIOUS)
    assert store.set_label(ids["gamma"], Label.BENIGN)
    queued = store.add("upload", "/x/q", "q.tar.gz", "q" * 64, MODEL)
    assert not store.set_label(queued.id, Label.BENIGN)  # only finished scans take a label
    (tmp_path / ("a" * 64)).write_bytes(b"archive")
    labelled = store.labelled(tmp_path)
    assert [(x.name, x.label) for x in labelled] == [("alpha", Label.MALICIOUS), ("gamma", Label.BENIGN)]
    assert labelled[0].path == tmp_path / ("a" * 64)
    assert labelled[1].path is None  # its archive is not kept
    assert store.counts() == {"queued": 1, "running": 0, "done": 3, "failed": 0}
