"""The watcher's pieces: which files count as new, the checkpoint file and its lock, the output file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vetpy.acquire.index import ReleaseFile
from vetpy.errors import VetpyError
from vetpy.result import ScanResult, Verdict
from vetpy.watch.changelog import changelog_url
from vetpy.watch.checkpoint import Checkpoint, CheckpointStore
from vetpy.watch.feed import SLACK_SECONDS, NewFile, parse_time, select_new
from vetpy.watch.output import LineWriter
from vetpy.watch.webhook import message


def _file(name: str, version: str, uploaded: float | None) -> NewFile:
    filename = f"p-{version}.tar.gz"
    release = ReleaseFile("p", version, filename, "u", None, "sdist", False)
    return NewFile(name, filename, version, release, uploaded)


def test_select_new_by_upload_time_and_seen() -> None:
    now = 1_000_000.0
    files = [_file("p", "1.0", now - 86400), _file("p", "1.1", now - 10), _file("p", "1.2", now + 5)]
    checkpoint = Checkpoint("i", "simple", 5, watermark=now, seen={"p-1.2.tar.gz": now + 5})
    new, fallback = select_new(files, checkpoint)
    assert [f.version for f in new] == ["1.1"] and not fallback  # 1.2 was handled, 1.0 is old
    late = [_file("p", "0.9", now - SLACK_SECONDS - 1)]
    assert select_new(late, checkpoint) == ([], False)


def test_select_new_without_upload_times_takes_the_newest_release() -> None:
    files = [_file("p", "1.0", None), _file("p", "2.0", None), _file("p", "10.0rc1", None)]
    new, fallback = select_new(files, Checkpoint("i", "simple", 5, watermark=1.0))
    assert [f.version for f in new] == ["10.0rc1"] and fallback
    assert select_new(files, Checkpoint("i", "simple", 5, seen={"p-10.0rc1.tar.gz": 1.0})) == ([], True)


def test_checkpoint_round_trip_lock_and_corruption(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl.checkpoint.json"
    store = CheckpointStore(path)
    store.lock()
    checkpoint = Checkpoint("abc", "simple", 42, 123.5).with_seen("p-1.0.tar.gz", 99.0)
    store.save(checkpoint)
    assert store.load() == checkpoint
    other = CheckpointStore(path)
    with pytest.raises(VetpyError, match="another watcher"):
        other.lock()
    store.unlock()
    other.lock()
    other.unlock()
    path.write_text("{not json")
    with pytest.raises(VetpyError, match="not a vetpy watch checkpoint"):
        store.load()


def test_line_writer_cuts_a_torn_line_and_remembers_sha256s(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    whole = json.dumps({"target": "a==1", "sha256": "aa" * 32, "verdict": "benign"})
    out.write_text(whole + "\n" + '{"target": "b==1", "sha2')  # a kill mid-line (a machine crash)
    writer = LineWriter(out)
    assert writer.done == {"aa" * 32}
    writer.write(ScanResult("c==1", "c", "1", "cc" * 32, Verdict.BENIGN, 0.1, 0.5))
    writer.close()
    lines = out.read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[1])["target"] == "c==1"


def test_webhook_text_escapes_markup() -> None:
    result = ScanResult(
        "x==1", "<!channel>&x", "1", None, Verdict.MALICIOUS, 0.99, 0.5, known_malicious=("MAL-1",)
    )
    text = message(result, "evil<http://a|b>.tar.gz")
    assert "<" not in text and ">" not in text and "&lt;!channel&gt;&amp;x" in text and "MAL-1" in text


def test_changelog_url_is_on_the_index_host() -> None:
    assert (
        changelog_url("https://user:pw@mirror.example:8443/simple")
        == "https://user:pw@mirror.example:8443/pypi"
    )
    assert parse_time("2026-12-01T04:25:10.5Z") == 1796099110.5
    assert parse_time("yesterday") is None and parse_time(None) is None
