"""Restart safety: after ``kill -9`` with jobs queued and running, every accepted job ends exactly once."""

from __future__ import annotations

import re
import sqlite3

from service.serverproc import Server, package, upload

JOBS = 40


def _statuses(srv: Server) -> dict[str, str]:
    with sqlite3.connect(srv.db) as db:
        return dict(db.execute("SELECT id, status FROM jobs").fetchall())


def test_kill_9_with_jobs_queued_then_restart(server: Server) -> None:
    server.start()
    submitted: dict[str, str] = {}
    with server.client() as client:
        for i in range(JOBS):
            response = upload(client, package(f"crashpkg{i}"), f"crashpkg{i}-1.0.tar.gz")
            assert response.status_code == 202
            submitted[response.json()["id"]] = f"crashpkg{i}"
    server.kill()

    at_crash = _statuses(server)
    assert set(at_crash) == set(submitted)
    unfinished = {job_id for job_id, status in at_crash.items() if status in ("queued", "running")}
    assert unfinished, "the test must kill the server while jobs are still waiting"

    server.start()
    for job_id, name in submitted.items():
        job = server.wait_done(job_id)
        assert job["status"] == "done", job
        assert job["result"]["name"] == name
        assert job["result"]["target"] == f"{name}-1.0.tar.gz"
    assert _statuses(server) == dict.fromkeys(submitted, "done")
    with server.client() as client:
        metrics = client.get("/metrics").text
    finished = sum(
        float(value) for value in re.findall(r"^vetpy_scans_finished_total\{[^}]*\} (\S+)$", metrics, re.M)
    )
    assert finished == len(unfinished)  # each job left unfinished by the crash ended once, after restart
