"""Resolve a whole dependency tree as pip would, without running any package code (``--deep``, the gate).

resolvelib (the resolver pip vendors) does the backtracking; this provider gives it the candidates the
finder ranks as pip does, and dependencies read as data (:mod:`vetpy.acquire.metadata`), with markers
evaluated for this interpreter and platform. A release whose dependencies cannot be read without a
build is kept (it is scanned) and reported in ``unresolved``: its own dependencies are unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider, BaseReporter, ResolutionError, Resolver

from vetpy.acquire.finder import to_release
from vetpy.acquire.index import IndexClient
from vetpy.acquire.metadata import MAX_METADATA_BYTES, dependencies
from vetpy.acquire.release import ReleaseFile
from vetpy.errors import AcquireError, VetpyError
from vetpy.redact import redact

MAX_ROUNDS = 2000


@dataclass(frozen=True)
class Candidate:
    name: str  # canonical
    version: Version
    extras: frozenset[str]
    release: ReleaseFile  # the file pip would install for this version


@dataclass(frozen=True)
class Pin:
    """One package of the resolved tree: the file pip would install, and who asked for it."""

    name: str
    version: str
    release: ReleaseFile
    required_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resolution:
    pins: tuple[Pin, ...]
    unresolved: tuple[str, ...] = ()  # what could not be resolved, one line each
    notes: tuple[str, ...] = ()


@dataclass
class _Provider(AbstractProvider):  # type: ignore[type-arg]
    client: IndexClient
    fetched: dict[str, bytes] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(
        default_factory=lambda: {k: str(v) for k, v in default_environment().items()}
    )

    def identify(self, requirement_or_candidate: Requirement | Candidate) -> str:
        return str(canonicalize_name(requirement_or_candidate.name))

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> str:
        return identifier

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate]:
        wanted = list(requirements[identifier])
        spec = SpecifierSet()
        extras: set[str] = set()
        for requirement in wanted:
            if requirement.url:
                raise AcquireError(f"{requirement}: direct URL dependencies are not resolved")
            spec &= requirement.specifier
            extras |= requirement.extras
        bad = {c.version for c in incompatibilities[identifier]}
        seen: dict[Version, Candidate] = {}
        for package in self.client.finder.candidates(Requirement(f"{identifier}{spec}")):
            version = Version(str(package.version))
            if version not in seen and version not in bad:
                seen[version] = Candidate(identifier, version, frozenset(extras), to_release(package))
        return list(seen.values())

    def is_satisfied_by(self, requirement: Requirement, candidate: Candidate) -> bool:
        return requirement.specifier.contains(candidate.version, prereleases=True)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Requirement]:
        try:
            found = dependencies(candidate.release, self._metadata, self._file)
        except VetpyError as exc:
            self.unresolved[candidate.name] = redact(str(exc))
            return []
        self.notes.extend(found.notes)
        return [r for r in found.requires if self._applies(r, candidate.extras)]

    def _applies(self, requirement: Requirement, extras: frozenset[str]) -> bool:
        if requirement.marker is None:
            return True
        return any(
            requirement.marker.evaluate({**self.environment, "extra": extra}) for extra in (extras or {""})
        )

    def _metadata(self, url: str) -> bytes:
        return self.client.get(url, max_bytes=MAX_METADATA_BYTES)

    def _file(self, release: ReleaseFile) -> bytes:
        if release.url not in self.fetched:
            self.fetched[release.url] = self.client.download(release)
        return self.fetched[release.url]


def resolve(client: IndexClient, roots: Sequence[Requirement], *, no_deps: bool = False) -> Resolution:
    """The packages pip would install for ``roots`` (only the roots with ``no_deps``)."""
    provider = _Provider(client)
    if no_deps:
        provider.get_dependencies = lambda candidate: []  # type: ignore[method-assign]
    try:
        result = Resolver(provider, BaseReporter()).resolve(roots, max_rounds=MAX_ROUNDS)
    except ResolutionError as exc:
        raise AcquireError(redact(f"cannot resolve the dependencies: {_describe(exc)}")) from None
    pins = []
    for name, candidate in sorted(result.mapping.items()):
        parents = [
            f"{info.parent.name} {info.parent.version}"
            for info in result.criteria[name].information
            if info.parent is not None
        ]
        pins.append(Pin(name, str(candidate.version), candidate.release, tuple(sorted(set(parents)))))
    return Resolution(tuple(pins), tuple(provider.unresolved.values()), tuple(dict.fromkeys(provider.notes)))


def _describe(exc: ResolutionError) -> str:
    causes = getattr(exc, "causes", None)
    if causes:
        return "; ".join(sorted({str(c.requirement) for c in causes}))[:300]
    return type(exc).__name__
