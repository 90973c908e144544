"""Index files cached by sha256 (atomic files, checked on every read) and index pages cached briefly.

:class:`DownloadCache` is the store itself and can be used by any index client: ``get(sha256)`` returns
bytes only when they still hash to ``sha256``; ``put`` writes a temporary file and renames it into place, so
concurrent writers and a kill mid-write never leave a partial file under a final name.
:class:`CachingIndexClient` is an :class:`~vetpy.acquire.index.IndexClient` that uses it, and keeps project
pages for a few minutes (as pip's own HTTP cache does), so scanning the same requirements again needs no
network at all. The files chosen for a requirement pinned to one version (``name==1.2``) are reused for a
day: a release's files rarely change once uploaded; an unpinned requirement asks the index again after a
few minutes, because a new release changes the answer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import Requirement

from vetpy.acquire.finder import Selection
from vetpy.acquire.hashes import verify
from vetpy.acquire.http import MAX_PAGE_BYTES, Fetched, HttpClient
from vetpy.acquire.index import IndexClient
from vetpy.acquire.pipconfig import IndexSettings
from vetpy.acquire.release import Artifact, ReleaseFile
from vetpy.cache.store import KeyValueStore
from vetpy.fsutil import replace_atomically

PAGE_MAX_AGE = 600.0  # seconds an index page is reused (the simple API's own cache lifetime)
PINNED_MAX_AGE = 86_400.0  # seconds the files chosen for one pinned version (name==1.2) are reused
_SHA256_HEX = frozenset("0123456789abcdef")


class DownloadCache:
    """Files by sha256 under ``root/files/ab/<sha256>``."""

    def __init__(self, root: Path) -> None:
        self.root = root / "files"

    def _path(self, sha256: str) -> Path | None:
        sha = sha256.lower()
        if len(sha) != 64 or not set(sha) <= _SHA256_HEX:
            return None
        return self.root / sha[:2] / sha

    def get(self, sha256: str | None) -> bytes | None:
        """The cached bytes for ``sha256``, or None (absent, unreadable, or no longer matching)."""
        path = self._path(sha256) if sha256 else None
        if path is None:
            return None
        try:
            data = path.read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == path.name else None

    def put(self, data: bytes, sha256: str | None = None) -> None:
        """Store ``data`` (under its own sha256, which must equal ``sha256`` when given)."""
        actual = hashlib.sha256(data).hexdigest()
        path = self._path(actual)
        if path is None or (sha256 is not None and sha256.lower() != actual) or path.exists():
            return
        try:
            replace_atomically(path, data)
        except OSError:
            return


class CachingHttpClient(HttpClient):
    """An HttpClient that answers page requests (those with an ``Accept`` header) from the cache for
    ``page_max_age`` seconds; file downloads are never cached here (see :class:`CachingIndexClient`)."""

    def __init__(self, settings: IndexSettings, root: Path, page_max_age: float = PAGE_MAX_AGE) -> None:
        super().__init__(settings)
        self.pages = KeyValueStore(root / "pages.sqlite")
        self.bodies = DownloadCache(root / "pages")
        self.page_max_age = page_max_age

    def fetch(self, url: str, *, accept: str | None = None, max_bytes: int = MAX_PAGE_BYTES) -> Fetched:
        if accept is None or self.page_max_age <= 0:
            return super().fetch(url, accept=accept, max_bytes=max_bytes)
        key = hashlib.sha256(f"{url}\n{accept}".encode()).hexdigest()  # no login is ever written to disk
        raw = self.pages.get(key, max_age=self.page_max_age)
        if raw is not None:
            try:
                meta = json.loads(raw)
                body = self.bodies.get(meta["body"])
                if body is not None and len(body) <= max_bytes:
                    return Fetched(meta["url"], int(meta["status"]), dict(meta["headers"]), body, ())
            except (ValueError, KeyError, TypeError):
                pass
        fetched = super().fetch(url, accept=accept, max_bytes=max_bytes)
        if fetched.status == 200:
            self.bodies.put(fetched.body)
            meta = {
                "url": fetched.url,
                "status": fetched.status,
                "headers": dict(fetched.headers),
                "body": hashlib.sha256(fetched.body).hexdigest(),
            }
            self.pages.put(key, json.dumps(meta))
        return fetched


class CachingIndexClient(IndexClient):
    """An IndexClient whose downloads come from a :class:`DownloadCache` when the index listed a sha256
    (checked against every listed digest and pin, as a fresh download is), and whose pages are reused for
    ``page_max_age`` seconds."""

    def __init__(
        self,
        root: Path,
        index_url: str | None = None,
        page_max_age: float = PAGE_MAX_AGE,
        pinned_max_age: float = PINNED_MAX_AGE,
    ) -> None:
        super().__init__(index_url)
        self.files = DownloadCache(root)
        self.http = CachingHttpClient(self.settings, root, page_max_age)
        self.choices = KeyValueStore(root / "choices.sqlite")
        self.page_max_age = page_max_age
        self.pinned_max_age = pinned_max_age

    def choose(
        self, requirement: Requirement, artifact: Artifact = Artifact.AUTO, hashes: Iterable[str] = ()
    ) -> Selection:
        """As the index client chooses, reusing a choice made for the same requirement, artifact, hashes,
        index settings and interpreter in the last ``pinned_max_age`` seconds when the requirement pins one
        version, else in the last ``page_max_age`` seconds (choosing evaluates every file of every release
        against this machine's wheel tags: most of a cached scan's time otherwise)."""
        hashes = tuple(hashes)
        where = [
            repr(self.settings),
            sys.version,
            platform.platform(),
            str(requirement),
            artifact,
            sorted(hashes),
        ]
        key = hashlib.sha256(json.dumps(["choose", *where]).encode()).hexdigest()  # settings may hold logins
        max_age = self.pinned_max_age if pins_one_version(requirement) else self.page_max_age
        raw = self.choices.get(key, max_age=max_age) if self.page_max_age > 0 and max_age > 0 else None
        if raw is not None:
            try:
                data = json.loads(raw)
                files = tuple(ReleaseFile(**f) for f in data["files"])
                return Selection(data["name"], data["version"], files, tuple(data["notes"]))
            except (ValueError, KeyError, TypeError):
                pass
        selection = super().choose(requirement, artifact, hashes)
        self.choices.put(key, json.dumps(dataclasses.asdict(selection)))
        return selection

    def download(self, release: ReleaseFile, max_bytes: int | None = None, pins: Iterable[str] = ()) -> bytes:
        cached = self.files.get(release.sha256)
        if cached is not None and (max_bytes is None or len(cached) <= max_bytes):
            listed = dict(release.hashes) or {"sha256": str(release.sha256)}
            verify(cached, release.filename, listed, pins)
            return cached
        data = super().download(release, max_bytes, pins)
        if release.sha256:
            self.files.put(data, release.sha256)
        return data


def pins_one_version(requirement: Requirement) -> bool:
    """``name==1.2`` or ``name===1.2`` (no wildcard): the index's answer is one release's files."""
    specs = list(requirement.specifier)
    return len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version
