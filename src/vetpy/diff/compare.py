"""Compare two opened releases: changed files, new behaviours, new endpoints, changed install hooks.

Behaviours come from vetpy's own feature extraction (``extract_features``) run on the whole new release
and on just its added and changed files; a signal is kept when it sits on a line the old release did not
have (or when the old release had no such signal at all), with the new release's file and line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from vetpy.acquire.interface import Archive, Member
from vetpy.diff.endpoints import find_endpoints
from vetpy.diff.hooks import hook_changes
from vetpy.diff.interface import Behaviour, Endpoint, ReleaseDiff, Side
from vetpy.diff.paths import by_normalised_path, common_root, normalise, without_version
from vetpy.features.extract import extract_features
from vetpy.features.interface import Evidence, PackageFeatures

MAX_BEHAVIOURS = 50
MAX_ENDPOINTS = 50


def side(archive: Archive, features: PackageFeatures) -> Side:
    return Side(archive.target, features.name, features.version, archive.filename, archive.sha256)


def _lines(member: Member | None, version: str | None) -> set[str]:
    if member is None:
        return set()
    text = without_version(member.data[:2_000_000].decode("utf-8", "replace"), version)
    return {line.strip() for line in text.splitlines() if line.strip()}


def _line_at(member: Member, line: int, version: str | None) -> str:
    lines = member.data[:2_000_000].decode("utf-8", "replace").splitlines()
    return without_version(lines[line - 1].strip(), version) if 0 < line <= len(lines) else ""


class _Files:
    """The two releases' members, matched by normalised path."""

    def __init__(self, new: Archive, old: Archive, versions: tuple[str | None, str | None]) -> None:
        self.versions = versions
        self.new = by_normalised_path(new.members)
        self.old = by_normalised_path(old.members)
        self.new_root = common_root([m.path for m in new.members])
        self.added = sorted(p for p in self.new if p not in self.old)
        self.removed = sorted(p for p in self.old if p not in self.new)
        self.changed = sorted(p for p in self.new if p in self.old and self.new[p].data != self.old[p].data)
        self._old_lines: dict[str, set[str]] = {}

    def key(self, path: str) -> str:
        return normalise(path, self.new_root)

    def is_new_line(self, evidence: Evidence) -> bool:
        """Whether the evidence sits in an added file, or on a line its file did not have before."""
        if evidence.file is None:
            return False
        key = self.key(evidence.file)
        if key in self.added:
            return True
        if key not in self.changed or evidence.line is None:
            return False
        if key not in self._old_lines:
            self._old_lines[key] = _lines(self.old.get(key), self.versions[1])
        current = _line_at(self.new[key], evidence.line, self.versions[0])
        return bool(current) and current not in self._old_lines[key]


def _behaviours(
    files: _Files, new_archive: Archive, new: PackageFeatures, old: PackageFeatures
) -> list[Behaviour]:
    touched = [files.new[p] for p in files.added + files.changed]
    delta = extract_features(replace(new_archive, members=tuple(touched), notes=(), limit_hit=None))
    seen: set[tuple[str, str | None, int | None]] = set()
    found: list[Behaviour] = []
    for evidence in (*new.evidence, *(e for e in delta.evidence if e.file is not None)):
        feature = evidence.feature
        if new.values.get(feature, 0.0) <= 0.0:
            continue  # the whole new release does not have this signal (e.g. a partial-archive artefact)
        is_new_feature = old.values.get(feature, 0.0) <= 0.0
        # kept: a signal on a new line; or a signal the old release lacked that has no line of its own
        # (archive-level, metadata, an entry point now naming a risky module)
        if not (files.is_new_line(evidence) or (is_new_feature and evidence.line is None)):
            continue
        key = (feature, evidence.file, evidence.line)
        if key in seen:
            continue
        seen.add(key)
        where = (evidence.file, evidence.line, evidence.snippet)
        found.append(Behaviour(feature, evidence.message, *where, is_new_feature))
    found.sort(key=lambda b: (not b.new_feature, b.file or "", b.line or 0))
    return found[:MAX_BEHAVIOURS]


def _endpoints(files: _Files) -> list[Endpoint]:
    old_found = find_endpoints(files.old.values())
    old_values = {f.value for f in old_found}
    old_hosts = {f.host for f in old_found}
    out: list[Endpoint] = []
    seen: set[str] = set()
    for f in find_endpoints(files.new[p] for p in files.added + files.changed):
        if f.value in old_values or f.value in seen:
            continue
        seen.add(f.value)
        out.append(Endpoint(f.kind, f.value, f.host, f.file, f.line, f.host not in old_hosts))
    out.sort(key=lambda e: (not e.new_host, e.file, e.line))
    return out[:MAX_ENDPOINTS]


def _originals(keys: list[str], members: Mapping[str, Member]) -> tuple[str, ...]:
    return tuple(members[k].path for k in keys)


def diff_archives(new: Archive, old: Archive) -> ReleaseDiff:
    """What ``new`` adds or changes against ``old`` (both opened in memory; nothing is run)."""
    new_features = extract_features(new)
    old_features = extract_features(old)
    files = _Files(new, old, (new_features.version, old_features.version))
    notes = [f"{a.filename}: reading stopped at a limit ({a.limit_hit})" for a in (new, old) if a.limit_hit]
    return ReleaseDiff(
        new=side(new, new_features),
        old=side(old, old_features),
        added=_originals(files.added, files.new),
        removed=_originals(files.removed, files.old),
        changed=_originals(files.changed, files.new),
        behaviours=tuple(_behaviours(files, new, new_features, old_features)),
        endpoints=tuple(_endpoints(files)),
        hooks=tuple(hook_changes(files.new, files.old, files.versions)),
        notes=tuple(notes),
    )
