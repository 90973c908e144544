"""Helpers to build small test packages as in-memory Archive objects (and to open real ones in memory)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import zipfile

from vetpy.acquire.interface import Archive, ArchiveFormat, Member
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures

DEFAULT = object()


def pkg_info(name: str = "demo", version: str = "1.0", **fields: str) -> str:
    """A PKG-INFO text; keyword names use underscores for dashes (``home_page`` -> ``Home-page``)."""
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    for key, value in fields.items():
        header = "-".join(part.capitalize() for part in key.split("_"))
        header = {"Home-Page": "Home-page", "Author-Email": "Author-email"}.get(header, header)
        for v in value.split("\n") if key in ("classifier", "project_url") else [value]:
            lines.append(f"{header}: {v}")
    return "\n".join(lines) + "\n"


def make_archive(
    files: dict[str, str | bytes],
    *,
    name: str = "demo",
    version: str = "1.0",
    pkg_info: str | object | None = DEFAULT,
    notes: tuple[str, ...] = (),
    limit_hit: str | None = None,
    root: bool = True,
) -> Archive:
    """An sdist-like Archive: files under ``{name}-{version}/`` (``root=False``: at the top level).

    ``pkg_info`` DEFAULT writes a plain PKG-INFO with name and version; None writes none.
    """
    prefix = f"{name}-{version}/" if root else ""
    members: list[Member] = []
    if pkg_info is DEFAULT:
        pkg_info = _default_pkg_info(name, version)
    if isinstance(pkg_info, str):
        members.append(Member(prefix + "PKG-INFO", pkg_info.encode()))
    for path, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        members.append(Member(prefix + path, data))
    digest = hashlib.sha256(b"".join(m.path.encode() + m.data for m in members)).hexdigest()
    return Archive(
        target=f"{name}-{version}.tar.gz",
        filename=f"{name}-{version}.tar.gz",
        sha256=digest,
        format=ArchiveFormat.TAR_GZ,
        members=tuple(members),
        notes=notes,
        limit_hit=limit_hit,
    )


def module_features(code: str, path: str = "pkg/tool.py") -> PackageFeatures:
    """The features of a package holding one module of ``code`` (nothing runs)."""
    return extract_features(make_archive({path: code}))


def assert_flow_at(code: str, token: str, feature: str, words: str, line: int) -> None:
    """A one-module package of ``code`` has ``token`` and an evidence item of ``feature`` whose message
    holds ``words``, at ``line``."""
    f = module_features(code)
    assert token in f.code_text.split(), token
    found = [(e.line, e.message) for e in f.evidence_for(feature)]
    assert line in {at for at, message in found if words in message}, found


def _default_pkg_info(name: str, version: str) -> str:
    return pkg_info(name, version)


def archive_from_bytes(data: bytes, filename: str) -> Archive:
    """Open a zip or tar archive in memory (sniffed by content) as an Archive; nothing touches disk."""
    members: list[Member] = []
    if data[:4] == b"PK\x03\x04":
        fmt = ArchiveFormat.ZIP
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for info in zf.infolist():
                if not info.is_dir() and info.file_size <= 16 * 1024 * 1024:
                    members.append(Member(info.filename.lstrip("/"), zf.read(info)))
    else:
        fmt = ArchiveFormat.TAR
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tf:
            for ti in tf:
                if ti.isfile() and ti.size <= 16 * 1024 * 1024:
                    handle = tf.extractfile(ti)
                    if handle is not None:
                        members.append(Member(ti.name.lstrip("/"), handle.read()))
    return Archive(filename, filename, hashlib.sha256(data).hexdigest(), fmt, tuple(members))
