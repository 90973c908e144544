"""The recent-uploads sample (dataset/recent.py), against a fake index: no network."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from vetpy.acquire.index import parse_project_list
from vetpy.errors import IndexLookupError
from vetpy.lab.dataset.benign import read_benign_csv
from vetpy.lab.dataset.recent import newest_release_since, sample_recent, write_release_csv

SHA = "ab" * 32


def entry(filename: str, uploaded: str, size: int = 1000, yanked: bool = False) -> dict[str, Any]:
    return {
        "filename": filename,
        "upload-time": uploaded,
        "size": size,
        "yanked": yanked,
        "hashes": {"sha256": SHA},
    }


def test_project_list_from_json_or_html() -> None:
    assert parse_project_list(b'{"meta": {}, "projects": [{"name": "a"}, {"name": "B-c"}]}') == ["a", "B-c"]
    html = b'<!DOCTYPE html><html><body>\n<a href="a/">a</a>\n<a href="b-c/">B.c</a>\n</body></html>'
    assert parse_project_list(html) == ["a", "B.c"]
    assert parse_project_list(b"not an index") == []


def test_newest_release_since_prefers_the_sdist_of_the_newest_release() -> None:
    page = {
        "name": "demo",
        "files": [
            entry("demo-1.0.tar.gz", "2026-10-01T10:00:00.0Z"),
            entry("demo-2.0-cp311-cp311-manylinux_x86_64.whl", "2026-11-20T10:00:00.0Z"),
            entry("demo-2.0-py3-none-any.whl", "2026-11-20T10:00:01.0Z"),
            entry("demo-2.0.tar.gz", "2026-11-20T10:00:02.0Z"),
            entry("demo-2.1.tar.gz", "2026-11-25T10:00:00.0Z", yanked=True),
            entry("demo-3.0.tar.gz", "2026-11-26T10:00:00.0Z", size=10**9),
        ],
    }
    release = newest_release_since(page, "2026-11-01", max_size=10**8)
    assert release is not None
    assert (release.filename, release.version, release.packagetype) == ("demo-2.0.tar.gz", "2.0", "sdist")
    assert release.upload_time == "2026-11-20T10:00:02" and release.stratum == "recent"
    page["files"] = page["files"][1:3]  # no sdist: the pure wheel
    chosen = newest_release_since(page, "2026-11-01", max_size=10**8)
    assert chosen is not None and chosen.filename == "demo-2.0-py3-none-any.whl"
    assert newest_release_since(page, "2026-12-01", max_size=10**8) is None


class FakeIndex:
    index_url = "http://index.invalid/simple"

    def __init__(self, pages: dict[str, dict[str, Any]]) -> None:
        self.pages = pages

    def project_page(self, name: str) -> dict[str, Any]:
        if name not in self.pages:
            raise IndexLookupError(f"{name}: HTTP 404")
        return self.pages[name]


def test_sample_is_deterministic_skips_known_projects_and_round_trips(tmp_path: Path) -> None:
    pages = {
        f"p{i}": {"name": f"p{i}", "files": [entry(f"p{i}-1.0.tar.gz", f"2026-{10 + i % 2}-15T00:00:00Z")]}
        for i in range(40)
    }
    names = [*pages, "gone"]  # listed, then removed from the index: skipped, not an error
    client: Any = FakeIndex(pages)
    first = sample_recent(client, "2026-11-01", 5, seed=3, exclude=["P1"], workers=4, names=names)
    again = sample_recent(client, "2026-11-01", 5, seed=3, exclude=["P1"], workers=2, names=names)
    assert first == again and len(first) == 5
    assert all(r.name != "p1" and r.upload_time >= "2026-11-01" for r in first)
    everything = sample_recent(client, "2026-11-01", 100, seed=3, names=names)
    assert len(everything) == 20  # only the odd-numbered projects uploaded in November
    out = tmp_path / "recent.csv"
    write_release_csv(out, first)
    assert read_benign_csv(out) == first
    with out.open() as fh:
        assert next(csv.reader(fh))[0] == "name"


def test_sample_recent_cli_rejects_a_bad_count(capsys: pytest.CaptureFixture[str]) -> None:
    from vetpy.cli.main import main

    assert main(["dataset", "sample-recent", "--since", "2026-11-01", "--count", "0", "--out", "x.csv"]) == 2
    assert "at least 1" in capsys.readouterr().err
