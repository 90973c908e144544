"""Choose release files as pip would, with unearth (a maintained implementation of pip's finder).

Why unearth: it evaluates links as pip's ``PackageFinder`` does (strict file names, PEP 440 ordering,
pre-releases only when nothing else matches, yanked files only for ``==`` pins, ``requires-python``,
wheel tags ranked by this interpreter's ``packaging.tags.sys_tags()``); pip's own finder is internal API.
Its network side is replaced: pages come through :class:`~vetpy.acquire.http.HttpClient` (deadline, size
cap, http(s) only), and only http(s) indexes are searched.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from vetpy.acquire.http import HttpClient
from vetpy.acquire.release import Artifact, FileKind, ReleaseFile
from vetpy.errors import IndexLookupError
from vetpy.redact import redact

if TYPE_CHECKING:  # unearth (and its HTTP client) is imported when files are first chosen, not before
    from unearth import Package, PackageFinder

PAGE_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"
)
_SECURE_ORIGINS = (
    ("https", "*", "*"),
    ("*", "localhost", "*"),
    ("*", "127.0.0.0/8", "*"),
    ("*", "::1/128", "*"),
)

_unearth_log = logging.getLogger("unearth")
_unearth_log.addHandler(logging.NullHandler())
_unearth_log.propagate = False  # its warnings would reach stderr unredacted; vetpy reports in notes instead


class _Headers(dict[str, str]):
    """Header lookups by any case (unearth reads ``Content-Type``)."""

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


@dataclass
class _Response:
    status_code: int
    headers: _Headers
    content: bytes
    url: str
    encoding: str | None = None
    reason_phrase: str = ""

    def json(self) -> Any:
        import json

        return json.loads(self.content)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        yield self.content

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise IndexLookupError(redact(f"{self.url}: HTTP {self.status_code}"))


@dataclass
class _Fetcher:
    """unearth's Fetcher over vetpy's HttpClient: 404 is "not on this index", other failures raise."""

    http: HttpClient
    trusted_hosts: tuple[str, ...] = ()
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def get(self, url: str, *, headers: Mapping[str, str] | None = None) -> _Response:
        try:
            fetched = self.http.fetch(url, accept=(headers or {}).get("Accept", PAGE_ACCEPT))
        except IndexLookupError as exc:
            if str(exc).endswith("HTTP 404"):
                self.missing.append(redact(url))
                return _Response(404, _Headers(), b"", url, reason_phrase="Not Found")
            raise
        self.notes.extend(fetched.notes)
        return _Response(fetched.status, _Headers(fetched.headers), fetched.body, fetched.url)

    def head(self, url: str, *, headers: Mapping[str, str] | None = None) -> _Response:
        raise IndexLookupError(redact(f"{url}: looks like a file, not an index page"))

    def get_stream(
        self, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AbstractContextManager[_Response]:
        @contextmanager
        def stream() -> Iterator[_Response]:
            yield self.get(url, headers=headers)

        return stream()

    def __hash__(self) -> int:
        return id(self)

    def iter_secure_origins(self) -> Iterable[tuple[str, str, str]]:
        yield from _SECURE_ORIGINS
        for host in self.trusted_hosts:
            yield ("*", host.partition(":")[0], "*")


@dataclass(frozen=True)
class Selection:
    """The files chosen for one requirement: the version pip would install and the files to scan."""

    name: str
    version: str
    files: tuple[ReleaseFile, ...]
    notes: tuple[str, ...] = ()


class Finder:
    """Finds and chooses release files on the configured indexes (and nothing else)."""

    def __init__(self, http: HttpClient) -> None:
        self.http = http
        settings = http.settings
        self.index_urls: list[str] = []
        self.notes: list[str] = []
        for url in settings.index_urls:
            if urllib.parse.urlsplit(url).scheme.lower() in ("http", "https"):
                self.index_urls.append(url)
            else:
                self.notes.append(redact(f"index {url} not searched: vetpy reads http(s) indexes only"))
        for link in settings.find_links:
            self.notes.append(redact(f"find-links {link} not searched: vetpy reads http(s) indexes only"))
        self._fetcher = _Fetcher(http, settings.trusted_hosts)
        self._finders: dict[bool, PackageFinder] = {}

    def _finder(self, any_platform: bool) -> PackageFinder:
        from unearth import PackageFinder

        if not self.index_urls:
            raise IndexLookupError("no http(s) package index configured (pip's index-url, PIP_INDEX_URL)")
        if any_platform not in self._finders:
            self._finders[any_platform] = PackageFinder(
                session=self._fetcher,  # type: ignore[arg-type]
                index_urls=[f"{u.rstrip('/')}/" for u in self.index_urls],
                ignore_compatibility=any_platform,
            )
        return self._finders[any_platform]

    def candidates(self, requirement: Requirement, *, any_platform: bool = False) -> list[Package]:
        """Every file matching ``requirement``, best first, as pip ranks them (http(s) files only)."""
        self._fetcher.missing.clear()
        finder = self._finder(any_platform)
        # pip: pre-releases only when the specifier names one, or when nothing else matches (set here,
        # not left to ``packaging``, whose newer releases let ``contains`` accept pre-releases by default)
        allow = bool(requirement.specifier.prereleases)
        matches = list(finder.find_matches(requirement, allow_prereleases=allow))
        if not matches and not allow:
            matches = list(finder.find_matches(requirement, allow_prereleases=True))
        return [p for p in matches if urllib.parse.urlsplit(p.link.url).scheme.lower() in ("http", "https")]

    def choose(
        self, requirement: Requirement, artifact: Artifact = Artifact.AUTO, hashes: Iterable[str] = ()
    ) -> Selection:
        """The files to scan for ``requirement`` (see ``--artifact`` in the README)."""
        name = requirement.name
        pinned = _digests(hashes)
        best = self.candidates(requirement)
        if pinned:  # pip keeps only files whose listed hash is pinned
            best = [p for p in best if not _listed(p) or _listed(p) & pinned] or best
        notes = list(self.notes) + self._fetcher.notes
        if not best:
            every = self.candidates(requirement, any_platform=True)
            if not every:
                raise IndexLookupError(self._not_found(requirement))
            version = str(every[0].version)
            files = [p for p in every if _same(p.version, version)]
            notes.append(f"no file of {name} {version} fits this machine: scanned every file of it")
            return Selection(name, version, tuple(to_release(p) for p in files), tuple(notes))
        version = str(best[0].version)
        same = [p for p in best if _same(p.version, version)]
        if artifact == Artifact.ALL:
            every = self.candidates(Requirement(f"{name}=={version}"), any_platform=True)
            files = [p for p in every if _same(p.version, version)]
        elif artifact == Artifact.WHEEL:
            files = [p for p in same if p.link.is_wheel][:1]
            if not files:
                raise IndexLookupError(f"{name}=={version}: no wheel for this machine on the index")
        elif artifact == Artifact.SDIST:
            files = [p for p in same if not p.link.is_wheel][:1]
            if not files:
                raise IndexLookupError(f"{name}=={version}: no sdist on the index")
        else:  # auto: what pip would install, and the sdist when there is one
            files = [same[0], *[p for p in same[1:] if not p.link.is_wheel][:1]]
            if same[0].link.is_wheel and len(files) == 1:
                notes.append(f"{name} {version} has no sdist on the index")
        return Selection(name, version, tuple(to_release(p) for p in files), tuple(dict.fromkeys(notes)))

    def _not_found(self, requirement: Requirement) -> str:
        if self._fetcher.missing and len(self._fetcher.missing) >= len(self.index_urls):
            return redact(f"{requirement.name}: not on the index: {self._fetcher.missing[0]}: HTTP 404")
        return f"{requirement}: no matching release on the index"


def _same(version: str | None, other: str) -> bool:
    try:
        return version is not None and Version(version) == Version(other)
    except InvalidVersion:
        return version == other


def _digests(hashes: Iterable[str]) -> frozenset[str]:
    return frozenset(h.lower() for h in hashes)


def _listed(package: Package) -> frozenset[str]:
    return frozenset(f"{alg}:{value}".lower() for alg, value in (package.link.hashes or {}).items())


def to_release(package: Package) -> ReleaseFile:
    link = package.link
    hashes = {str(k).lower(): str(v).lower() for k, v in (link.hashes or {}).items()}
    url = link.url_without_fragment
    fragment = urllib.parse.urlsplit(link.url).fragment
    alg, _, value = fragment.partition("=")  # PEP 503 pages give the hash in the URL fragment
    if alg and value and alg.lower() not in hashes:
        hashes[alg.lower()] = value.lower()
    return ReleaseFile(
        name=str(canonicalize_name(package.name)),
        version=str(package.version),
        filename=link.filename,
        url=url,
        sha256=hashes.get("sha256"),
        packagetype=FileKind.WHEEL if link.is_wheel else FileKind.SDIST,
        yanked=link.is_yanked,
        hashes=hashes,
        requires_python=link.requires_python,
        core_metadata=bool(link.dist_info_metadata),
        index_url=link.comes_from,
    )
