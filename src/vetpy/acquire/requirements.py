"""Read a pip requirements file (and the files it includes) into project entries, as pip reads it.

The options of each line are parsed by pip's own requirements-file option parser (``build_parser`` in
``pip._internal.req.req_file``), so every option pip accepts there (``--hash``, ``-r``, ``-c``, ``-e``,
``--index-url``, ``--config-settings``...) is understood as pip understands it; requirement strings are
parsed by ``packaging``. The file layer around it is vetpy's own, because pip's opens any path or URL it is
given and expands ``${VARIABLES}`` from the environment, both unsafe on an untrusted file:

- includes (``-r``, ``-c``) are local regular files only, size-limited (``projectfile.read_bounded``),
  followed up to ``MAX_DEPTH`` levels, each file once; a refused include is an ``error`` entry;
- ``${VARIABLES}`` are never expanded (a requirement line could copy a secret into the report), except
  in index URLs that the user chose to trust (``--trust-requirements-indexes``);
- continuation lines and comments are handled in linear time, a logical line is at most
  ``MAX_LINE_CHARS`` long, and a bad line is quoted in at most 80 characters.

Constraints files (``-c``) are not scanned themselves: their pins and hashes apply to the requirements
of the same name, as pip applies them.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import io
import optparse
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from vetpy.acquire.projectfile import (
    MAX_ENTRIES,
    MAX_LINE_CHARS,
    MAX_REQUIREMENTS_BYTES,
    MAX_TOTAL_BYTES,
    Origin,
    ProjectEntry,
    ProjectFile,
    ProjectFileError,
    cut,
    decode_text,
    parse_requirement,
    quote,
    read_bounded,
)

MAX_DEPTH = 5
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip", ".whl", ".egg", ".tar")
_INDEX_OPTIONS = ("--index-url", "--extra-index-url", "--no-index", "--find-links")


@dataclass
class _Tree:
    """State shared by every file of one requirements tree."""

    entries: list[ProjectEntry] = field(default_factory=list)
    constraints: list[ProjectEntry] = field(default_factory=list)
    index_url: str | None = None
    extra_index_urls: list[str] = field(default_factory=list)
    total_bytes: int = 0
    reading: set[Path] = field(default_factory=set)
    done: set[Path] = field(default_factory=set)


def _comment_start(line: str) -> int:
    """Index of a ``#`` that starts a comment (at the start or after whitespace), else -1. Linear."""
    position = line.find("#")
    while position != -1:
        if position == 0 or line[position - 1].isspace():
            return position
        position = line.find("#", position + 1)
    return -1


def logical_lines(text: str) -> Iterator[tuple[int, str, bool]]:
    """(first physical line, text, too long) with ``\\`` continuations joined and comments removed, as
    pip does. A logical line longer than ``MAX_LINE_CHARS`` comes cut to that length with ``too long``
    true, so the caller can report it without this function ever holding more.
    """
    parts: list[str] = []
    size = 0
    start = 0
    blank = True
    for number, raw in enumerate(_physical_lines(text), start=1):
        is_comment = raw.lstrip().startswith("#")
        if not parts:
            start, blank = number, True
        blank = blank and (is_comment or not raw.strip())
        if raw.endswith("\\") and not is_comment:
            piece = raw.strip("\\")
            if size <= MAX_LINE_CHARS:
                parts.append(piece[: MAX_LINE_CHARS + 1 - size])
            size += len(piece)
            continue
        if size <= MAX_LINE_CHARS:
            parts.append(raw[: MAX_LINE_CHARS + 1 - size])
        size += len(raw)
        yield from _emit(start, "".join(parts), size, blank)
        parts, size = [], 0
    if parts:
        yield from _emit(start, "".join(parts), size, blank)


def _physical_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (``str.splitlines`` would copy them all at once)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end == -1:
            end = len(text)
        yield text[start:end].rstrip("\r")
        start = end + 1


def _emit(start: int, joined: str, size: int, blank: bool) -> Iterator[tuple[int, str, bool]]:
    if size > MAX_LINE_CHARS:
        if not blank:
            yield start, joined[:MAX_LINE_CHARS].strip(), True
        return
    position = _comment_start(joined)
    line = (joined if position == -1 else joined[:position]).strip()
    if line:
        yield start, line, False


def _split_args_options(line: str) -> tuple[str, str]:
    """pip's ``break_args_options`` in linear time: the requirement before the first ``-`` token."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return line, ""


@functools.cache
def _pip_parser() -> Any:
    try:
        from pip._internal.req.req_file import build_parser
    except Exception as exc:  # pip missing or its internals moved
        raise ProjectFileError(f"reading requirements files needs pip's option parser ({exc})") from exc
    return build_parser()


def _pip_options(options: str) -> Any:
    """Parse a line's options with pip's own requirements-file option parser."""
    parser = _pip_parser()
    defaults = optparse.Values(copy.deepcopy(parser.defaults))  # "append" options share default lists
    defaults.index_url = None
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        plain = not any(char in options for char in "'\"\\")
        opts, _ = parser.parse_args(options.split() if plain else shlex.split(options), defaults)
    return opts


def read_requirements(path: Path) -> ProjectFile:
    """The entries of requirements file ``path`` and of the files it includes.

    Raises ``ProjectFileError`` when ``path`` itself cannot be read; problems further down are entries.
    """
    tree = _Tree()
    _read_file(Path(path), tree, depth=0, constraint=False)
    return ProjectFile(
        path=str(path),
        kind="requirements",
        entries=tuple(_apply_constraints(tree.entries, tree.constraints)),
        index_url=tree.index_url,
        extra_index_urls=tuple(dict.fromkeys(tree.extra_index_urls)),
    )


def _read_file(path: Path, tree: _Tree, *, depth: int, constraint: bool) -> None:
    data = read_bounded(path, max_bytes=MAX_REQUIREMENTS_BYTES)
    tree.total_bytes += len(data)
    if tree.total_bytes > MAX_TOTAL_BYTES:
        raise ProjectFileError(f"{path}: the requirements tree is larger than {MAX_TOTAL_BYTES} bytes")
    text = decode_text(data, path)
    resolved = path.resolve()
    tree.reading.add(resolved)
    try:
        for number, line, too_long in logical_lines(text):
            origin = Origin(str(path), number)
            if len(tree.entries) + len(tree.constraints) > MAX_ENTRIES:
                raise ProjectFileError(f"{cut(str(path))}: more than {MAX_ENTRIES} requirements")
            if too_long:
                reason = f"error: line longer than {MAX_LINE_CHARS} characters: {quote(line)}"
                tree.entries.append(ProjectEntry(cut(line), origin, skipped=reason))
                continue
            for entry in _read_line(path, line, origin, tree, depth=depth):
                if not constraint:
                    tree.entries.append(entry)
                elif entry.requirement is not None:
                    tree.constraints.append(entry)
                elif entry.skipped and entry.skipped.startswith("error:"):
                    tree.entries.append(entry)  # a broken constraints file is still reported
    finally:
        tree.reading.discard(resolved)
        tree.done.add(resolved)


def _read_line(path: Path, line: str, origin: Origin, tree: _Tree, *, depth: int) -> list[ProjectEntry]:
    args, options = _split_args_options(line)
    try:
        opts = _pip_options(options) if options else None
    except ProjectFileError:
        raise
    except Exception as exc:  # pip's OptionParsingError, shlex's ValueError
        detail = " ".join(str(exc).split()) or type(exc).__name__
        reason = f"error: invalid option ({detail[:120]}): {quote(line)}"
        return [ProjectEntry(cut(line), origin, skipped=reason)]
    if args:
        hashes = _hashes(opts)
        return [_requirement_entry(args, origin, hashes)]
    return _option_entries(path, line, origin, opts, tree, depth=depth)


def _hashes(opts: Any) -> tuple[str, ...]:
    found = getattr(opts, "hashes", None) or {}
    return tuple(f"{name}:{digest}" for name, digests in found.items() for digest in digests)


def _option_entries(
    path: Path, line: str, origin: Origin, opts: Any, tree: _Tree, *, depth: int
) -> list[ProjectEntry]:
    entries: list[ProjectEntry] = []
    for value in getattr(opts, "requirements", None) or []:
        entries.extend(_include(path, value, origin, tree, depth=depth, constraint=False))
    for value in getattr(opts, "constraints", None) or []:
        entries.extend(_include(path, value, origin, tree, depth=depth, constraint=True))
    for value in getattr(opts, "editables", None) or []:
        reason = "skipped: editable requirement (-e) is not scanned"
        entries.append(ProjectEntry(cut(f"-e {value}"), origin, skipped=reason))
    if getattr(opts, "index_url", None):
        tree.index_url = opts.index_url
    tree.extra_index_urls.extend(getattr(opts, "extra_index_urls", None) or [])
    if getattr(opts, "no_index", False) or getattr(opts, "find_links", None):
        reason = "skipped: --no-index / --find-links are not followed (packages come from an index)"
        entries.append(ProjectEntry(cut(line), origin, skipped=reason))
    return entries


def _include(
    path: Path, value: str, origin: Origin, tree: _Tree, *, depth: int, constraint: bool
) -> list[ProjectEntry]:
    option = "-c" if constraint else "-r"
    label = cut(f"{option} {value}")
    if "://" in value or value.startswith("file:"):
        return [
            ProjectEntry(label, origin, skipped=f"error: {option} {quote(value)}: only local files are read")
        ]
    nested = Path(value).expanduser()
    if not nested.is_absolute():
        nested = path.parent / nested
    try:
        resolved = nested.resolve()
    except (OSError, RuntimeError, ValueError):
        resolved = nested
    if resolved in tree.reading:
        return [
            ProjectEntry(label, origin, skipped=f"error: {option} {quote(value)} includes itself (a loop)")
        ]
    if resolved in tree.done:
        return []
    if depth + 1 > MAX_DEPTH:
        reason = f"error: {option} {quote(value)} is nested more than {MAX_DEPTH} levels deep"
        return [ProjectEntry(label, origin, skipped=reason)]
    try:
        _read_file(nested, tree, depth=depth + 1, constraint=constraint)
    except ProjectFileError as exc:
        return [ProjectEntry(label, origin, skipped=f"error: {option} not followed: {exc}")]
    return []


def _looks_like_path(text: str) -> bool:
    lower = text.lower()
    return (
        text.startswith((".", "/", "~"))
        or "\\" in text
        or (len(text) > 1 and text[1] == ":")
        or ("/" in text and "@" not in text)
        or lower.endswith(_ARCHIVE_SUFFIXES)
    )


def _requirement_entry(text: str, origin: Origin, hashes: tuple[str, ...]) -> ProjectEntry:
    text = text.strip()
    if "://" in text.split(";", 1)[0] and "@" not in text.split("://", 1)[0]:
        return ProjectEntry(text, origin, skipped="skipped: direct URL is not scanned")
    requirement = parse_requirement(text)
    if isinstance(requirement, str):
        if _looks_like_path(text):
            return ProjectEntry(cut(text), origin, skipped="skipped: local path is not scanned")
        reason = f"error: not a valid requirement ({requirement}): {quote(text)}"
        return ProjectEntry(cut(text), origin, skipped=reason)
    if requirement.url:
        return ProjectEntry(text, origin, skipped="skipped: direct URL (name @ url) is not scanned")
    return ProjectEntry(" ".join(text.split()), origin, requirement=requirement, hashes=hashes)


def _apply_constraints(entries: list[ProjectEntry], constraints: list[ProjectEntry]) -> list[ProjectEntry]:
    """Narrow each requirement by the constraints of the same name (their specifiers and hashes)."""
    by_name: dict[str, list[ProjectEntry]] = {}
    for entry in constraints:
        if entry.requirement is not None:
            by_name.setdefault(canonicalize_name(entry.requirement.name), []).append(entry)
    result: list[ProjectEntry] = []
    for entry in entries:
        if entry.requirement is None:
            result.append(entry)
            continue
        matching = by_name.get(canonicalize_name(entry.requirement.name), [])
        if not matching:
            result.append(entry)
            continue
        requirement = Requirement(str(entry.requirement))
        hashes = entry.hashes
        for constraint in matching:
            assert constraint.requirement is not None
            requirement.specifier &= constraint.requirement.specifier
            hashes = hashes or constraint.hashes
        result.append(replace(entry, requirement=requirement, hashes=hashes))
    return result
