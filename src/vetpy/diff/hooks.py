"""What runs at install, build or interpreter start, and how it changed between two releases.

Hooks compared: the root ``setup.py``, ``.pth`` files, ``sitecustomize``/``usercustomize`` modules,
entry points (``entry_points.txt``, ``pyproject.toml``, ``setup.cfg``) and the build backend
(``pyproject.toml``'s ``[build-system]``). Files are read as text only; nothing is run.
"""

from __future__ import annotations

import configparser
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from vetpy.acquire.interface import Member
from vetpy.diff.interface import HookChange
from vetpy.diff.paths import without_version

CUSTOMIZE = ("sitecustomize.py", "usercustomize.py")
METADATA_DIRS = (".egg-info/entry_points.txt", ".dist-info/entry_points.txt")


@dataclass(frozen=True)
class Setting:
    """One hook value and where it is written."""

    value: str
    file: str
    line: int | None


def _text(member: Member) -> str:
    return member.data[:2_000_000].decode("utf-8", "replace")


def line_of(text: str, needle: str) -> int | None:
    """The 1-based line of the first occurrence of ``needle`` in ``text``."""
    at = text.find(needle)
    return None if at < 0 else text.count("\n", 0, at) + 1


def first_new_line(old: str, new: str) -> int | None:
    """The first line of ``new`` that is not in ``old`` at the same place (difflib's opcodes)."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert") and j2 > j1:
            return j1 + 1
    return None


def _entry_points_txt(member: Member, out: dict[str, Setting]) -> None:
    text = _text(member)
    group = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
        elif "=" in line and not line.startswith(("#", ";")):
            name, value = (part.strip() for part in line.split("=", 1))
            out.setdefault(f"{group}: {name}", Setting(value, member.path, number))


def _setup_cfg(member: Member, out: dict[str, Setting]) -> None:
    text = _text(member)
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    if not parser.has_section("options.entry_points"):
        return
    for group, body in parser.items("options.entry_points", raw=True):
        for entry in body.splitlines():
            if "=" in entry:
                name, value = (part.strip() for part in entry.split("=", 1))
                out.setdefault(f"{group}: {name}", Setting(value, member.path, line_of(text, entry.strip())))


def _pyproject(member: Member, entry_points: dict[str, Setting], backend: dict[str, Setting]) -> None:
    text = _text(member)
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError):
        return
    found = doc.get("project")
    project: dict[str, Any] = found if isinstance(found, dict) else {}
    groups: dict[str, Any] = {
        "console_scripts": project.get("scripts"),
        "gui_scripts": project.get("gui-scripts"),
    }
    extra = project.get("entry-points")
    if isinstance(extra, dict):
        groups.update(extra)
    for group, table in groups.items():
        if isinstance(table, dict):
            for name, value in table.items():
                where = line_of(text, f"{name} =") or line_of(text, f'"{name}"') or line_of(text, name)
                entry_points.setdefault(f"{group}: {name}", Setting(str(value), member.path, where))
    build = doc.get("build-system")
    if isinstance(build, dict):
        for key in ("build-backend", "requires", "backend-path"):
            if key in build:
                value = build[key]
                shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
                backend[key] = Setting(shown, member.path, line_of(text, key))


def settings(members: Mapping[str, Member]) -> tuple[dict[str, Setting], dict[str, Setting]]:
    """Entry points (``group: name`` -> target) and build-system settings, keyed by normalised path."""
    entry_points: dict[str, Setting] = {}
    backend: dict[str, Setting] = {}
    for path, member in sorted(members.items()):
        name = PurePosixPath(path).name
        if name == "entry_points.txt" and path.endswith(METADATA_DIRS):
            _entry_points_txt(member, entry_points)
        elif path == "setup.cfg":
            _setup_cfg(member, entry_points)
        elif path == "pyproject.toml":
            _pyproject(member, entry_points, backend)
    return entry_points, backend


def _is_hook_file(path: str) -> str | None:
    name = PurePosixPath(path).name
    if path == "setup.py":
        return "setup.py"
    if name.endswith(".pth"):
        return "pth"
    if name in CUSTOMIZE:
        return "customize"
    return None


def _file_hooks(
    new: Mapping[str, Member], old: Mapping[str, Member], versions: tuple[str | None, str | None]
) -> list[HookChange]:
    changes: list[HookChange] = []
    for path in sorted(set(new) | set(old)):
        kind = _is_hook_file(path)
        if kind is None:
            continue
        n, o = new.get(path), old.get(path)
        if n is not None and o is None:
            changes.append(HookChange(kind, "added", f"new {kind} file {path}", n.path, 1))
        elif n is None and o is not None:
            changes.append(HookChange(kind, "removed", f"{kind} file {path} removed", o.path, None))
        elif n is not None and o is not None and n.data != o.data:
            old_text = without_version(_text(o), versions[1])
            new_text = without_version(_text(n), versions[0])
            if old_text != new_text:  # more than the version number changed
                line = first_new_line(old_text, new_text)
                changes.append(HookChange(kind, "changed", f"{path} changed", n.path, line))
    return changes


def _setting_changes(kind: str, new: dict[str, Setting], old: dict[str, Setting]) -> list[HookChange]:
    changes: list[HookChange] = []
    for key in sorted(set(new) | set(old)):
        n, o = new.get(key), old.get(key)
        if n is not None and o is None:
            changes.append(HookChange(kind, "added", f"{key} = {n.value}", n.file, n.line))
        elif n is None and o is not None:
            changes.append(HookChange(kind, "removed", f"{key} (was {o.value})", o.file, o.line))
        elif n is not None and o is not None and n.value != o.value:
            changes.append(HookChange(kind, "changed", f"{key}: {o.value} -> {n.value}", n.file, n.line))
    return changes


def hook_changes(
    new: Mapping[str, Member],
    old: Mapping[str, Member],
    versions: tuple[str | None, str | None] = (None, None),
) -> list[HookChange]:
    """Every install-hook change from ``old`` to ``new`` (members keyed by normalised path; ``versions``
    are the new and old release's versions, ignored where a file merely states them)."""
    new_eps, new_backend = settings(new)
    old_eps, old_backend = settings(old)
    return (
        _file_hooks(new, old, versions)
        + _setting_changes("entry_point", new_eps, old_eps)
        + _setting_changes("build_backend", new_backend, old_backend)
    )
