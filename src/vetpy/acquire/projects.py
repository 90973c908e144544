"""Recognise a project file by name and content and read it with the right reader.

Content wins over the name: a strong signature (a Pipfile.lock's ``_meta``, a lockfile's ``[[package]]``
tables, a pyproject's ``[project]``) picks the reader; otherwise the name does (``requirements*.txt``,
``pylock.toml`` / ``pylock.*.toml``, ``uv.lock``, ``poetry.lock``, ``Pipfile.lock``, ``pyproject.toml``);
a file with neither is read as requirements only if every line is a requirement or an option. Anything
else is one ``ProjectFileError``, never a wall of per-line errors.
"""

from __future__ import annotations

from pathlib import Path

from vetpy.acquire.lockfiles import READERS
from vetpy.acquire.projectfile import (
    MAX_ENTRIES,
    ProjectFile,
    ProjectFileError,
    cut,
    decode_text,
    read_bounded,
)
from vetpy.acquire.pyproject import read_pyproject
from vetpy.acquire.requirements import read_requirements

KINDS = ("requirements", "pylock", "uv.lock", "poetry.lock", "Pipfile.lock", "pyproject")
SUPPORTED = (
    "requirements*.txt, pylock.toml, pylock.*.toml, uv.lock, poetry.lock, Pipfile.lock, pyproject.toml"
)
_HEAD_CHARS = 64 * 1024


def kind_by_name(name: str) -> str | None:
    """The project-file kind a file name says, else None."""
    lower = name.lower()
    if lower == "pylock.toml" or (lower.startswith("pylock.") and lower.endswith(".toml")):
        return "pylock"
    for exact, kind in (
        ("uv.lock", "uv.lock"),
        ("poetry.lock", "poetry.lock"),
        ("pipfile.lock", "Pipfile.lock"),
    ):
        if lower == exact:
            return kind
    if lower == "pyproject.toml":
        return "pyproject"
    if (lower.startswith("requirements") and lower.endswith((".txt", ".in"))) or lower.endswith(".req"):
        return "requirements"
    return None


def kind_by_content(text: str) -> str | None:
    """The kind a strong content signature says (looked for in the first 64 KiB), else None."""
    head = text[:_HEAD_CHARS]
    stripped = head.lstrip()
    if stripped.startswith("{") and '"_meta"' in head:
        return "Pipfile.lock"
    lines = {line.strip() for line in head.splitlines()}
    keys = {line.split("=", 1)[0].strip() for line in lines if "=" in line}
    if "lock-version" in keys and ("[[packages]]" in lines or "created-by" in keys):
        return "pylock"
    if "[[package]]" in lines:
        if "[metadata]" in lines or "[metadata.files]" in lines or "[package.source]" in lines:
            return "poetry.lock"
        if "version" in keys and ("requires-python" in keys or "source" in keys):
            return "uv.lock"
    if lines & {"[project]", "[build-system]", "[tool.poetry]", "[tool.poetry.dependencies]"}:
        return "pyproject"
    return None


def _plain_requirements(path: Path) -> ProjectFile | None:
    """``path`` read as requirements, if every line is a requirement or an option."""
    try:
        project = read_requirements(path)
    except ProjectFileError:
        return None
    if project.entries and not any((e.skipped or "").startswith("error:") for e in project.entries):
        return project
    return None


def _requirements_or_error(path: Path) -> ProjectFile:
    """A requirements file, or one clear error when not one line of it is a requirement or an option."""
    project = read_requirements(path)
    invalid = [e for e in project.entries if (e.skipped or "").startswith("error: not a valid requirement")]
    if invalid and len(invalid) == len(project.entries):
        first = invalid[0]
        raise ProjectFileError(
            f"{cut(str(path))}: not a requirements file: none of its {len(invalid)} line(s) is a requirement "
            f"(line {first.origin.line}: {first.label!r})"
        )
    return project


def looks_like_project(path: Path) -> bool:
    """Whether a file given as a TARGET is meant as a project file (else it is read as an archive).

    By name, by a strong content signature in its first 64 KiB, or, for ``*.txt`` / ``*.in`` files, by
    every line being a requirement or an option.
    """
    if kind_by_name(path.name):
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(_HEAD_CHARS)
    except OSError:
        return False
    if b"\x00" in head:
        return False
    if kind_by_content(head.decode("utf-8", "replace")):
        return True
    return path.suffix.lower() in (".txt", ".in") and _plain_requirements(path) is not None


def read_project(path: Path, *, assume: str | None = None) -> ProjectFile:
    """Read the project file at ``path``; ``assume`` ("requirements" for ``-r``) is used when neither
    content nor name says otherwise. Raises ``ProjectFileError`` (one line) when it cannot."""
    path = Path(path)
    text = decode_text(read_bounded(path), path)
    kind = kind_by_content(text) or kind_by_name(path.name) or assume
    if kind == "requirements":
        project: ProjectFile | None = _requirements_or_error(path)
    elif kind == "pyproject":
        project = read_pyproject(text, path)
    elif kind in READERS:
        project = READERS[kind](text, path)
    else:
        project = _plain_requirements(path)
    if project is not None:
        if len(project.entries) > MAX_ENTRIES:
            raise ProjectFileError(f"{cut(str(path))}: more than {MAX_ENTRIES} packages")
        return project
    raise ProjectFileError(f"{cut(str(path))}: not an archive or a project file vetpy reads ({SUPPORTED})")
