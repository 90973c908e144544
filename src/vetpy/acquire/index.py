"""Talk to the package index: project pages, the files pip would choose, verified downloads.

The index is the one pip would use (:mod:`vetpy.acquire.pipconfig`, pip's default read from pip at run
time); requests go through :class:`~vetpy.acquire.http.HttpClient` (deadline, size caps, http(s) only,
logins kept out of every message); the choice of files is :class:`~vetpy.acquire.finder.Finder` (pip's
rules, through unearth); downloads are checked against the index's digests and the user's pins.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from vetpy.acquire.finder import Finder, Selection
from vetpy.acquire.hashes import verify
from vetpy.acquire.http import MAX_PAGE_BYTES, HttpClient
from vetpy.acquire.pipconfig import IndexSettings, read_settings
from vetpy.acquire.release import ARTIFACTS, Artifact, FileKind, ReleaseFile, file_kind
from vetpy.errors import IndexLookupError
from vetpy.redact import redact

__all__ = [
    "ARTIFACTS",
    "Artifact",
    "IndexClient",
    "ReleaseFile",
    "file_kind",
    "find_file",
    "latest_version",
    "verify_sha256",
]

JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"


def configured_index_url() -> str:
    """The main simple-API URL pip would use (without a trailing slash; a login in it is kept)."""
    return read_settings().index_url


class _AnchorText(HTMLParser):
    """The text of every ``<a>`` of a PEP 503 page (on the root page: the project names)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_anchor = tag == "a"

    def handle_endtag(self, tag: str) -> None:
        self._in_anchor = False

    def handle_data(self, data: str) -> None:
        if self._in_anchor and data.strip():
            self.texts.append(data.strip())


def parse_project_list(raw: bytes) -> list[str]:
    """Project names from an index root page: PEP 691 JSON, else PEP 503 HTML."""
    try:
        page = json.loads(raw)
    except ValueError:
        page = None
    if isinstance(page, dict) and isinstance(page.get("projects"), list):
        return [str(p["name"]) for p in page["projects"] if isinstance(p, dict) and "name" in p]
    parser = _AnchorText()
    parser.feed(raw.decode("utf-8", "replace"))
    return parser.texts


class IndexClient:
    """The configured index (or ``index_url``): pages, file choice and verified downloads."""

    def __init__(
        self,
        index_url: str | None = None,
        timeout: float | None = None,
        settings: IndexSettings | None = None,
    ) -> None:
        settings = settings or read_settings(index_url)
        if timeout is not None:
            settings = replace(settings, timeout=timeout)
        self.settings = settings
        self.http = HttpClient(settings)
        self.index_url = settings.index_url.rstrip("/")
        self._finder: Finder | None = None

    @property
    def finder(self) -> Finder:
        if self._finder is None:
            self._finder = Finder(self.http)
        return self._finder

    def get(self, url: str, accept: str | None = None, max_bytes: int | None = None) -> bytes:
        """The body of ``url``; over ``max_bytes`` (default: the page limit), or any failure, raises."""
        return self.http.fetch(
            url, accept=accept, max_bytes=MAX_PAGE_BYTES if max_bytes is None else max_bytes
        ).body

    def project_names(self) -> list[str]:
        """Every project name the index lists on its root page (PEP 691 JSON, else PEP 503 HTML)."""
        url = f"{self.index_url}/"
        names = parse_project_list(self.get(url, accept=f"{JSON_ACCEPT}, text/html;q=0.1"))
        if not names:
            raise IndexLookupError(redact(f"{url}: no project list (neither PEP 691 JSON nor PEP 503 HTML)"))
        return names

    def project_page(self, name: str) -> dict[str, Any]:
        url = f"{self.index_url}/{canonicalize_name(name)}/"
        raw = self.get(url, accept=JSON_ACCEPT)
        try:
            page = json.loads(raw)
        except ValueError:
            page = None
        if not isinstance(page, dict) or not isinstance(page.get("files"), list):
            raise IndexLookupError(redact(f"{url}: the index did not answer with PEP 691 JSON"))
        return page

    def release_files(self, name: str) -> list[ReleaseFile]:
        """Every file on ``name``'s page (main index only), with kind and version read strictly."""
        page = self.project_page(name)
        base = f"{self.index_url}/{canonicalize_name(name)}/"
        files = (release_file(entry, page, name, base) for entry in page["files"])
        return [f for f in files if f is not None]

    def latest_version(self, name: str) -> str:
        return self.choose(Requirement(name)).version

    def choose(
        self, requirement: Requirement, artifact: Artifact = Artifact.AUTO, hashes: Iterable[str] = ()
    ) -> Selection:
        """The version pip would install for ``requirement`` and the files to scan (every index searched)."""
        if artifact not in ARTIFACTS:
            raise IndexLookupError(f"unknown artifact {artifact!r}: choose one of {', '.join(ARTIFACTS)}")
        return self.finder.choose(requirement, artifact, hashes)

    def select(self, name: str, version: str | None, artifact: Artifact = Artifact.AUTO) -> list[ReleaseFile]:
        """The files to scan for ``name`` (``==version``, else what pip would install) by artifact choice."""
        try:
            requirement = Requirement(f"{name}=={version}" if version else name)
        except InvalidRequirement as exc:
            raise IndexLookupError(f"{name}: not a valid requirement") from exc
        return list(self.choose(requirement, artifact).files)

    def download(self, release: ReleaseFile, max_bytes: int | None = None, pins: Iterable[str] = ()) -> bytes:
        """The file's bytes, checked against the index's digests and ``pins`` (any failure raises)."""
        limit = MAX_PAGE_BYTES * 16 if max_bytes is None else max_bytes
        try:
            data = self.http.fetch(release.url, max_bytes=limit).body
        except IndexLookupError as exc:
            if "over the limit" in str(exc):
                raise IndexLookupError(f"{release.filename}: larger than {limit} bytes") from None
            raise
        listed = dict(release.hashes) or ({"sha256": release.sha256} if release.sha256 else {})
        verify(data, release.filename, listed, pins)
        return data


def latest_version(files: Iterable[ReleaseFile], name: str, specifier: SpecifierSet | None = None) -> str:
    """The highest non-yanked release among ``files`` (matching ``specifier``; pre-releases only if nothing
    else matches), for callers that hold a page's files; scanning uses :meth:`IndexClient.choose`."""
    versions: set[Version] = set()
    for f in files:
        try:
            if not f.yanked and f.packagetype is not FileKind.OTHER:
                versions.add(Version(f.version))
        except InvalidVersion:
            continue
    spec = specifier or SpecifierSet()
    matching = list(spec.filter(versions)) or list(spec.filter(versions, prereleases=True))
    if not matching:
        raise IndexLookupError(f"{name}{spec}: no matching release on the index")
    return str(max(matching))


def verify_sha256(data: bytes, expected: str | None, label: str) -> str:
    """Return the sha256 of ``data``; raise when it differs from ``expected`` (when one is given)."""
    return verify(data, label, {"sha256": expected} if expected else None)


def find_file(files: Iterable[ReleaseFile], filename: str) -> ReleaseFile | None:
    return next((f for f in files if f.filename == filename), None)


def release_file(entry: object, page: dict[str, Any], name: str, base: str) -> ReleaseFile | None:
    """One PEP 691 file entry of ``name``'s page as a ReleaseFile (kind and version read strictly from
    the file name; URLs resolved against ``base``); None when the entry is not an object."""
    if not isinstance(entry, dict):
        return None
    filename = str(entry.get("filename", ""))
    kind, version = file_kind(filename, name)
    listed = entry.get("hashes")
    hashes: dict[str, Any] = listed if isinstance(listed, dict) else {}
    return ReleaseFile(
        name=str(page.get("name", name)),
        version=version or "",
        filename=filename,
        url=urllib.parse.urljoin(base, str(entry.get("url", ""))),
        sha256=hashes.get("sha256"),
        packagetype=kind,
        yanked=bool(entry.get("yanked", False)),
        hashes={str(k): str(v) for k, v in hashes.items()},
        requires_python=entry.get("requires-python"),
        core_metadata=bool(entry.get("core-metadata") or entry.get("dist-info-metadata")),
    )
