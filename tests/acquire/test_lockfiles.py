"""Lockfiles and pyproject.toml: recognised by name and content, pinned entries with hashes and lines."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from vetpy.acquire.projectfile import MAX_FILE_BYTES, Origin, ProjectFile, ProjectFileError
from vetpy.acquire.projects import kind_by_content, kind_by_name, read_project
from vetpy.acquire.pyproject import poetry_specifier

SHA_A = "a" * 64
SHA_B = "b" * 64

UV_LOCK = f"""\
version = 1
requires-python = ">=3.11"

[[package]]
name = "myproject"
version = "0.1.0"
source = {{ editable = "." }}
dependencies = [{{ name = "requests" }}]

[[package]]
name = "requests"
version = "2.31.0"
source = {{ registry = "https://127.0.0.1/simple" }}
sdist = {{ url = "https://127.0.0.1/requests-2.31.0.tar.gz", hash = "sha256:{SHA_A}", size = 1 }}
wheels = [
    {{ url = "https://127.0.0.1/requests-2.31.0-py3-none-any.whl", hash = "sha256:{SHA_B}", size = 1 }},
]

[[package]]
name = "fromgit"
version = "1.0"
source = {{ git = "https://127.0.0.1/repo.git#abc" }}
"""

POETRY_LOCK = f"""\
[[package]]
name = "six"
version = "1.16.0"
description = "Python 2 and 3 compatibility utilities"
optional = false
python-versions = ">=2.7"
files = [
    {{file = "six-1.16.0.tar.gz", hash = "sha256:{SHA_A}"}},
]

[[package]]
name = "local-thing"
version = "0.1"
description = ""
optional = false
python-versions = "*"
files = []

[package.source]
type = "directory"
url = "../local-thing"

[metadata]
lock-version = "2.0"
python-versions = "^3.11"
content-hash = "00"
"""

POETRY_LOCK_LEGACY = f"""\
[[package]]
name = "attrs"
version = "23.1.0"
description = ""
category = "main"
optional = false
python-versions = ">=3.7"

[metadata]
lock-version = "1.1"
python-versions = "^3.11"
content-hash = "00"

[metadata.files]
attrs = [
    {{file = "attrs-23.1.0.tar.gz", hash = "sha256:{SHA_B}"}},
]
"""

PYLOCK = f"""\
lock-version = "1.0"
created-by = "a test"

[[packages]]
name = "idna"
version = "3.6"
sdist = {{ name = "idna-3.6.tar.gz", url = "https://127.0.0.1/i.tar.gz", hashes = {{ sha256 = "{SHA_A}" }} }}
wheels = [
    {{ name = "idna-3.6-py3-none-any.whl", url = "http://127.0.0.1/w", hashes = {{ sha256 = "{SHA_B}" }} }},
]

[[packages]]
name = "vendored"
directory = {{ path = "./vendored" }}
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "00"}, "pipfile-spec": 6, "requires": {}, "sources": []},
    "default": {
        "certifi": {"hashes": [f"sha256:{SHA_A}"], "index": "pypi", "version": "==2024.2.2"},
        "editable-one": {"editable": True, "path": "."},
    },
    "develop": {"pytest": {"hashes": [f"sha256:{SHA_B}"], "version": "==8.0.0"}},
}

PYPROJECT = """\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "demo"
dependencies = [
    "requests>=2.31",
    "attrs==23.1.0",
    "thing @ https://127.0.0.1/thing.tar.gz",
]

[project.optional-dependencies]
fast = ["orjson==3.9.10"]

[dependency-groups]
test = ["pytest==8.0.0", {include-group = "other"}]

[tool.poetry.dependencies]
python = "^3.11"
numpy = "^1.26"
rich = { version = "~13.7", extras = ["jupyter"] }
mine = { path = "../mine" }
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _pins(project: ProjectFile) -> dict[str, tuple[str, ...]]:
    return {str(e.requirement): e.hashes for e in project.entries if e.requirement is not None}


def test_uv_lock(tmp_path: Path) -> None:
    project = read_project(_write(tmp_path, "uv.lock", UV_LOCK))
    assert project.kind == "uv.lock"
    assert _pins(project) == {"requests==2.31.0": (f"sha256:{SHA_A}", f"sha256:{SHA_B}")}
    by_label = {e.label: e for e in project.entries}
    assert by_label["requests==2.31.0"].origin == Origin(str(tmp_path / "uv.lock"), 11)
    assert by_label["myproject"].skipped == "skipped: editable source is not scanned"
    assert by_label["fromgit"].skipped == "skipped: git source is not scanned"


def test_poetry_locks_new_and_legacy(tmp_path: Path) -> None:
    project = read_project(_write(tmp_path, "poetry.lock", POETRY_LOCK))
    assert project.kind == "poetry.lock"
    assert _pins(project) == {"six==1.16.0": (f"sha256:{SHA_A}",)}
    assert {e.label: e.skipped for e in project.entries}["local-thing"] == (
        "skipped: directory source is not scanned"
    )
    (tmp_path / "sub").mkdir()
    legacy = read_project(_write(tmp_path / "sub", "poetry.lock", POETRY_LOCK_LEGACY))
    assert _pins(legacy) == {"attrs==23.1.0": (f"sha256:{SHA_B}",)}
    assert legacy.entries[0].origin == Origin(str(tmp_path / "sub" / "poetry.lock"), 2)


def test_pylock_through_packaging(tmp_path: Path) -> None:
    project = read_project(_write(tmp_path, "pylock.dev.toml", PYLOCK))
    assert project.kind == "pylock"
    assert _pins(project) == {"idna==3.6": (f"sha256:{SHA_A}", f"sha256:{SHA_B}")}
    assert project.entries[0].origin.line == 5
    assert (project.entries[1].skipped or "").startswith("skipped: directory package is not scanned")
    broken = _write(tmp_path, "pylock.toml", 'lock-version = "1.0"\n[[packages]]\nversion = "1"\n')
    with pytest.raises(ProjectFileError, match="not a valid pylock file"):
        read_project(broken)


def test_pipfile_lock(tmp_path: Path) -> None:
    project = read_project(_write(tmp_path, "Pipfile.lock", json.dumps(PIPFILE_LOCK, indent=4)))
    assert project.kind == "Pipfile.lock"
    assert _pins(project) == {
        "certifi==2024.2.2": (f"sha256:{SHA_A}",),
        "pytest==8.0.0": (f"sha256:{SHA_B}",),
    }
    lines = {e.label: e.origin.line for e in project.entries}
    assert lines["certifi==2024.2.2"] == 11
    assert {e.label: e.skipped for e in project.entries}["editable-one"] == "skipped: not an index package"


def test_pyproject_dependencies(tmp_path: Path) -> None:
    project = read_project(_write(tmp_path, "pyproject.toml", PYPROJECT))
    assert project.kind == "pyproject"
    scanned = [str(e.requirement) for e in project.entries if e.requirement is not None]
    assert scanned == [
        "setuptools>=68",
        "wheel",
        "requests>=2.31",
        "attrs==23.1.0",
        "orjson==3.9.10",
        "pytest==8.0.0",
        "numpy<2.0,>=1.26",
        "rich<13.8,>=13.7",
    ]
    lines = {e.label: e.origin.line for e in project.entries}
    assert lines["requests>=2.31"] == 8 and lines["numpy>=1.26,<2.0"] == 21
    skipped = {e.label: e.skipped for e in project.entries if e.skipped}
    assert skipped == {
        "thing @ https://127.0.0.1/thing.tar.gz": "skipped: direct URL (name @ url) is not scanned",
        "mine": "skipped: Git, URL or path dependency is not scanned",
    }


@pytest.mark.parametrize(
    ("constraint", "specifier"),
    [
        ("^1.2.3", ">=1.2.3,<2.0.0"),
        ("^0.2", ">=0.2,<0.3"),
        ("~1.2", ">=1.2,<1.3"),
        ("*", ""),
        ("1.0", "==1.0"),
        (">= 1.0, < 2", ">=1.0,<2"),
        ("^1 || ^2", None),
    ],
)
def test_poetry_constraints(constraint: str, specifier: str | None) -> None:
    assert poetry_specifier(constraint) == specifier


def test_recognised_by_content_whatever_the_name(tmp_path: Path) -> None:
    assert kind_by_name("requirements-dev.txt") == "requirements"
    assert kind_by_name("pylock.prod.toml") == "pylock"
    assert kind_by_name("notes.toml") is None
    assert kind_by_content(UV_LOCK) == "uv.lock"
    assert kind_by_content(POETRY_LOCK) == "poetry.lock"
    assert kind_by_content(PYLOCK) == "pylock"
    assert kind_by_content(PYPROJECT) == "pyproject"
    assert kind_by_content(json.dumps(PIPFILE_LOCK)) == "Pipfile.lock"
    assert read_project(_write(tmp_path, "deps.lock", UV_LOCK)).kind == "uv.lock"
    assert read_project(_write(tmp_path, "deps.txt", "requests==2.31.0\n")).kind == "requirements"


def test_an_unsupported_file_is_one_clear_error(tmp_path: Path) -> None:
    prose = _write(tmp_path, "notes.md", "# Notes\n\nSome prose that is not a requirement at all.\n" * 50)
    with pytest.raises(ProjectFileError, match=r"not an archive or a project file vetpy reads \(") as info:
        read_project(prose)
    assert "\n" not in str(info.value)
    with pytest.raises(ProjectFileError, match="not valid TOML"):
        read_project(_write(tmp_path, "uv.lock", "[[package]\nname = 1\n" * 1000))
    with pytest.raises(ProjectFileError, match="not valid JSON"):
        read_project(_write(tmp_path, "Pipfile.lock", "{" * 100_000))


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pylock.toml", "pyproject.toml", "Pipfile.lock"])
@pytest.mark.parametrize(
    "body",
    [
        "a = [" + "1," * 5_000_000 + "]\n",
        "a" + ".a" * 5_000_000 + " = 1\n",
        'a = "' + "x" * 10_000_000 + '"\n',
        "[" * 10_000_000,
        '{"_meta": {}, "default": {"x": "' + "y" * 10_000_000 + '"}}',
    ],
    ids=["array", "dotted-key", "string", "brackets", "json"],
)
def test_ten_megabyte_lines_in_lockfiles(tmp_path: Path, name: str, body: str) -> None:
    """The standard tomllib takes minutes on a long dotted key: lockfiles are read by rtoml, bounded."""
    path = _write(tmp_path, name, body)
    assert path.stat().st_size < MAX_FILE_BYTES
    start = time.monotonic()
    try:
        project = read_project(path)
    except ProjectFileError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 400
    else:
        assert all(e.requirement is None for e in project.entries)
    assert time.monotonic() - start < 15


def test_deep_nesting_in_toml_is_refused(tmp_path: Path) -> None:
    lines = "\n".join("a" + ".a" * 500 + f".b{i} = 1" for i in range(2000))
    with pytest.raises(ProjectFileError, match="not valid TOML"):
        read_project(_write(tmp_path, "uv.lock", "[[package]]\n" + lines))
