"""Read the dependencies declared in ``pyproject.toml``: PEP 621, PEP 735 groups, build requirements, Poetry.

What is read: ``[build-system] requires`` (these run at build time), ``[project] dependencies`` and
``optional-dependencies``, ``[dependency-groups]``, and Poetry's ``[tool.poetry.dependencies]``,
``dev-dependencies`` and ``group.*.dependencies``. Poetry's ``^`` and ``~`` constraints are turned into
PEP 440 ranges (``^1.2`` is ``>=1.2,<2.0``). Unpinned dependencies are scanned at their newest matching
release, with a warning. Each entry points at the line that declares it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vetpy.acquire.lockfiles import load_toml
from vetpy.acquire.projectfile import Origin, ProjectEntry, ProjectFile, cut, parse_requirement, quote


def string_lines(text: str) -> dict[str, int]:
    """First line of each quoted string and of each bare ``key =`` in the text. Linear."""
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        for quote_char in ('"', "'"):
            for piece in raw.split(quote_char)[1::2]:
                lines.setdefault(piece.strip(), number)
        if "=" in raw:
            lines.setdefault(raw.split("=", 1)[0].strip().strip("\"'"), number)
    return lines


def _bump(parts: list[int], index: int) -> str:
    upper = [*parts[:index], parts[index] + 1] + [0] * (len(parts) - index - 1)
    return ".".join(str(p) for p in upper)


def _caret_or_tilde(op: str, version: str) -> str:
    try:
        parts = [int(p) for p in version.split(".")[:3]]
    except ValueError:
        return f">={version}"
    if op == "~":
        index = 0 if len(parts) == 1 else 1
    else:
        index = next((i for i, p in enumerate(parts) if p != 0), len(parts) - 1)
    return f">={version},<{_bump(parts, index)}"


def poetry_specifier(constraint: str) -> str | None:
    """Poetry's version constraint as a PEP 440 specifier ("" for any version); None if it has ``||``."""
    if "||" in constraint or "|" in constraint:
        return None
    tokens = constraint.replace(",", " ").split()
    merged: list[str] = []
    for token in tokens:
        if merged and merged[-1] in ("<", "<=", ">", ">=", "==", "!=", "~=", "^", "~", "="):
            merged[-1] += token
        else:
            merged.append(token)
    specs: list[str] = []
    for token in merged:
        if token in ("*", ""):
            continue
        if token.startswith("^") or (token.startswith("~") and not token.startswith("~=")):
            specs.append(_caret_or_tilde(token[0], token[1:]))
        elif token[0].isdigit():
            specs.append(f"=={token}")
        elif token.startswith("=") and not token.startswith("=="):
            specs.append(f"={token}")
        else:
            specs.append(token)
    return ",".join(specs)


def _pep508(text: object, origin: Origin) -> ProjectEntry:
    if not isinstance(text, str):
        return ProjectEntry(cut(str(text)), origin, skipped="skipped: not a requirement string")
    requirement = parse_requirement(text)
    if isinstance(requirement, str):
        reason = f"error: not a valid requirement ({requirement}): {quote(text)}"
        return ProjectEntry(cut(text), origin, skipped=reason)
    if requirement.url:
        return ProjectEntry(text, origin, skipped="skipped: direct URL (name @ url) is not scanned")
    return ProjectEntry(text, origin, requirement=requirement)


def _poetry_entry(name: str, value: object, origin: Origin) -> ProjectEntry:
    if isinstance(value, list):  # several constraints by marker: scan what the first allows
        value = value[0] if value else "*"
    if isinstance(value, dict):
        if any(key in value for key in ("git", "path", "url", "file")):
            return ProjectEntry(
                cut(name), origin, skipped="skipped: Git, URL or path dependency is not scanned"
            )
        value = value.get("version", "*")
    specifier = poetry_specifier(str(value))
    if specifier is None:
        return _pep508(name, origin)
    return _pep508(f"{name}{specifier}", origin)


def _strings(value: object) -> Iterable[object]:
    return value if isinstance(value, list) else []


def _tables(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def read_pyproject(text: str, path: Path) -> ProjectFile:
    document = load_toml(text, path)
    lines = string_lines(text)
    entries: list[ProjectEntry] = []

    def origin(key: str) -> Origin:
        return Origin(str(path), lines.get(key.strip()))

    declared: list[object] = list(_strings(_tables(document.get("build-system")).get("requires")))
    project = _tables(document.get("project"))
    declared += list(_strings(project.get("dependencies")))
    for extra in _tables(project.get("optional-dependencies")).values():
        declared += list(_strings(extra))
    for group in _tables(document.get("dependency-groups")).values():
        declared += [item for item in _strings(group) if isinstance(item, str)]  # skip {include-group}
    entries += [_pep508(item, origin(str(item))) for item in declared]
    poetry = _tables(_tables(document.get("tool")).get("poetry"))
    tables = [_tables(poetry.get("dependencies")), _tables(poetry.get("dev-dependencies"))]
    tables += [_tables(_tables(g).get("dependencies")) for g in _tables(poetry.get("group")).values()]
    for table in tables:
        for name, value in table.items():
            if name.lower() != "python":
                entries.append(_poetry_entry(name, value, origin(name)))
    return ProjectFile(str(path), "pyproject", tuple(entries))
