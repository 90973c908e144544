"""Read a pip requirements file into requirement lines, each either scannable or skipped with a reason.

Handled as pip does: comments (``#`` at the start or after whitespace), blank lines, ``\\`` line
continuations, per-requirement options after the requirement (``--hash=...`` and the like: ignored),
environment markers (kept; a marker never stops a scan). Not scanned, and reported with a reason:
editable installs (``-e``), direct URLs and ``name @ url``, local paths, constraints files (``-c``) and
global options such as ``--index-url`` (packages are always looked up on the configured index).
Nested ``-r other.txt`` files are followed relative to the including file, up to ``MAX_DEPTH`` levels,
each file once.

Reasons begin with "skipped:" for lines vetpy chose not to scan and "error:" for lines it could not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

MAX_DEPTH = 5

_COMMENT = re.compile(r"(^|\s+)#.*$")
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl", ".egg", ".tar")
_NESTED = {"-r", "--requirement"}
_CONSTRAINT = {"-c", "--constraint"}
_EDITABLE = {"-e", "--editable"}


@dataclass(frozen=True)
class RequirementLine:
    """One logical line: a requirement to scan, or a reason it is not scanned."""

    label: str  # the line as written, without comments and per-requirement options
    origin: str  # "file:line"
    requirement: Requirement | None = None
    skipped: str | None = None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first physical line number, text) with continuations joined and comments removed."""
    lines: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not buffer:
            start = number
        line = raw if buffer else raw.lstrip()
        if line.endswith("\\") and not _COMMENT.search(line):
            buffer.append(line[:-1])
            continue
        buffer.append(line)
        joined = _COMMENT.sub("", "".join(buffer)).strip()
        buffer = []
        if joined:
            lines.append((start, joined))
    if buffer:
        joined = _COMMENT.sub("", "".join(buffer)).strip()
        if joined:
            lines.append((start, joined))
    return lines


def _split_option(line: str) -> tuple[str, str]:
    """``-r x`` / ``-rx`` / ``--requirement=x`` / ``--requirement x`` -> (option, value)."""
    if line.startswith("--"):
        match = re.match(r"(--[^\s=]+)[=\s]*(.*)", line)
        if match:
            return match.group(1), match.group(2).strip()
    return line[:2], line[2:].lstrip("= \t").strip()


def _requirement_part(line: str) -> str:
    """The requirement before any per-requirement option (a token starting with "-")."""
    tokens = line.split()
    for index, token in enumerate(tokens):
        if index and token.startswith("-"):
            return " ".join(tokens[:index])
    return line


def _looks_like_path(text: str) -> bool:
    lower = text.lower()
    return (
        text.startswith((".", "/", "~"))
        or "\\" in text
        or (len(text) > 1 and text[1] == ":")
        or ("/" in text and "@" not in text)
        or lower.endswith(_ARCHIVE_SUFFIXES)
    )


def read_requirements(
    path: Path, *, depth: int = 0, seen: frozenset[Path] = frozenset()
) -> list[RequirementLine]:
    """The lines of requirements file ``path`` (and of the files it includes with ``-r``)."""
    origin_file = str(path)
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as exc:
        reason = f"error: cannot read requirements file {path} ({exc.strerror or exc})"
        return [RequirementLine(label=str(path), origin=origin_file, skipped=reason)]
    seen = seen | {path.resolve()}
    result: list[RequirementLine] = []
    for number, line in _logical_lines(text):
        origin = f"{origin_file}:{number}"
        if line.startswith("-"):
            result.extend(_option_line(path, line, origin, depth, seen))
            continue
        result.append(_requirement_line(line, origin))
    return result


def _option_line(
    path: Path, line: str, origin: str, depth: int, seen: frozenset[Path]
) -> list[RequirementLine]:
    option, value = _split_option(line)
    if option in _NESTED and value:
        nested = (path.parent / value).resolve() if not Path(value).is_absolute() else Path(value)
        if nested in seen:
            return [RequirementLine(line, origin, skipped=f"skipped: {value} is already being read (a loop)")]
        if depth + 1 > MAX_DEPTH:
            return [RequirementLine(line, origin, skipped=f"skipped: {value} is nested too deep")]
        return read_requirements(nested, depth=depth + 1, seen=seen)
    if option in _EDITABLE:
        return [RequirementLine(line, origin, skipped="skipped: editable requirement (-e) is not scanned")]
    if option in _CONSTRAINT:
        return [RequirementLine(line, origin, skipped="skipped: constraints files are not scanned")]
    reason = f"skipped: option {option} ignored (packages are looked up on the configured index)"
    return [RequirementLine(line, origin, skipped=reason)]


def _requirement_line(line: str, origin: str) -> RequirementLine:
    text = _requirement_part(line)
    if _URL.match(text):
        return RequirementLine(text, origin, skipped="skipped: direct URL is not scanned")
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        if _looks_like_path(text):
            return RequirementLine(text, origin, skipped="skipped: local path is not scanned")
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        return RequirementLine(text, origin, skipped=f"error: not a valid requirement ({first})")
    if requirement.url:
        return RequirementLine(text, origin, skipped="skipped: direct URL (name @ url) is not scanned")
    if _looks_like_path(requirement.name) or text.startswith((".", "/", "~")):
        return RequirementLine(text, origin, skipped="skipped: local path is not scanned")
    return RequirementLine(text, origin, requirement=requirement)
