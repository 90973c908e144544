"""read_requirements: pip's options, includes only of regular files, bounded and linear on hostile lines."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from vetpy.acquire.projectfile import (
    MAX_LINE_CHARS,
    MAX_REQUIREMENTS_BYTES,
    Origin,
    ProjectFileError,
)
from vetpy.acquire.requirements import MAX_DEPTH, logical_lines, read_requirements

CONTENT = """\
# a comment line

requests==2.31.0  # trailing comment
Flask>=2.0 ; python_version >= "3.8"
numpy \\
    ==1.26.4 \\
    --hash=sha256:aaaa --hash=sha256:bbbb
six===1.16.0
urllib3[socks]
-e git+https://127.0.0.1/repo.git#egg=thing
--editable ./local
https://127.0.0.1/pkg-1.0.tar.gz
thing @ https://127.0.0.1/thing-1.0.tar.gz
./vendor/pkg-1.0.tar.gz
--index-url http://127.0.0.1:1/simple
--extra-index-url http://127.0.0.1:2/simple
--pre
not a valid ! requirement
--no-such-option
"""


def test_lines_are_read_as_pip_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(CONTENT)
    project = read_requirements(path)
    scanned = {e.label: str(e.requirement) for e in project.entries if e.requirement is not None}
    assert scanned == {
        "requests==2.31.0": "requests==2.31.0",
        'Flask>=2.0 ; python_version >= "3.8"': 'Flask>=2.0; python_version >= "3.8"',
        "numpy ==1.26.4": "numpy==1.26.4",
        "six===1.16.0": "six===1.16.0",
        "urllib3[socks]": "urllib3[socks]",
    }
    skipped = {e.label: e.skipped for e in project.entries if e.requirement is None}
    assert skipped["-e git+https://127.0.0.1/repo.git#egg=thing"] == (
        "skipped: editable requirement (-e) is not scanned"
    )
    assert skipped["-e ./local"] == "skipped: editable requirement (-e) is not scanned"
    assert skipped["https://127.0.0.1/pkg-1.0.tar.gz"] == "skipped: direct URL is not scanned"
    assert skipped["thing @ https://127.0.0.1/thing-1.0.tar.gz"] == (
        "skipped: direct URL (name @ url) is not scanned"
    )
    assert skipped["./vendor/pkg-1.0.tar.gz"] == "skipped: local path is not scanned"
    assert (skipped["not a valid ! requirement"] or "").startswith("error: not a valid requirement (")
    assert (skipped["--no-such-option"] or "").startswith("error: invalid option (")
    by_label = {e.label: e for e in project.entries}
    assert by_label["numpy ==1.26.4"].hashes == ("sha256:aaaa", "sha256:bbbb")
    assert by_label["requests==2.31.0"].origin == Origin(str(path), 3)
    assert by_label["numpy ==1.26.4"].origin == Origin(str(path), 5)  # a continued line keeps its first
    assert project.index_url == "http://127.0.0.1:1/simple"
    assert project.extra_index_urls == ("http://127.0.0.1:2/simple",)


def test_a_hash_sign_inside_a_word_is_not_a_comment(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("alpha==1#not-a-comment\nbeta==2 #comment\n")
    entries = read_requirements(path).entries
    assert (entries[0].skipped or "").startswith("error: not a valid requirement")
    assert str(entries[1].requirement) == "beta==2"


def test_nested_requirements_and_constraints(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.txt").write_text("-r sub/more.txt\nalpha\n-c cons.txt\n")
    (tmp_path / "sub" / "more.txt").write_text("--requirement=../last.txt\nbeta==2\n")
    (tmp_path / "last.txt").write_text("gamma==3\n-r base.txt\n")  # a loop back to the start
    (tmp_path / "cons.txt").write_text("alpha==1.5 --hash=sha256:cc\nunused==9\n")
    entries = read_requirements(tmp_path / "base.txt").entries
    assert [e.label for e in entries] == ["gamma==3", "-r base.txt", "beta==2", "alpha"]
    assert (entries[1].skipped or "").startswith("error: -r 'base.txt' includes itself")
    alpha = entries[3]
    assert str(alpha.requirement) == "alpha==1.5" and alpha.hashes == ("sha256:cc",)
    assert alpha.origin == Origin(str(tmp_path / "base.txt"), 2)


def test_nesting_depth_is_bounded(tmp_path: Path) -> None:
    for i in range(MAX_DEPTH + 3):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\npkg{i}==1\n")
    entries = read_requirements(tmp_path / "r0.txt").entries
    assert [e.skipped for e in entries if e.skipped] == [
        f"error: -r 'r{MAX_DEPTH + 1}.txt' is nested more than {MAX_DEPTH} levels deep"
    ]
    assert len([e for e in entries if e.requirement]) == MAX_DEPTH + 1


def test_special_files_are_never_included(tmp_path: Path) -> None:
    """``-r /proc/self/environ`` once copied the environment (secrets included) into reports."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    os.environ["VETPY_TEST_SECRET"] = "hunter2-secret-value"
    try:
        (tmp_path / "r.txt").write_text(
            "-r /proc/self/environ\n-r fifo\n-c /dev/zero\n-r /dev/stdin\n-r https://127.0.0.1/x.txt\n"
            "-r missing.txt\n-r .\nok==1\n"
        )
        start = time.monotonic()
        entries = read_requirements(tmp_path / "r.txt").entries
        assert time.monotonic() - start < 5  # the FIFO is refused, not waited on
    finally:
        del os.environ["VETPY_TEST_SECRET"]
    reasons = [e.skipped or "" for e in entries]
    assert "refused: a special file under 'proc'" in reasons[0]
    assert "refused: not a regular file" in reasons[1]
    assert "refused: a special file under 'dev'" in reasons[2]
    assert "under 'dev'" in reasons[3] or "under 'proc'" in reasons[3]
    assert "only local files are read" in reasons[4]
    assert "no such file" in reasons[5]
    assert "is a folder" in reasons[6]
    assert all(r.startswith("error: ") for r in reasons[:7])
    assert str(entries[7].requirement) == "ok==1"
    assert not any("hunter2" in (e.skipped or "") + e.label for e in entries)


def test_a_special_top_level_file_is_one_error(tmp_path: Path) -> None:
    fifo = tmp_path / "requirements.txt"
    os.mkfifo(fifo)
    with pytest.raises(ProjectFileError, match="not a regular file"):
        read_requirements(fifo)
    with pytest.raises(ProjectFileError, match="under 'proc'"):
        read_requirements(Path("/proc/self/environ"))
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x00\x01\x02 requests\n")
    with pytest.raises(ProjectFileError, match="binary content"):
        read_requirements(binary)


def test_variables_are_not_expanded_into_labels(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("pkg${HOME}==1\n")
    (entry,) = read_requirements(path).entries
    assert "${HOME}" in entry.label and os.environ.get("HOME", "/") not in entry.label.replace("${HOME}", "")


def test_bad_lines_are_quoted_in_at_most_80_characters(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_text("bad ! " + "x" * 5000 + "\n--bogus " + "y" * 5000 + "\n")
    for entry in read_requirements(path).entries:
        assert entry.skipped is not None and len(entry.skipped) < 300
        quoted = entry.skipped.rsplit(": ", 1)[1]
        assert len(quoted) <= 82  # 80 characters and their quotes


@pytest.mark.parametrize(
    "line",
    [
        " " * 10_000_000,
        "a" + " " * 10_000_000 + "b",
        "a " * 5_000_000,
        "#" * 10_000_000,
        "a; " + "(" * 10_000_000,
        "a --hash='" + "x" * 10_000_000,
        "a \\\n" * 2_500_000,
        ("a" + " " * 1000 + "#") * 10_000,
    ],
    ids=["spaces", "spaced-words", "tokens", "hashes", "parens", "open-quote", "continuations", "comments"],
)
def test_ten_megabyte_lines_are_linear(line: str) -> None:
    """One line of 60,000 spaces once took 47 s and 10 MB never ended (a quadratic comment regex)."""
    start = time.monotonic()
    lines = list(logical_lines(line))
    assert time.monotonic() - start < 15
    assert all(len(text) <= MAX_LINE_CHARS for _, text, _ in lines)
    assert all(too_long for _, text, too_long in lines if text and line.strip(" #"))


def test_huge_files_and_long_lines_through_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(" " * (10 * 1024 * 1024))
    with pytest.raises(ProjectFileError, match="too large"):
        read_requirements(path)
    lines = ["a; " + "(" * 60_000, " " * 60_000 + "x", "a " + "--hash=sha256:ab " * 1800, "ok==1"]
    path.write_text("\n".join(lines * 25))
    assert path.stat().st_size < MAX_REQUIREMENTS_BYTES
    start = time.monotonic()
    entries = read_requirements(path).entries
    assert time.monotonic() - start < 30
    assert [e.label for e in entries[:4]][3] == "ok==1"
    assert all("line longer than" in (e.skipped or "") for e in entries[:2])
