"""The HTTP contract of ``vetpy serve``, against a real server process on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import FakeIndex, build_archive
from service.serverproc import TOKEN, Server, flagged_package, package, upload


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("api")
    srv = Server(root, extra=["--max-upload-bytes", "50000"])
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        assert TOKEN not in srv.log.read_text(), "a token was logged"


def test_health_needs_no_token(running: Server) -> None:
    body = httpx.get(f"{running.url}/v1/health").json()
    assert body["status"] == "ok"
    assert body["version"]
    assert body["model"]


@pytest.mark.parametrize("token", [None, "wrong-token-" + "z" * 20, TOKEN[:-1]])
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/v1/scans"), ("GET", "/v1/scans/abc"), ("GET", "/metrics"), ("GET", "/v1/triage")],
)
def test_missing_or_wrong_token_is_401(running: Server, token: str | None, method: str, path: str) -> None:
    with running.client(token) as client:
        response = client.request(method, path, json={"target": "requests==2.0"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_upload_is_scanned_and_cached_by_sha256(running: Server, tmp_path: Path) -> None:
    canary = tmp_path / "CANARY"
    data = flagged_package(canary)
    with running.client() as client:
        first = upload(client, data, "evilpkg-0.1.tar.gz")
        assert first.status_code == 202
        assert first.json()["status"] == "queued"
        job = running.wait_done(first.json()["id"])
        assert job["status"] == "done"
        result = job["result"]
        assert result["verdict"] == "malicious"
        assert result["target"] == "evilpkg-0.1.tar.gz"
        assert result["sha256"] == hashlib.sha256(data).hexdigest()
        assert any(r["file"] == "evilpkg-0.1/setup.py" and r["line"] for r in result["reasons"])
        again = upload(client, data, "renamed.tar.gz")
        assert again.status_code == 202
        assert again.json()["cached"] is True
        assert again.json()["id"] == job["id"]
        assert again.json()["result"] == result
        # the second token in the file works too
        with running.client("second-token-" + "y" * 20) as other:
            assert other.get(f"/v1/scans/{job['id']}").json()["status"] == "done"
    assert not canary.exists()


def test_benign_upload_and_unknown_job(running: Server) -> None:
    with running.client() as client:
        response = upload(client, package("plainpkg"), "plainpkg-1.0.tar.gz")
        job = running.wait_done(response.json()["id"])
        assert job["result"]["verdict"] == "benign"
        assert job["result"]["name"] == "plainpkg"
        assert client.get("/v1/scans/nope").status_code == 404


def test_unreadable_upload_ends_done_with_an_error_result(running: Server) -> None:
    with running.client() as client:
        job = running.wait_done(upload(client, b"not an archive at all", "x.tar.gz").json()["id"])
    assert job["status"] == "done"
    assert job["result"]["verdict"] == "error"
    assert job["result"]["error"]
    assert "uploads" not in json.dumps(job["result"])  # the server's own paths are not shown
    assert job["result"]["filename"] == "x.tar.gz"


def _stored_files(srv: Server) -> set[str]:
    uploads = srv.root / "jobs.sqlite3-uploads"
    return {p.name for p in uploads.iterdir()} if uploads.is_dir() else set()


def test_oversized_upload_is_413_and_nothing_is_stored(running: Server) -> None:
    before = _stored_files(running)
    big = b"\0" * 200_000
    with running.client() as client:
        assert upload(client, big, "big.tar.gz").status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while streaming
            boundary = b"--b0undary"
            yield boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="big.tar.gz"\r\n\r\n'
            for _ in range(20):
                yield b"\1" * 10_000
            yield b"\r\n" + boundary + b"--\r\n"

        response = client.post(
            "/v1/scans", content=chunks(), headers={"Content-Type": "multipart/form-data; boundary=b0undary"}
        )
        assert response.status_code == 413
    assert _stored_files(running) == before  # no archive and no partial file left


@pytest.mark.parametrize(
    "target",
    ["/etc/passwd", "../x.tar.gz", "pkg>=1.0", "pkg[extra]==1.0", "pkg @ http://127.0.0.1/x.tar.gz", "", 5],
)
def test_bad_index_targets_are_422(running: Server, target: object) -> None:
    with running.client() as client:
        assert client.post("/v1/scans", json={"target": target}).status_code == 422


def test_other_content_types_are_415(running: Server) -> None:
    with running.client() as client:
        assert (
            client.post("/v1/scans", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 415
        )


def test_metrics_and_docs(running: Server) -> None:
    with running.client() as client:
        upload(client, package("metricpkg"), "metricpkg-1.0.tar.gz")
        text = client.get("/metrics").text
        assert 'vetpy_scans_submitted_total{kind="upload"}' in text
        assert "vetpy_jobs{" in text
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/v1/scans", "/v1/scans/{job_id}", "/v1/health"} <= set(paths)


def test_label_and_triage_listing(running: Server, tmp_path: Path) -> None:
    with running.client() as client:
        job = running.wait_done(
            upload(client, flagged_package(tmp_path / "c", "labelme"), "l.tar.gz").json()["id"]
        )
        listed = client.get("/v1/triage", params={"verdict": "malicious", "name": "labelme"}).json()["items"]
        assert [item["id"] for item in listed] == [job["id"]]
        assert (
            client.post(f"/v1/scans/{job['id']}/label", json={"label": "benign"}).json()["label"] == "benign"
        )
        assert client.post(f"/v1/scans/{job['id']}/label", json={"label": "maybe"}).status_code == 422
        assert client.post("/v1/scans/nope/label", json={"label": "benign"}).status_code == 404
        assert client.get(f"/v1/scans/{job['id']}").json()["label"] == "benign"
        high = client.get("/v1/triage", params={"verdict": "any", "min_score": 0.99999}).json()["items"]
        assert all(item["result"]["score"] >= 0.99999 for item in high)


def _wheel(name: str, version: str) -> bytes:
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": b"VALUE = 2\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/RECORD": b"",
    }
    return build_archive(files, "zip")


def test_index_target_is_fetched_from_the_configured_index(
    server: Server, fake_index: FakeIndex, tmp_path: Path
) -> None:
    fake_index.add_file("remotepkg", "remotepkg-2.0.tar.gz", package("remotepkg", "2.0"))
    # a release with a benign wheel and a flagged sdist: the job's result is the most severe file
    fake_index.add_file("twofiles", "twofiles-1.0-py3-none-any.whl", _wheel("twofiles", "1.0"))
    fake_index.add_file("twofiles", "twofiles-1.0.tar.gz", flagged_package(tmp_path / "C", "twofiles", "1.0"))
    server.env = {"PIP_INDEX_URL": fake_index.url, "PIP_CONFIG_FILE": "/dev/null"}
    server.start()
    with server.client() as client:
        response = client.post("/v1/scans", json={"target": "RemotePkg==2.0"})
        assert response.status_code == 202
        job = server.wait_done(response.json()["id"])
        missing = server.wait_done(client.post("/v1/scans", json={"target": "nosuchpkg==1.0"}).json()["id"])
        both = server.wait_done(client.post("/v1/scans", json={"target": "twofiles==1.0"}).json()["id"])
    assert job["result"]["name"] == "remotepkg"
    assert job["result"]["verdict"] == "benign"
    assert any(path.startswith("/files/remotepkg-2.0") for path in fake_index.requests)
    assert missing["result"]["verdict"] == "error"
    assert both["result"]["verdict"] == "malicious"
    assert both["result"]["target"] == "twofiles==1.0"
    assert any("twofiles-1.0-py3-none-any.whl: benign" in note for note in both["result"]["notes"]), both
    assert not (tmp_path / "C").exists()
