"""Package metadata from inside the archive: PKG-INFO/METADATA, setup.cfg and LICENSE files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import HeaderParser
from email.utils import getaddresses

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from vetpy.acquire.interface import Archive, Member
from vetpy.features.paths import member_path

_MISSING = {"", "unknown", "none", "null", "n/a", "na", "-", "todo", "tbd"}
HOMEPAGE_LABELS = {"homepage", "home", "home-page", "source", "source code", "repository", "code", "github"}
LICENSE_FILE_RE = re.compile(r"^(licen[sc]e|copying|unlicense)([._-].*)?$", re.IGNORECASE)


def present(value: str | None) -> str | None:
    """The stripped value, or None when it is empty or a placeholder such as UNKNOWN."""
    if value is None:
        return None
    value = value.strip()
    return None if value.lower() in _MISSING else value


@dataclass(frozen=True)
class Metadata:
    """The metadata fields vetpy uses; ``file`` is the member they came from (None when absent)."""

    file: str | None = None
    name: str | None = None
    version: str | None = None
    home_page: str | None = None
    project_urls: tuple[tuple[str, str], ...] = ()
    author: str | None = None
    author_email: str | None = None
    maintainer: str | None = None
    maintainer_email: str | None = None
    license: str | None = None
    classifiers: tuple[str, ...] = ()
    description_length: int = 0
    lines: dict[str, int] = field(default_factory=dict)

    def homepage_candidates(self) -> list[str]:
        """Home-page plus Project-URL entries labelled like a homepage or source repository."""
        out = [self.home_page] if self.home_page else []
        out += [url for label, url in self.project_urls if label.strip().lower() in HOMEPAGE_LABELS]
        return out

    def emails(self) -> list[str]:
        """Addresses from Author-email and Maintainer-email (plain or ``Name <addr>`` forms)."""
        raw = [v for v in (self.author_email, self.maintainer_email) if v]
        return [addr for _, addr in getaddresses(raw) if "@" in addr]


def _depth(path: str) -> int:
    return path.count("/")


def find_metadata_member(archive: Archive) -> Member | None:
    """The package's own PKG-INFO / METADATA (shallowest first; wheel, egg and sdist layouts)."""
    best: tuple[int, int, Member] | None = None
    for m in archive.members:
        p = member_path(m.path)
        if (p.name == "METADATA" and p.parent.name.endswith(".dist-info")) or (
            p.name == "PKG-INFO" and _depth(m.path) <= 1
        ):
            rank = 0
        elif p.name == "PKG-INFO" and (p.parent.name.endswith(".egg-info") or p.parent.name == "EGG-INFO"):
            rank = 1
        else:
            continue
        key = (rank, _depth(m.path))
        if best is None or key < best[:2]:
            best = (key[0], key[1], m)
    return best[2] if best else None


def decode_text(data: bytes) -> str:
    """Bytes to text: UTF-8 (BOM tolerated), else latin-1 (never fails)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def parse_metadata(text: str, file: str | None = None) -> Metadata:
    """Parse core-metadata text (an RFC 822 header block plus an optional body)."""
    msg = HeaderParser().parsestr(text.replace("\x00", ""))
    lines: dict[str, int] = {}
    for no, line in enumerate(text.splitlines()[:2000], start=1):
        if ":" in line and not line.startswith((" ", "\t")):
            lines.setdefault(line.split(":", 1)[0].strip().lower(), no)
        elif not line.strip():
            break

    def get(key: str) -> str | None:
        value = msg.get(key)
        return present(str(value)) if value is not None else None

    urls: list[tuple[str, str]] = []
    for entry in msg.get_all("Project-URL") or []:
        label, _, url = str(entry).partition(",")
        if url.strip():
            urls.append((label.strip(), url.strip()))
    body = msg.get_payload()
    description = str(msg.get("Description") or "") + (body if isinstance(body, str) else "")
    return Metadata(
        file=file,
        name=get("Name"),
        version=get("Version"),
        home_page=get("Home-page") or get("Home-Page"),
        project_urls=tuple(urls),
        author=get("Author"),
        author_email=get("Author-email"),
        maintainer=get("Maintainer"),
        maintainer_email=get("Maintainer-email"),
        license=get("License-Expression") or get("License"),
        classifiers=tuple(str(c).strip() for c in msg.get_all("Classifier") or []),
        description_length=len(description.strip()),
        lines=lines,
    )


def read_metadata(archive: Archive) -> Metadata:
    """The archive's metadata, or an empty Metadata (``file`` None) when it has none."""
    member = find_metadata_member(archive)
    if member is None:
        return Metadata()
    try:
        return parse_metadata(decode_text(member.data[:1_000_000]), member.path)
    except Exception:  # malformed headers must not stop the scan
        return Metadata(file=member.path)


def name_version_from_filename(filename: str) -> tuple[str | None, str | None]:
    """Name and version parsed from an sdist/wheel filename, best effort."""
    base = member_path(filename).name
    try:
        if base.endswith(".whl"):
            name, ver, _, _ = parse_wheel_filename(base)
            return str(name), str(ver)
        name, ver = parse_sdist_filename(base)
        return str(name), str(ver)
    except (InvalidSdistFilename, InvalidWheelFilename, ValueError):
        pass
    stem = re.sub(r"\.(tar\.gz|tar\.bz2|tar\.xz|tgz|zip|egg|whl|tar)$", "", base, flags=re.IGNORECASE)
    m = re.match(r"^(.+?)-(\d[^-]*)(?:-.*)?$", stem)
    if m:
        return m.group(1), m.group(2)
    return (stem or None), None


# --- licences ---------------------------------------------------------------------------------------

_FAMILY_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (fam, re.compile(pat, re.IGNORECASE))
    for fam, pat in (
        ("agpl", r"\bagpl|affero"),
        ("lgpl", r"\blgpl|lesser general public|library general public"),
        ("gpl", r"\bgpl|gnu general public"),
        ("apache", r"apache"),
        ("mpl", r"\bmpl\b|mozilla public"),
        ("epl", r"\bepl\b|eclipse public"),
        ("isc", r"\bisc\b"),
        ("unlicense", r"\bunlicen[sc]e\b|free and unencumbered"),
        ("cc0", r"\bcc0\b|public domain"),
        ("psf", r"\bpsf\b|python software foundation"),
        ("zlib", r"\bzlib\b"),
        ("wtfpl", r"wtfpl"),
        ("bsd", r"\bbsd\b|redistribution and use in source and binary forms"),
        ("mit", r"\bmit\b|permission is hereby granted, free of charge"),
        ("proprietary", r"proprietary|all rights reserved"),
    )
)


def license_family(text: str | None) -> str | None:
    """A coarse licence family (mit, bsd, apache, gpl, lgpl, ...) named by ``text``, or None."""
    if not text:
        return None
    head = text[:3000]
    for fam, pat in _FAMILY_PATTERNS:
        if pat.search(head):
            return fam
    return None


def classifier_family(classifiers: tuple[str, ...]) -> str | None:
    """The licence family of the first ``License ::`` classifier that names one."""
    for c in classifiers:
        if c.startswith("License ::"):
            fam = license_family(c.split("::", 1)[1])
            if fam:
                return fam
    return None


def license_files(archive: Archive) -> list[Member]:
    """LICENSE/COPYING files at the archive root, one folder down, or in dist-info/licenses."""
    return [
        m
        for m in archive.members
        if LICENSE_FILE_RE.match(member_path(m.path).name)
        and (_depth(m.path) <= 1 or ".dist-info/" in m.path)
        and not m.path.endswith((".py", ".pyc"))
    ]


@dataclass(frozen=True)
class LicenseCheck:
    """Licence families by source and whether two known ones disagree."""

    classifier: str | None
    field: str | None
    file: str | None
    file_path: str | None
    mismatch: bool
    declared: bool


def check_license(meta: Metadata, archive: Archive) -> LicenseCheck:
    """Compare the classifier, the License field and the LICENSE file text."""
    by_classifier = classifier_family(meta.classifiers)
    by_field = license_family(meta.license)
    files = license_files(archive)
    by_file: str | None = None
    file_path: str | None = None
    for m in files:
        by_file = license_family(decode_text(m.data[:4000]))
        if by_file:
            file_path = m.path
            break
    if files and file_path is None:
        file_path = files[0].path
    known = {f for f in (by_classifier, by_field, by_file) if f}
    declared = bool(
        known or meta.license or files or any(c.startswith("License ::") for c in meta.classifiers)
    )
    return LicenseCheck(by_classifier, by_field, by_file, file_path, len(known) > 1, declared)


# --- setup.cfg --------------------------------------------------------------------------------------

_DEFAULT_SETUP_CFGS = (
    ["[egg_info]", "tag_build =", "tag_date = 0"],
    ["[egg_info]", "tag_build =", "tag_date = 0", "tag_svn_revision = 0"],
)


def root_setup_cfg(archive: Archive) -> Member | None:
    """setup.cfg at the archive root or one folder down (the sdist's top folder)."""
    cands = [m for m in archive.members if member_path(m.path).name == "setup.cfg" and _depth(m.path) <= 1]
    return min(cands, key=lambda m: _depth(m.path)) if cands else None


def is_minimal_setup_cfg(data: bytes) -> bool:
    """True when setup.cfg holds only the default ``[egg_info]`` block setuptools writes into sdists."""
    lines = [re.sub(r"\s*=\s*", " = ", ln.strip()).strip() for ln in decode_text(data[:10_000]).splitlines()]
    content = [ln for ln in lines if ln and not ln.startswith(("#", ";"))]
    return any(content == default for default in _DEFAULT_SETUP_CFGS)
