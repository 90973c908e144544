"""Metadata detectors: missing PKG-INFO, description size, licence, author, odd versions, typosquats
(the paper's homepage, email, licence and setup.cfg checks run here too, in this order)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vetpy.features import paper, pkginfo
from vetpy.features.interface import Family, ValueKind, spec
from vetpy.features.typosquat import typosquat

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

ODD_VERSION_RE = re.compile(r"^v?(?:0+(?:\.0+)*|(\d+)(?:\..*)?)$")

_M, _FLAG = Family.METADATA, ValueKind.FLAG
SPECS = (
    spec(
        "meta.missing_pkg_info",
        _M,
        _FLAG,
        "no PKG-INFO / METADATA file",
        "hand-made archives skip the metadata every build tool writes",
    ),
    spec(
        "meta.log_description",
        _M,
        ValueKind.LOG_COUNT,
        "log(1 + length of the long description)",
        "real projects describe themselves; throw-away uploads rarely do",
    ),
    spec(
        "meta.no_license",
        _M,
        _FLAG,
        "no licence declared anywhere",
        "missing licence is common in throw-away uploads",
    ),
    spec(
        "meta.no_author",
        _M,
        _FLAG,
        "no author or maintainer declared",
        "anonymous uploads are more often malicious",
    ),
    spec(
        "meta.odd_version",
        _M,
        _FLAG,
        "version like 0.0.0 or a huge major (dependency-confusion style)",
        "dependency confusion wins resolution with a version above any internal one",
    ),
    spec(
        "meta.typosquat_similarity",
        _M,
        ValueKind.SCORE,
        "similarity (0-1) to the nearest *other* popular name",
        "typosquats borrow a popular name's look to be installed by mistake",
    ),
    spec(
        "meta.typosquat",
        _M,
        _FLAG,
        "name is one or two edits from another popular project's name",
        "typosquats borrow a popular name's look to be installed by mistake",
    ),
)


def _odd_version(version: str | None) -> bool:
    if not version:
        return False
    m = ODD_VERSION_RE.match(version.strip())
    return m is not None and (m.group(1) is None or int(m.group(1)[:6]) >= 99)


def detect(facts: PackageFacts, out: Collector) -> tuple[str | None, str | None]:
    """Fire the metadata features; returns the package's (name, version) from metadata or file name."""
    archive = facts.archive
    meta = pkginfo.read_metadata(archive)
    fname, fversion = pkginfo.name_version_from_filename(archive.filename)
    name = meta.name or fname
    version = meta.version or fversion
    mfile = meta.file
    if mfile is None:
        out.fire("meta.missing_pkg_info", "no PKG-INFO or METADATA file")
        out.token("meta:missing_pkg_info")
    out.count("meta.log_description", meta.description_length)
    paper.detect_homepage(meta, out)
    paper.detect_email(meta, out)
    lic = pkginfo.check_license(meta, archive)
    paper.detect_license(lic, mfile, out)
    if not lic.declared:
        out.fire("meta.no_license", "no licence field, classifier or file", mfile)
        out.token("meta:no_license")
    if not (meta.author or meta.author_email or meta.maintainer or meta.maintainer_email):
        out.fire("meta.no_author", "no author or maintainer declared", mfile)
        out.token("meta:no_author")
    if version and _odd_version(version):
        out.fire("meta.odd_version", f"odd version {version[:40]}", mfile, meta.lines.get("version"))
        out.token("meta:odd_version")
    squat = typosquat(name)
    out.measure("meta.typosquat_similarity", squat.similarity)
    if squat.is_typosquat:
        out.fire(
            "meta.typosquat",
            f"name {name!r} is {squat.edits} edit(s) from popular {squat.nearest!r}",
            mfile,
            meta.lines.get("name"),
        )
        out.token("meta:typosquat")
    paper.detect_minimal_setup_cfg(archive, out)
    return name, version
