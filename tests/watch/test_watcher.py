"""``vetpy watch`` against a live local index: new uploads scanned once each, across a kill -9 restart,
through both feeds, with alerts and the known-malicious lookup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fake_osv import FakeOsv
from live_index import LiveIndex, serve_live_index
from vetpy.cli.main import main
from watch.pkgs import benign, evil

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def index(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveIndex]:
    with serve_live_index(changelog=True) as live:
        monkeypatch.setenv("PIP_INDEX_URL", live.url)
        yield live


def _publish(index: LiveIndex, name: str, version: str, data: bytes) -> str:
    return index.upload(name, version, f"{name}-{version}.tar.gz", data)


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _wait(condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if condition():
            return
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"watcher exited ({proc.returncode}) while waiting for {what}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start(out: Path, index: LiveIndex, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PIP_INDEX_URL": index.url, "PYTHONPATH": str(REPO / "src")}
    args = ["watch", "--out", str(out), "--interval", "0.2", "--model", "rules", "--no-osv", *extra]
    return subprocess.Popen(
        [sys.executable, "-m", "vetpy", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def test_new_uploads_are_scanned_once_across_a_kill(index: LiveIndex, tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    out = tmp_path / "out.jsonl"
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"
    # uploaded a day before the watch starts: never scanned, though its project changes during the watch
    index.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"), ago=86400)
    expected: dict[str, str] = {}

    proc = _start(out, index, "--feed", "simple", "--since", "now")
    try:
        _wait(checkpoint.exists, "the first checkpoint", proc)
        expected["alpha-1.1.tar.gz"] = _publish(index, "alpha", "1.1", benign("alpha", "1.1"))
        expected["beta-0.1.tar.gz"] = _publish(index, "beta", "0.1", evil("beta", "0.1", canary))
        _wait(lambda: len(_lines(out)) >= 2, "two lines", proc)
    finally:
        proc.kill()  # SIGKILL: no clean-up at all
        proc.wait()

    # while the watcher is down the index moves on: nothing of this may be missed
    expected["gamma-1.0.tar.gz"] = _publish(index, "gamma", "1.0", benign("gamma", "1.0"))
    expected["alpha-1.2.tar.gz"] = _publish(index, "alpha", "1.2", benign("alpha", "1.2"))

    proc = _start(out, index, "--feed", "simple", "--since", "now")  # the checkpoint wins over --since
    try:
        _wait(lambda: len(_lines(out)) >= 4, "the files uploaded while down", proc)
        expected["delta-2.0.tar.gz"] = _publish(index, "delta", "2.0", benign("delta", "2.0"))
        _wait(lambda: len(_lines(out)) >= 5, "a file uploaded after the restart", proc)
        time.sleep(1.0)  # a few more polls: nothing may be written twice
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    assert "--since ignored" in stderr

    lines = _lines(out)
    assert sorted(line["sha256"] for line in lines) == sorted(expected.values())  # no gap, no repeat
    by_sha = {line["sha256"]: line for line in lines}
    beta = by_sha[expected["beta-0.1.tar.gz"]]
    assert beta["verdict"] == "malicious" and beta["name"] == "beta" and beta["version"] == "0.1"
    assert beta["target"] == "beta==0.1"
    assert all(by_sha[expected[f]]["verdict"] == "benign" for f in expected if not f.startswith("beta"))
    assert not canary.exists()


def test_changelog_feed_once_runs_and_removed_files(
    index: LiveIndex,
    tmp_path: Path,
    fake_osv: FakeOsv,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VETPY_OSV_URL", fake_osv.url)
    monkeypatch.setenv("VETPY_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out.jsonl"
    args = ["watch", "--out", str(out), "--once", "--model", "rules", "--feed", "changelog"]
    start = index.serial
    index.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"))
    index.upload("gone", "0.1", "gone-0.1.tar.gz", benign("gone", "0.1"))
    index.remove("gone", "gone-0.1.tar.gz")  # malware is often removed before anyone scans it
    index.upload("stolen", "3.0", "stolen-3.0.tar.gz", benign("stolen", "3.0"))
    fake_osv.add("stolen", "3.0", "MAL-2026-321")
    fake_osv.add("gone", "0.1", "MAL-2026-322")
    assert main([*args, "--since", str(start)]) == 1  # known malicious -> exit 1
    lines = {line["target"]: line for line in _lines(out)}
    assert set(lines) == {"alpha==1.0", "gone==0.1", "stolen==3.0"}
    assert lines["alpha==1.0"]["verdict"] == "benign"
    assert lines["stolen==3.0"]["known_malicious"] == ["MAL-2026-321"]
    assert lines["stolen==3.0"]["verdict"] == "malicious"
    assert lines["gone==0.1"]["known_malicious"] == ["MAL-2026-322"]  # flagged though never downloaded
    assert any("no longer on the index" in n for n in lines["gone==0.1"]["notes"])

    assert main(args) == 0  # nothing new: nothing written again
    assert len(_lines(out)) == 3
    index.upload("alpha", "1.1", "alpha-1.1-py3-none-any.whl", benign("alpha", "1.1"))
    assert main(args) == 0
    assert [line["target"] for line in _lines(out)][3:] == ["alpha==1.1"]
    capsys.readouterr()


def test_auto_feed_falls_back_to_the_project_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_live_index(changelog=False) as live:
        monkeypatch.setenv("PIP_INDEX_URL", live.url)
        out = tmp_path / "out.jsonl"
        args = ["watch", "--out", str(out), "--once", "--model", "rules", "--no-osv"]
        live.serial += 7  # events no project shows (deletions): only the X-PyPI-Last-Serial header has them
        assert main(args) == 0  # first run: starts now, scans nothing
        assert "no changelog interface" in capsys.readouterr().err
        state = json.loads((tmp_path / "out.jsonl.checkpoint.json").read_text())
        assert state["serial"] == live.serial == 107
        live.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"))
        assert main(args) == 0
        assert [line["target"] for line in _lines(out)] == ["alpha==1.0"]
        state = json.loads((tmp_path / "out.jsonl.checkpoint.json").read_text())
        assert state["feed"] == "simple" and state["serial"] == live.serial


def test_webhook_gets_flagged_releases_and_its_failures_are_not_fatal(
    index: LiveIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from webhook_sink import serve_sink

    canary = tmp_path / "canary"
    out = tmp_path / "out.jsonl"
    with serve_sink() as sink:
        secret_url = f"{sink.url}/hooks/T0-SECRET-TOKEN"
        args = ["watch", "--out", str(out), "--once", "--model", "rules", "--no-osv", "--feed", "simple"]
        assert main([*args, "--webhook", secret_url]) == 0
        index.upload("beta", "0.1", "beta-0.1.tar.gz", evil("beta", "0.1", canary))
        index.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"))
        assert main([*args, "--webhook", secret_url]) == 1
        assert len(sink.posts) == 1  # only the flagged release
        text = sink.posts[0]["text"]
        assert text.startswith("vetpy flagged beta==0.1 (beta-0.1.tar.gz)") and "beta-0.1/setup.py:" in text
        sink.status = 500
        index.upload("beta", "0.2", "beta-0.2.tar.gz", evil("beta", "0.2", canary))
        assert main([*args, "--webhook", secret_url]) == 1
        err = capsys.readouterr().err
        assert "alert not delivered: webhook answered HTTP 500" in err and "SECRET" not in err
    assert [line["target"] for line in _lines(out)] == ["beta==0.1", "alpha==1.0", "beta==0.2"]
    assert not canary.exists()


def test_against_previous_adds_what_the_new_release_adds(
    index: LiveIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from diffpkgs import demo_sdist, payload

    canary = tmp_path / "canary"
    _, exec_line, _ = payload(canary)
    index.upload("demo", "1.0", "demo-1.0.tar.gz", demo_sdist("1.0"), ago=86400)
    out = tmp_path / "out.jsonl"
    args = ["watch", "--out", str(out), "--once", "--model", "rules", "--no-osv", "--feed", "simple"]
    assert main([*args, "--against-previous"]) == 0
    index.upload("demo", "1.1", "demo-1.1.tar.gz", demo_sdist("1.1", canary))
    main([*args, "--against-previous"])
    (line,) = _lines(out)
    assert "compared with demo==1.0 (demo-1.0.tar.gz)" in line["notes"]
    places = {(r["feature"], r["file"], r["line"]) for r in line["reasons"]}
    assert ("diff.new_behaviour", "demo-1.1/demo/_telemetry.py", exec_line) in places
    assert not canary.exists()
    capsys.readouterr()


def test_a_download_that_fails_once_is_tried_again(
    index: LiveIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jsonl"
    args = ["watch", "--out", str(out), "--once", "--model", "rules", "--no-osv", "--feed", "simple"]
    assert main(args) == 0
    index.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"))
    index.flaky["alpha-1.0.tar.gz"] = 1
    index.upload("omega", "1.0", "omega-1.0.tar.gz", benign("omega", "1.0"))
    index.flaky["omega-1.0.tar.gz"] = 99  # never comes back: an error line after the retries
    assert main(args) in (2, 3)  # an error result: the contract's 3 (2 in the older exit-code scheme)
    lines = {line["target"]: line for line in _lines(out)}
    assert lines["alpha==1.0"]["verdict"] == "benign" and index.flaky["alpha-1.0.tar.gz"] == 0
    assert lines["omega==1.0"]["verdict"] == "error" and "HTTP 503" in lines["omega==1.0"]["error"]
    assert index.flaky["omega-1.0.tar.gz"] == 99 - 3  # tried three times in all
    capsys.readouterr()


def test_an_index_without_serials_is_one_line_and_no_login_is_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_live_index() as live:
        live.serials = False
        live.upload("alpha", "1.0", "alpha-1.0.tar.gz", benign("alpha", "1.0"))
        monkeypatch.setenv("PIP_INDEX_URL", live.url.replace("http://", "http://watcher:s3cret-pw@"))
        args = ["watch", "--out", str(tmp_path / "out.jsonl"), "--once", "--model", "rules", "--no-osv"]
        assert main([*args, "--feed", "simple", "--webhook", "http://127.0.0.1:9/hook/T0-SECRET"]) == 3
    err = capsys.readouterr().err
    assert "no _last-serial" in err and "***@127.0.0.1" in err
    assert "s3cret-pw" not in err and "T0-SECRET" not in err and "Traceback" not in err
