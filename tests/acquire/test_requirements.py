"""read_requirements: what is scanned, what is skipped and why."""

from __future__ import annotations

from pathlib import Path

from vetpy.acquire.requirements import MAX_DEPTH, read_requirements

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
pkg-1.0.tar.gz
--index-url http://127.0.0.1:1/simple
-i http://127.0.0.1:1/simple
--pre
-c constraints.txt
not a valid ! requirement
"""


def test_lines_are_classified(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_text(CONTENT)
    lines = read_requirements(path)
    scanned = {line.label: str(line.requirement) for line in lines if line.requirement is not None}
    assert scanned == {
        "requests==2.31.0": "requests==2.31.0",
        'Flask>=2.0 ; python_version >= "3.8"': 'Flask>=2.0; python_version >= "3.8"',
        "numpy ==1.26.4": "numpy==1.26.4",
        "six===1.16.0": "six===1.16.0",
        "urllib3[socks]": "urllib3[socks]",
    }
    skipped = {line.label: line.skipped for line in lines if line.requirement is None}
    assert skipped == {
        "-e git+https://127.0.0.1/repo.git#egg=thing": "skipped: editable requirement (-e) is not scanned",
        "--editable ./local": "skipped: editable requirement (-e) is not scanned",
        "https://127.0.0.1/pkg-1.0.tar.gz": "skipped: direct URL is not scanned",
        "thing @ https://127.0.0.1/thing-1.0.tar.gz": "skipped: direct URL (name @ url) is not scanned",
        "./vendor/pkg-1.0.tar.gz": "skipped: local path is not scanned",
        "pkg-1.0.tar.gz": "skipped: local path is not scanned",
        "--index-url http://127.0.0.1:1/simple": (
            "skipped: option --index-url ignored (packages are looked up on the configured index)"
        ),
        "-i http://127.0.0.1:1/simple": (
            "skipped: option -i ignored (packages are looked up on the configured index)"
        ),
        "--pre": "skipped: option --pre ignored (packages are looked up on the configured index)",
        "-c constraints.txt": "skipped: constraints files are not scanned",
        "not a valid ! requirement": skipped["not a valid ! requirement"],
    }
    assert (skipped["not a valid ! requirement"] or "").startswith("error: not a valid requirement (")
    origins = {line.label: line.origin for line in lines}
    assert origins["requests==2.31.0"] == f"{path}:3"
    assert origins["numpy ==1.26.4"] == f"{path}:5"  # a continued line keeps its first line number
    assert origins["six===1.16.0"] == f"{path}:8"


def test_nested_requirements_are_followed(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "base.txt").write_text("-r sub/more.txt\nalpha==1\n")
    (tmp_path / "sub" / "more.txt").write_text("--requirement=../last.txt\nbeta==2\n")
    (tmp_path / "last.txt").write_text("gamma==3\n-r base.txt\n")  # a loop back to the start
    lines = read_requirements(tmp_path / "base.txt")
    assert [line.label for line in lines] == ["gamma==3", "-r base.txt", "beta==2", "alpha==1"]
    assert lines[1].skipped == "skipped: base.txt is already being read (a loop)"


def test_nesting_depth_is_bounded(tmp_path: Path) -> None:
    for i in range(MAX_DEPTH + 3):
        (tmp_path / f"r{i}.txt").write_text(f"-r r{i + 1}.txt\npkg{i}==1\n")
    lines = read_requirements(tmp_path / "r0.txt")
    assert [line.skipped for line in lines if line.skipped] == [
        f"skipped: r{MAX_DEPTH + 1}.txt is nested too deep"
    ]
    assert len([line for line in lines if line.requirement]) == MAX_DEPTH + 1


def test_missing_file_and_nested_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("-r nope.txt\nok==1\n")
    lines = read_requirements(tmp_path / "a.txt")
    assert (lines[0].skipped or "").startswith("error: cannot read requirements file ")
    assert lines[1].label == "ok==1"
    assert read_requirements(tmp_path / "absent.txt")[0].skipped is not None


def test_bom_crlf_and_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "r.txt"
    path.write_bytes(b"\xef\xbb\xbfalpha==1\r\nbeta==2 # \xff\xfe comment\r\n\r\n")
    assert [line.label for line in read_requirements(path)] == ["alpha==1", "beta==2"]
