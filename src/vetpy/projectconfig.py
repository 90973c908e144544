"""``[tool.vetpy]`` in ``pyproject.toml``: scan settings and the ignore list.

::

    [tool.vetpy]
    targets = ["requirements.txt", "uv.lock"]   # what `vetpy scan` scans when given nothing
    format = "sarif"                            # text | json | sarif | markdown
    threshold = 0.5
    model = "rules"                             # or the path of a saved model
    artifact = "auto"                           # auto | sdist | wheel | all
    trust-requirements-indexes = false

    [[tool.vetpy.ignore]]
    package = "internal-tool==2.1.0"            # name==version, or
    # sha256 = "<64 hex digits>"                # one exact file
    reason = "our own package: reviewed by the security team"
    expires = 2027-06-30                        # optional; after it the entry no longer applies

Options on the command line win over the file. An ignored result stays in every report, marked with its
reason, and does not count toward exit 1 (or 3); an expired entry no longer applies and says so in the
result's notes and on stderr.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from vetpy.acquire.lockfiles import load_toml
from vetpy.acquire.projectfile import ProjectFileError, cut, decode_text, read_bounded
from vetpy.errors import VetpyError
from vetpy.result import Ignored, ScanResult

SETTINGS = ("targets", "format", "threshold", "model", "artifact", "trust-requirements-indexes")


@dataclass(frozen=True)
class IgnoreEntry:
    """One entry of the ignore list: a package version or one file, with a reason and an expiry."""

    match: str  # "name==version" or "sha256:<hex>"
    reason: str
    expires: dt.date | None = None

    def matches(self, result: ScanResult) -> bool:
        if self.match.startswith("sha256:"):
            return bool(result.sha256) and result.sha256 == self.match[7:]
        name, _, version = self.match.partition("==")
        if not result.name or not result.version or canonicalize_name(result.name) != canonicalize_name(name):
            return False
        try:
            return Version(result.version) == Version(version)
        except InvalidVersion:
            return result.version == version


@dataclass(frozen=True)
class ProjectConfig:
    """The ``[tool.vetpy]`` table of one pyproject.toml (empty when there is none)."""

    path: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    ignore: tuple[IgnoreEntry, ...] = ()


def _fail(path: Path, message: str) -> VetpyError:
    return VetpyError(f"{cut(str(path))}: [tool.vetpy] {message}")


def _expiry(value: object, path: Path) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise _fail(path, f"ignore: expires {cut(str(value))!r} is not a date (YYYY-MM-DD)") from exc


def _entry(raw: object, path: Path) -> IgnoreEntry:
    if not isinstance(raw, dict):
        raise _fail(path, "ignore: each entry is a table with package or sha256, and reason")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise _fail(path, "ignore: every entry needs a reason")
    package, sha256 = raw.get("package"), raw.get("sha256")
    if isinstance(sha256, str) and not package:
        digest = sha256.lower().removeprefix("sha256:")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise _fail(path, f"ignore: sha256 {cut(sha256)!r} is not 64 hex digits")
        match = f"sha256:{digest}"
    elif isinstance(package, str) and not sha256:
        try:
            requirement = Requirement(package)
        except Exception as exc:
            raise _fail(path, f"ignore: {cut(package)!r} is not name==version") from exc
        specs = list(requirement.specifier)
        if len(specs) != 1 or specs[0].operator != "==" or "*" in specs[0].version:
            raise _fail(path, f"ignore: {cut(package)!r} must pin one version (name==version)")
        match = f"{requirement.name}=={specs[0].version}"
    else:
        raise _fail(path, "ignore: give exactly one of package (name==version) or sha256")
    return IgnoreEntry(match, " ".join(reason.split()), _expiry(raw.get("expires"), path))


def load_config(path: Path) -> ProjectConfig:
    """The ``[tool.vetpy]`` table of ``path``; a malformed table is a usage error (``VetpyError``)."""
    try:
        document = load_toml(decode_text(read_bounded(path), path), path)
    except ProjectFileError as exc:
        raise VetpyError(str(exc)) from exc
    tool = document.get("tool", {})
    table = tool.get("vetpy", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise _fail(path, "is not a table")
    unknown = sorted(set(table) - set(SETTINGS) - {"ignore"})
    if unknown:
        raise _fail(path, f"unknown setting(s): {', '.join(cut(u) for u in unknown)}")
    ignore = table.get("ignore", [])
    if not isinstance(ignore, list):
        raise _fail(path, "ignore must be an array of tables ([[tool.vetpy.ignore]])")
    settings = {key: table[key] for key in SETTINGS if key in table}
    return ProjectConfig(str(path), settings, tuple(_entry(raw, path) for raw in ignore))


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` from ``start`` (default: the working folder) upwards, if it has a
    ``[tool.vetpy]`` table."""
    folder = (start or Path.cwd()).resolve()
    for candidate in [folder, *folder.parents]:
        path = candidate / "pyproject.toml"
        if path.is_file():
            try:
                text = decode_text(read_bounded(path), path)
            except ProjectFileError:
                return None
            return path if "[tool.vetpy" in text else None
    return None


def apply_ignores(
    results: Sequence[ScanResult], entries: Sequence[IgnoreEntry], today: dt.date | None = None
) -> tuple[list[ScanResult], list[str]]:
    """Mark results matched by a live entry as ignored; note expired entries. Returns (results, warnings)."""
    today = today or dt.date.today()
    warnings: list[str] = []
    marked: list[ScanResult] = []
    for result in results:
        for entry in entries:
            if not entry.matches(result):
                continue
            if entry.expires is not None and entry.expires < today:
                note = (
                    f"ignore entry {entry.match} expired on {entry.expires.isoformat()}: it no longer applies"
                )
                result = replace(result, notes=(*result.notes, note))
                warnings.append(note)
                continue
            expires = entry.expires.isoformat() if entry.expires else None
            result = replace(result, ignored=Ignored(entry.match, entry.reason, expires))
            break
        marked.append(result)
    return marked, list(dict.fromkeys(warnings))
