"""Fetch releases from a package index through the PEP 691 JSON simple API.

The index URL comes from the user's pip configuration (``PIP_INDEX_URL``, pip config files), falling back
to pip's own default, so users behind a company mirror get their mirror. Downloads are sha256-verified.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from vetpy.errors import IndexLookupError

JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
USER_AGENT = "vetpy (static malicious-package scanner)"
ARTIFACTS = ("sdist", "wheel", "all")


def _pip_default_index() -> str:
    try:
        from pip._internal.models.index import PyPI

        return str(PyPI.simple_url)
    except Exception as exc:  # pip missing or its internals moved
        raise IndexLookupError("no package index configured: set PIP_INDEX_URL or pip's index-url") from exc


def _pip_config_files() -> list[Path]:
    """pip's config files, lowest priority first (global, user, site), as pip documents them."""
    files: list[Path] = []
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files += [Path(d) / "pip" / "pip.conf" for d in reversed(xdg_dirs) if d]
    files.append(Path("/etc/pip.conf"))
    home = Path.home()
    files.append(home / ".pip" / "pip.conf")
    xdg_home = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    files.append(xdg_home / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file and env_file != os.devnull:
        files.append(Path(env_file))
    return files


def configured_index_url() -> str:
    """The simple-API base URL the user's pip would use (without a trailing slash)."""
    url = os.environ.get("PIP_INDEX_URL")
    if not url:
        for path in _pip_config_files():
            parser = configparser.ConfigParser()
            try:
                parser.read(path, encoding="utf-8")
            except (configparser.Error, OSError, UnicodeDecodeError):
                continue
            for section in ("install", "download", "global"):
                if parser.has_option(section, "index-url"):
                    url = parser.get(section, "index-url").strip()
    return (url or _pip_default_index()).rstrip("/")


@dataclass(frozen=True)
class ReleaseFile:
    """One downloadable file of a release as the index lists it."""

    name: str
    version: str
    filename: str
    url: str
    sha256: str | None
    packagetype: str  # "sdist" | "wheel" | "other"
    yanked: bool


def file_kind(filename: str) -> tuple[str, str | None]:
    """A release file's kind ("sdist", "wheel", "egg" or "other") and version, read from its name
    (``packaging``'s parsers first, then the loose ``name-version.ext`` form of old uploads)."""
    lower = filename.lower()
    try:
        if lower.endswith(".whl"):
            return "wheel", str(parse_wheel_filename(filename)[1])
        if lower.endswith((".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")):
            return "sdist", str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        pass
    for ext in (".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".zip", ".egg", ".tar"):
        if lower.endswith(ext) and "-" in filename:
            kind = "egg" if ext == ".egg" else "sdist"
            return kind, filename[: -len(ext)].split("-")[1]
    return "other", None


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
    """A small client for one index's PEP 691 JSON pages and its file downloads."""

    def __init__(self, index_url: str | None = None, timeout: float = 60.0) -> None:
        self.index_url = (index_url or configured_index_url()).rstrip("/")
        self.timeout = timeout

    def get(self, url: str, accept: str | None = None, max_bytes: int | None = None) -> bytes:
        """The body of ``url`` (at most ``max_bytes`` + 1 bytes); any failure is an IndexLookupError."""
        headers = {"User-Agent": USER_AGENT}
        if accept:
            headers["Accept"] = accept
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                # read at most one byte past the limit: enough to tell it was exceeded
                return bytes(response.read() if max_bytes is None else response.read(max_bytes + 1))
        except urllib.error.HTTPError as exc:
            raise IndexLookupError(f"{url}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise IndexLookupError(f"{url}: {reason}") from exc

    def project_names(self) -> list[str]:
        """Every project name the index lists on its root page (PEP 691 JSON, else PEP 503 HTML)."""
        url = f"{self.index_url}/"
        names = parse_project_list(self.get(url, accept=f"{JSON_ACCEPT}, text/html;q=0.1"))
        if not names:
            raise IndexLookupError(f"{url}: no project list (neither PEP 691 JSON nor PEP 503 HTML)")
        return names

    def project_page(self, name: str) -> dict[str, Any]:
        url = f"{self.index_url}/{canonicalize_name(name)}/"
        raw = self.get(url, accept=JSON_ACCEPT)
        try:
            page = json.loads(raw)
        except ValueError as exc:
            raise IndexLookupError(f"{url}: the index did not answer with PEP 691 JSON") from exc
        if not isinstance(page, dict) or "files" not in page:
            raise IndexLookupError(f"{url}: the index did not answer with PEP 691 JSON")
        return page

    def release_files(self, name: str) -> list[ReleaseFile]:
        page = self.project_page(name)
        base = f"{self.index_url}/{canonicalize_name(name)}/"
        files: list[ReleaseFile] = []
        for entry in page.get("files", []):
            filename = str(entry.get("filename", ""))
            kind, version = file_kind(filename)
            hashes = entry.get("hashes") or {}
            files.append(
                ReleaseFile(
                    name=str(page.get("name", name)),
                    version=version or "",
                    filename=filename,
                    url=urllib.parse.urljoin(base, str(entry.get("url", ""))),
                    sha256=hashes.get("sha256"),
                    packagetype=kind,
                    yanked=bool(entry.get("yanked", False)),
                )
            )
        return files

    def latest_version(self, name: str) -> str:
        return latest_version(self.release_files(name), name)

    def select(self, name: str, version: str | None, artifact: str = "sdist") -> list[ReleaseFile]:
        """The files to scan for ``name`` (``==version``, else the latest release) by artifact choice."""
        if artifact not in ARTIFACTS:
            raise IndexLookupError(f"unknown artifact {artifact!r}: choose one of {', '.join(ARTIFACTS)}")
        files = self.release_files(name)
        return select_files(files, name, version or latest_version(files, name), artifact)

    def download(self, release: ReleaseFile, max_bytes: int | None = None) -> bytes:
        data = self.get(release.url, max_bytes=max_bytes)
        if max_bytes is not None and len(data) > max_bytes:
            raise IndexLookupError(f"{release.filename}: larger than {max_bytes} bytes")
        verify_sha256(data, release.sha256, release.filename)
        return data


def latest_version(files: Iterable[ReleaseFile], name: str, specifier: SpecifierSet | None = None) -> str:
    """The highest non-yanked final release among ``files`` (matching ``specifier`` when given)."""
    versions: set[Version] = set()
    for f in files:
        try:
            version = Version(f.version)
        except InvalidVersion:
            continue
        if not f.yanked:
            versions.add(version)
    if specifier is not None:
        matching = list(specifier.filter(versions))
        if not matching:
            raise IndexLookupError(f"{name}{specifier}: no matching release on the index")
        return str(max(matching))
    finals = [v for v in versions if not v.is_prerelease]
    if not finals:
        raise IndexLookupError(f"{name}: no release found on the index")
    return str(max(finals))


def select_files(files: Iterable[ReleaseFile], name: str, version: str, artifact: str) -> list[ReleaseFile]:
    """The files of ``version`` to scan: one sdist (else one wheel), one wheel (pure first), or all."""
    of_version = [f for f in files if _same_version(f.version, version)]
    if not of_version:
        raise IndexLookupError(f"{name}=={version}: no such release on the index")
    if artifact == "all":
        return of_version
    chosen = [f for f in of_version if f.packagetype == artifact]
    if not chosen and artifact == "sdist":
        chosen = [f for f in of_version if f.packagetype == "wheel"]
    if not chosen:
        raise IndexLookupError(f"{name}=={version}: no {artifact} on the index")
    return chosen[:1] if chosen[0].packagetype == "sdist" else _prefer_pure_wheel(chosen)


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _prefer_pure_wheel(wheels: list[ReleaseFile]) -> list[ReleaseFile]:
    pure = [w for w in wheels if w.filename.endswith("-none-any.whl")]
    return pure[:1] or wheels[:1]


def verify_sha256(data: bytes, expected: str | None, label: str) -> str:
    """Return the sha256 of ``data``; raise when it differs from ``expected`` (when one is given)."""
    digest = hashlib.sha256(data).hexdigest()
    if expected and digest != expected.lower():
        raise IndexLookupError(f"{label}: sha256 mismatch (expected {expected[:12]}…, got {digest[:12]}…)")
    return digest


def find_file(files: Iterable[ReleaseFile], filename: str) -> ReleaseFile | None:
    return next((f for f in files if f.filename == filename), None)
