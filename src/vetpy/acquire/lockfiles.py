"""Read lockfiles into project entries: ``pylock.toml`` (PEP 751), ``uv.lock``, ``poetry.lock`` and
``Pipfile.lock``.

TOML is parsed by rtoml (a Rust parser: linear time on hostile input, bounded nesting; the standard
``tomllib`` is quadratic on long dotted keys), PEP 751 files are then validated by ``packaging.pylock``,
and ``Pipfile.lock`` by the standard ``json`` module. Every locked package from an index becomes a pinned
``name==version`` entry with the lockfile's hashes (the download must match one of them); packages from
Git, a URL or a local path are skipped with a reason. Each entry points at the lockfile line of its
package (for SARIF). Input is bounded by ``projectfile.read_bounded`` and ``MAX_LINE_CHARS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from vetpy.acquire.projectfile import (
    MAX_LINE_CHARS,
    Origin,
    ProjectEntry,
    ProjectFile,
    ProjectFileError,
    cut,
    parse_requirement,
    quote,
)


def check_lines(text: str, path: Path) -> None:
    """Refuse text with a line longer than ``MAX_LINE_CHARS`` (real lockfiles have short lines)."""
    start = 0
    number = 1
    while True:
        end = text.find("\n", start)
        stop = len(text) if end == -1 else end
        if stop - start > MAX_LINE_CHARS:
            raise ProjectFileError(
                f"{cut(str(path))}: line {number} is longer than {MAX_LINE_CHARS} characters"
            )
        if end == -1:
            return
        start, number = end + 1, number + 1


def load_toml(text: str, path: Path) -> dict[str, Any]:
    """Parse TOML with rtoml; one clear error for anything it refuses."""
    import rtoml

    check_lines(text, path)
    try:
        document = rtoml.loads(text)
    except (ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ProjectFileError(f"{cut(str(path))}: not valid TOML ({cut(first)})") from exc
    if not isinstance(document, dict):
        raise ProjectFileError(f"{cut(str(path))}: not a TOML table")
    return document


def package_lines(text: str, headers: tuple[str, ...] = ("[[package]]", "[[packages]]")) -> dict[str, int]:
    """Line of each package's ``name = "..."`` after a ``[[package]]`` header (first one wins). Linear."""
    lines: dict[str, int] = {}
    header_line = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line in headers:
            header_line = number
        elif header_line and line.startswith("name") and "=" in line:
            value = line.split("=", 1)[1].strip().strip("\"'")
            lines.setdefault(_norm(value), number)
            header_line = 0
    return lines


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pinned(name: str, version: str, origin: Origin, hashes: Iterable[str]) -> ProjectEntry:
    label = f"{name}=={version}"
    requirement = parse_requirement(label)
    if isinstance(requirement, str):
        return ProjectEntry(
            cut(label), origin, skipped=f"error: not a valid name and version: {quote(label)}"
        )
    return ProjectEntry(label, origin, requirement=requirement, hashes=tuple(dict.fromkeys(hashes)))


def _hash_of(value: object) -> list[str]:
    return [value] if isinstance(value, str) and ":" in value else []


def _table_list(document: Mapping[str, Any], key: str, path: Path) -> list[Mapping[str, Any]]:
    packages = document.get(key, [])
    if not isinstance(packages, list) or not all(isinstance(p, dict) for p in packages):
        raise ProjectFileError(f"{cut(str(path))}: '{key}' is not a list of tables")
    return packages


def read_uv_lock(text: str, path: Path) -> ProjectFile:
    document = load_toml(text, path)
    lines = package_lines(text)
    entries: list[ProjectEntry] = []
    for package in _table_list(document, "package", path):
        name, version = str(package.get("name", "")), package.get("version")
        origin = Origin(str(path), lines.get(_norm(name)))
        source = package.get("source", {})
        if not isinstance(source, dict) or "registry" not in source or not version:
            kind = next(iter(source), "unknown") if isinstance(source, dict) else "unknown"
            entries.append(ProjectEntry(cut(name), origin, skipped=f"skipped: {kind} source is not scanned"))
            continue
        hashes: list[str] = []
        sdist = package.get("sdist")
        if isinstance(sdist, dict):
            hashes += _hash_of(sdist.get("hash"))
        for wheel in package.get("wheels", []) or []:
            if isinstance(wheel, dict):
                hashes += _hash_of(wheel.get("hash"))
        entries.append(_pinned(name, str(version), origin, hashes))
    return ProjectFile(str(path), "uv.lock", tuple(entries))


def read_poetry_lock(text: str, path: Path) -> ProjectFile:
    document = load_toml(text, path)
    lines = package_lines(text)
    metadata = document.get("metadata", {})
    legacy_files = metadata.get("files", {}) if isinstance(metadata, dict) else {}
    entries: list[ProjectEntry] = []
    for package in _table_list(document, "package", path):
        name, version = str(package.get("name", "")), package.get("version")
        origin = Origin(str(path), lines.get(_norm(name)))
        source = package.get("source", {})
        kind = source.get("type") if isinstance(source, dict) else None
        if kind not in (None, "legacy") or not version:
            entries.append(ProjectEntry(cut(name), origin, skipped=f"skipped: {kind} source is not scanned"))
            continue
        files = package.get("files") or (legacy_files.get(name) if isinstance(legacy_files, dict) else None)
        hashes = [h for f in files or [] if isinstance(f, dict) for h in _hash_of(f.get("hash"))]
        entries.append(_pinned(name, str(version), origin, hashes))
    return ProjectFile(str(path), "poetry.lock", tuple(entries))


def read_pylock(text: str, path: Path) -> ProjectFile:
    """A PEP 751 lockfile, validated by ``packaging.pylock``."""
    from packaging.pylock import Pylock, PylockUnsupportedVersionError, PylockValidationError

    document = load_toml(text, path)
    try:
        lock = Pylock.from_dict(document)
    except (PylockValidationError, PylockUnsupportedVersionError) as exc:
        raise ProjectFileError(f"{cut(str(path))}: not a valid pylock file ({cut(str(exc))})") from exc
    lines = package_lines(text)
    entries: list[ProjectEntry] = []
    for package in lock.packages:
        origin = Origin(str(path), lines.get(_norm(package.name)))
        direct = package.vcs or package.directory or package.archive
        if direct is not None or package.version is None:
            kind = "vcs" if package.vcs else "directory" if package.directory else "archive"
            reason = f"skipped: {kind} package is not scanned (only index packages are)"
            entries.append(ProjectEntry(package.name, origin, skipped=reason))
            continue
        hashes = [
            f"{alg}:{digest}" for alg, digest in (package.sdist.hashes.items() if package.sdist else [])
        ]
        for wheel in package.wheels or []:
            hashes += [f"{alg}:{digest}" for alg, digest in wheel.hashes.items()]
        entries.append(_pinned(package.name, str(package.version), origin, hashes))
    return ProjectFile(str(path), "pylock", tuple(entries))


def _json_key_lines(text: str) -> dict[str, int]:
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith('"') and '":' in line:
            lines.setdefault(_norm(line[1 : line.index('":')]), number)
    return lines


def read_pipfile_lock(text: str, path: Path) -> ProjectFile:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProjectFileError(f"{cut(str(path))}: not valid JSON ({cut(str(exc))})") from exc
    if not isinstance(document, dict) or "_meta" not in document:
        raise ProjectFileError(f"{cut(str(path))}: not a Pipfile.lock (no _meta section)")
    lines = _json_key_lines(text)
    entries: list[ProjectEntry] = []
    for section in ("default", "develop"):
        packages = document.get(section, {})
        if not isinstance(packages, dict):
            raise ProjectFileError(f"{cut(str(path))}: '{section}' is not an object")
        for name, info in packages.items():
            origin = Origin(str(path), lines.get(_norm(str(name))))
            version = info.get("version", "") if isinstance(info, dict) else ""
            direct = isinstance(info, dict) and any(k in info for k in ("git", "path", "file", "editable"))
            if direct or not isinstance(version, str) or not version.startswith("=="):
                entries.append(ProjectEntry(cut(str(name)), origin, skipped="skipped: not an index package"))
                continue
            hashes = info.get("hashes", [])
            hashes = [h for h in hashes if isinstance(h, str)] if isinstance(hashes, list) else []
            entries.append(_pinned(str(name), version[2:], origin, hashes))
    return ProjectFile(str(path), "Pipfile.lock", tuple(entries))


READERS: dict[str, Callable[[str, Path], ProjectFile]] = {
    "pylock": read_pylock,
    "uv.lock": read_uv_lock,
    "poetry.lock": read_poetry_lock,
    "Pipfile.lock": read_pipfile_lock,
}
