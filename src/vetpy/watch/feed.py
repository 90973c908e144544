"""New files on the index since a checkpoint, from the PEP 691 JSON project list.

The project list gives each project's ``_last-serial``; a project whose serial is above the checkpoint's
changed since. Its page (PEP 691, with PEP 700 ``upload-time``) then tells which files are new: those
uploaded since the previous poll began (less a margin for clock differences) that were not handled yet.
An index that gives no upload times falls back to the files of the project's newest release.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from vetpy.acquire.index import JSON_ACCEPT, IndexClient, ReleaseFile, release_file
from vetpy.errors import IndexLookupError
from vetpy.redact import redact
from vetpy.watch.checkpoint import Checkpoint

# a whole registry's project list with serials is tens of MiB (about 45 bytes per project)
ROOT_MAX_BYTES = 256 * 1024 * 1024
SLACK_SECONDS = 900.0  # how far an upload time may sit before the previous poll and still be looked at


@dataclass(frozen=True)
class NewFile:
    """A file to scan; ``release`` is None when the changelog names a file the index no longer lists."""

    project: str
    filename: str
    version: str
    release: ReleaseFile | None
    uploaded: float | None


@dataclass(frozen=True)
class Changes:
    """One poll's answer: the new files in order, and where the checkpoint moves once they are handled."""

    files: tuple[NewFile, ...]
    serial: int
    watermark: float | None
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_time(value: object) -> float | None:
    """A PEP 700 ``upload-time`` (ISO 8601) as epoch seconds."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def project_files(client: IndexClient, name: str) -> list[NewFile]:
    """Every file on a project's page, with its upload time when the index gives one."""
    page = client.project_page(name)
    base = f"{client.index_url}/{canonicalize_name(name)}/"
    files: list[NewFile] = []
    for entry in page.get("files", []):
        release = release_file(entry, page, name, base)
        if release is None:
            continue
        uploaded = parse_time(entry.get("upload-time"))
        files.append(NewFile(release.name, release.filename, release.version, release, uploaded))
    return files


def _newest_release(files: list[NewFile]) -> list[NewFile]:
    def key(f: NewFile) -> Version:
        try:
            return Version(f.version)
        except InvalidVersion:
            return Version("0")

    if not files:
        return []
    newest = max(files, key=key)
    return [f for f in files if key(f) == key(newest)]


def select_new(files: list[NewFile], checkpoint: Checkpoint) -> tuple[list[NewFile], bool]:
    """The files of one changed project not handled yet, and whether the no-upload-time fallback was used."""
    fresh = [f for f in files if f.filename not in checkpoint.seen]
    if files and all(f.uploaded is not None for f in files) and checkpoint.watermark is not None:
        since = checkpoint.watermark - SLACK_SECONDS
        return [f for f in fresh if f.uploaded is not None and f.uploaded >= since], False
    newest = {f.filename for f in _newest_release(files)}
    return [f for f in fresh if f.filename in newest], True


class SimpleFeed:
    """Follows an index through its PEP 691 JSON project list."""

    name = "simple"

    def __init__(self, client: IndexClient) -> None:
        self.client = client

    def listing(self) -> tuple[dict[str, int], int, float | None]:
        """Every project's ``_last-serial`` from the root page, the index's last serial (its
        ``X-PyPI-Last-Serial`` header, else the highest project serial) and the index's clock (``Date``)."""
        url = f"{self.client.index_url}/"
        answer = self.client.http.fetch(url, accept=JSON_ACCEPT, max_bytes=ROOT_MAX_BYTES)
        try:
            page: Any = json.loads(answer.body)
        except ValueError as exc:
            raise IndexLookupError(redact(f"{url}: the project list is not PEP 691 JSON")) from exc
        projects = page.get("projects") if isinstance(page, dict) else None
        if not isinstance(projects, list):
            raise IndexLookupError(redact(f"{url}: the project list is not PEP 691 JSON"))
        serials = {
            str(p["name"]): int(p["_last-serial"])
            for p in projects
            if isinstance(p, dict) and "name" in p and isinstance(p.get("_last-serial"), int)
        }
        if projects and not serials:
            raise IndexLookupError(redact(f"{url}: the project list has no _last-serial to follow"))
        header = answer.headers.get("x-pypi-last-serial", "")
        top = max([int(header)] if header.isdigit() else [], default=0)
        return serials, max([top, *serials.values()]), _server_time(answer.headers.get("date"))

    def position(self) -> tuple[int, float]:
        """The index's last serial and its clock now (the local clock when it gives none)."""
        _, top, server_time = self.listing()
        return top, server_time if server_time is not None else time.time()

    def changes(self, checkpoint: Checkpoint) -> Changes:
        started = time.time()
        serials, top, server_time = self.listing()
        started = server_time if server_time is not None else started  # the index's clock, when it says
        changed = sorted((s, n) for n, s in serials.items() if s > checkpoint.serial)
        found: list[NewFile] = []
        fallback: list[str] = []
        for _, name in changed:
            new, used_fallback = select_new(project_files(self.client, name), checkpoint)
            found.extend(new)
            if used_fallback and new:
                fallback.append(name)
        notes = _fallback_notes(fallback)
        return Changes(tuple(found), max(checkpoint.serial, top), started, notes)


def _server_time(value: str | None) -> float | None:
    """An HTTP ``Date`` header as epoch seconds."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def _fallback_notes(projects: Iterable[str]) -> tuple[str, ...]:
    names = sorted(projects)
    if not names:
        return ()
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    why = "new files told by release, not upload time (none given, or --since SERIAL)"
    return (f"{why}: newest release of {shown}",)
