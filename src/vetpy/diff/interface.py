"""The data of a release diff: what a new release adds or changes against an older one."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Side:
    """One of the two releases compared."""

    target: str
    name: str | None
    version: str | None
    filename: str
    sha256: str


@dataclass(frozen=True)
class Behaviour:
    """A detector signal seen in a new or changed line of the new release.

    ``new_feature`` is true when the old release had no such signal at all; false when it had the kind
    of behaviour elsewhere and this is a new place for it.
    """

    feature: str
    message: str
    file: str | None
    line: int | None
    snippet: str
    new_feature: bool


@dataclass(frozen=True)
class Endpoint:
    """A URL or IP address in the new release's code that the old release's code did not have."""

    kind: str  # "url" | "ip"
    value: str
    host: str
    file: str
    line: int
    new_host: bool  # the old release's code never named this host or address


@dataclass(frozen=True)
class HookChange:
    """A change to what runs at install, build or interpreter start."""

    kind: str  # "setup.py" | "entry_point" | "pth" | "build_backend" | "customize"
    change: str  # "added" | "removed" | "changed"
    detail: str
    file: str | None
    line: int | None


@dataclass(frozen=True)
class ReleaseDiff:
    """Everything :func:`vetpy.diff.compare.diff_archives` found, paths as they are in each archive."""

    new: Side
    old: Side
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    behaviours: tuple[Behaviour, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    hooks: tuple[HookChange, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def notable(self) -> bool:
        """Whether anything that matters changed (behaviours, endpoints or install hooks)."""
        return bool(self.behaviours or self.endpoints or self.hooks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": asdict(self.new),
            "old": asdict(self.old),
            "files": {
                "added": list(self.added),
                "removed": list(self.removed),
                "changed": list(self.changed),
            },
            "behaviours": [asdict(b) for b in self.behaviours],
            "endpoints": [asdict(e) for e in self.endpoints],
            "install_hooks": [asdict(h) for h in self.hooks],
            "notable": self.notable,
            "notes": list(self.notes),
        }
