"""Match members of two releases whose paths differ only by the version (``pkg-1.0/`` vs ``pkg-2.0/``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from vetpy.acquire.interface import Member

_VERSIONED_DIR = re.compile(r"^(?P<name>[^/]+?)-[^/-]+\.(?P<kind>dist-info|data|egg-info)$")


def common_root(paths: Iterable[str]) -> str | None:
    """The single top folder every path is under (an sdist's ``name-version/``), else None."""
    roots = {p.split("/", 1)[0] for p in paths}
    if len(roots) != 1:
        return None
    root = roots.pop()
    return root if all("/" in p for p in paths) else None


def normalise(path: str, root: str | None) -> str:
    """The path without the archive's top folder and with versions dropped from metadata folders."""
    if root is not None and path.startswith(root + "/"):
        path = path[len(root) + 1 :]
    parts = [_VERSIONED_DIR.sub(r"\g<name>.\g<kind>", part) for part in path.split("/")]
    return "/".join(parts)


def by_normalised_path(members: Iterable[Member]) -> dict[str, Member]:
    """Members keyed by their normalised path (the first one wins on a clash)."""
    items = list(members)
    root = common_root([m.path for m in items])
    keyed: dict[str, Member] = {}
    for member in items:
        keyed.setdefault(normalise(member.path, root), member)
    return keyed


def without_version(text: str, version: str | None) -> str:
    """``text`` with the release's own version replaced by a placeholder (so ``version="1.0"`` and
    ``version="1.1"`` compare equal: every release changes that line)."""
    if not version:
        return text
    return re.sub(rf"(?<![\w.]){re.escape(version)}(?![\w.])", "<version>", text)
