"""Settings read from the environment once, at the edge (the CLI), into a frozen object.

Library code asks :func:`current` instead of reading ``os.environ`` itself; the CLI calls :func:`configure`
with the settings it read at start-up, and tests pass their own. pip's own configuration (``PIP_*``, its
config files, ``REQUESTS_CA_BUNDLE``) is not copied here: :mod:`vetpy.acquire.pipconfig` reads it through
pip's own loader, so the index, certificates and trusted hosts are exactly the ones pip would use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

OSV_URL_ENV = "VETPY_OSV_URL"
OSV_CACHE_SECONDS_ENV = "VETPY_OSV_CACHE_SECONDS"
DEFAULT_OSV_CACHE_SECONDS = 3600.0

#: The names pip expands as ``${NAME}`` in a requirements file (upper case, digits, underscores).
URL_VARIABLE_NAME = re.compile(r"[A-Z0-9_]+")


@dataclass(frozen=True)
class Settings:
    """``cache_dir``: downloads, extracted features, evaluation folds; ``data_dir``: the development data
    folder when one was given (``VETPY_DATA``), else None (searched for beside the working folder);
    ``osv_url``: the OSV API base (``VETPY_OSV_URL``; None: OSV's public service); ``osv_cache_seconds``:
    how long an OSV answer is reused (``VETPY_OSV_CACHE_SECONDS``); ``netrc``: the netrc file of index
    logins (``NETRC``, else ``~/.netrc``; None: none); ``url_variables``: what ``${NAME}`` in a trusted
    requirements file's index URL expands to (the environment's upper-case names, as pip does; never
    shown in a repr, they may hold tokens)."""

    cache_dir: Path
    data_dir: Path | None = None
    osv_url: str | None = None
    osv_cache_seconds: float = DEFAULT_OSV_CACHE_SECONDS
    netrc: Path | None = None
    url_variables: Mapping[str, str] = field(default_factory=dict, repr=False, hash=False)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], home: Path | None = None) -> Settings:
        """``VETPY_CACHE``, else ``$XDG_CACHE_HOME/vetpy``, else ``~/.cache/vetpy``; ``VETPY_DATA``;
        ``VETPY_OSV_URL``; ``VETPY_OSV_CACHE_SECONDS`` (a number, else the default); ``NETRC``."""
        home = home or Path.home()
        cache = environ.get("VETPY_CACHE")
        if cache:
            cache_dir = Path(cache)
        else:
            base = environ.get("XDG_CACHE_HOME") or str(home / ".cache")
            cache_dir = Path(base) / "vetpy"
        data = environ.get("VETPY_DATA")
        try:
            osv_cache_seconds = float(environ.get(OSV_CACHE_SECONDS_ENV, DEFAULT_OSV_CACHE_SECONDS))
        except ValueError:
            osv_cache_seconds = DEFAULT_OSV_CACHE_SECONDS
        variables = {k: v for k, v in environ.items() if URL_VARIABLE_NAME.fullmatch(k)}
        return cls(
            cache_dir=cache_dir,
            data_dir=Path(data) if data else None,
            osv_url=environ.get(OSV_URL_ENV) or None,
            osv_cache_seconds=osv_cache_seconds,
            netrc=Path(environ.get("NETRC") or home / ".netrc"),
            url_variables=variables,
        )


_current: Settings | None = None


def configure(settings: Settings | None) -> Settings | None:
    """Use ``settings`` from now on (None: read the environment again on next use); returns the previous
    ones so a caller (the CLI, a test) can put them back."""
    global _current
    previous, _current = _current, settings
    return previous


def current() -> Settings:
    """The configured settings (read from the process environment on first use outside the CLI)."""
    global _current
    if _current is None:
        import os

        _current = Settings.from_environ(os.environ)
    return _current
