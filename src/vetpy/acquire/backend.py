"""In-tree PEP 517 build backends: ``[build-system] backend-path`` code runs at build time, like setup.py."""

from __future__ import annotations

import posixpath
import tomllib

from vetpy.acquire.interface import Archive, CodeView

MAX_PYPROJECT_BYTES = 1_000_000


def _pyproject(archive: Archive) -> tuple[str, dict[str, object]] | None:
    """The root pyproject.toml (the shallowest one) as a table, with its folder."""
    candidates = sorted(
        (
            m
            for m in archive.members
            if posixpath.basename(m.path) == "pyproject.toml" and m.path.count("/") < 2
        ),
        key=lambda m: m.path.count("/"),
    )
    for m in candidates[:1]:
        if len(m.data) > MAX_PYPROJECT_BYTES:
            return None
        try:
            return posixpath.dirname(m.path), tomllib.loads(m.data.decode("utf-8", "replace"))
        except (tomllib.TOMLDecodeError, RecursionError, ValueError):
            return None
    return None


def backend_paths(archive: Archive) -> list[str]:
    """The archive paths of the in-tree backend module (and its package ``__init__`` files)."""
    found = _pyproject(archive)
    if found is None:
        return []
    root, table = found
    system = table.get("build-system")
    if not isinstance(system, dict):
        return []
    dirs, backend = system.get("backend-path"), system.get("build-backend")
    if not isinstance(dirs, list) or not isinstance(backend, str):
        return []
    module = backend.split(":", 1)[0].strip().split(".")
    paths = {m.path for m in archive.members}
    out: list[str] = []
    for folder in (d for d in dirs if isinstance(d, str)):
        base = posixpath.normpath(posixpath.join(root, folder)) if folder not in ("", ".") else root
        base = "" if base == "." else base
        for depth in range(1, len(module) + 1):
            stem = posixpath.join(base, *module[:depth])
            for candidate in (stem + ".py", posixpath.join(stem, "__init__.py")):
                if candidate in paths:
                    out.append(candidate)
    return list(dict.fromkeys(out))


def backend_views(archive: Archive, views: dict[str, CodeView], texts: dict[str, str]) -> None:
    """Mark the in-tree backend's files as ``build_backend`` views (keeping any decoded text)."""
    raw = {m.path: m.data for m in archive.members}
    for path in backend_paths(archive):
        if path not in texts:
            continue
        old = views.get(path)
        views[path] = CodeView(path, old.data if old else raw[path], source=path, role="build_backend")
