"""Index files cached by sha256 (atomic files, checked on every read) and index pages cached briefly.

:class:`DownloadCache` is the store itself and can be used by any index client: ``get(sha256)`` returns
bytes only when they still hash to ``sha256``; ``put`` writes a temporary file and renames it into place, so
concurrent writers and a kill mid-write never leave a partial file under a final name.
:class:`CachingIndexClient` is an :class:`~vetpy.acquire.index.IndexClient` that uses it, and keeps project
pages for a few minutes (as pip's own HTTP cache does), so scanning the same requirements again needs no
network at all.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from vetpy.acquire.index import IndexClient, ReleaseFile, verify_sha256
from vetpy.cache.store import KeyValueStore

PAGE_MAX_AGE = 600.0  # seconds an index page is reused (the simple API's own cache lifetime)
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
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return


class CachingIndexClient(IndexClient):
    """An IndexClient whose downloads come from a :class:`DownloadCache` when the index gave a sha256, and
    whose project pages are reused for ``page_max_age`` seconds."""

    def __init__(
        self,
        root: Path,
        index_url: str | None = None,
        timeout: float = 60.0,
        page_max_age: float = PAGE_MAX_AGE,
    ) -> None:
        super().__init__(index_url, timeout)
        self.files = DownloadCache(root)
        self.pages = KeyValueStore(root / "pages.sqlite")
        self.page_max_age = page_max_age

    def project_page(self, name: str) -> dict[str, Any]:
        key = hashlib.sha256(f"{self.index_url}\n{name}".encode()).hexdigest()  # no login on disk
        raw = self.pages.get(key, max_age=self.page_max_age)
        if raw is not None:
            try:
                page = json.loads(raw)
            except ValueError:
                page = None
            if isinstance(page, dict) and "files" in page:
                return page
        page = super().project_page(name)
        self.pages.put(key, json.dumps(page))
        return page

    def download(self, release: ReleaseFile, max_bytes: int | None = None) -> bytes:
        cached = self.files.get(release.sha256)
        if cached is not None and (max_bytes is None or len(cached) <= max_bytes):
            verify_sha256(cached, release.sha256, release.filename)
            return cached
        data = super().download(release, max_bytes)
        if release.sha256:
            self.files.put(data, release.sha256)
        return data
