"""The index settings pip would use, read with pip's own configuration loader.

Why pip's loader (``pip._internal.configuration.Configuration``): it is the code that decides which files
count (global, user, site, ``PIP_CONFIG_FILE``, ``PIP_CONFIG_FILE=os.devnull`` for none) and how ``PIP_*``
environment variables map onto options; it only reads ini files and the environment, runs nothing, and has
kept its interface (``Configuration(isolated, load_only).load(); .items()``) for many releases. On top of it
this module applies pip's option precedence for ``pip install``: ``[global]``, then ``[install]``, then the
environment (``PIP_INDEX_URL``...), later winning. If pip is missing or its loader fails, only the
environment is read, and a note says so. The default index is read from pip at run time as well. What
pip's files said is remembered between runs while none of them changes (pipmemo.py): importing pip's
loader costs more than the rest of a cached scan.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vetpy.acquire import pipmemo
from vetpy.errors import IndexLookupError
from vetpy.redact import redact

COMMAND = "install"  # vetpy reads what `pip install` would read
_KEYS = (
    "index-url",
    "extra-index-url",
    "no-index",
    "find-links",
    "cert",
    "client-cert",
    "trusted-host",
    "keyring-provider",
    "timeout",
    "default-timeout",
)


@dataclass(frozen=True)
class IndexSettings:
    """Where to look for packages and how to connect, as pip would for ``pip install``."""

    index_url: str
    extra_index_urls: tuple[str, ...] = ()
    no_index: bool = False
    find_links: tuple[str, ...] = ()
    cert: str | None = None  # a CA bundle file
    client_cert: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    keyring_provider: str = "auto"
    timeout: float = 60.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def index_urls(self) -> tuple[str, ...]:
        """Every index to search, the main one first (none with ``no-index``)."""
        return () if self.no_index else (self.index_url, *self.extra_index_urls)


def pip_default_index() -> str:
    """pip's own default index, read from the installed pip (never written in vetpy)."""
    try:
        from pip._internal.models.index import PyPI

        return str(PyPI.simple_url).rstrip("/")
    except Exception as exc:  # pip missing or its internals moved
        raise IndexLookupError("no package index configured: set PIP_INDEX_URL or pip's index-url") from exc


def _pip_items() -> tuple[list[tuple[str, str]], tuple[str, ...], str | None]:
    """(section.key, value) pairs from pip's configuration, notes on problems reading it, and pip's
    default index when it was remembered with the files (pipmemo.py; None: ask pip)."""
    remembered = pipmemo.recall()
    if remembered is not None:
        items, default_index = remembered
        return items + environment_items(), (), default_index
    try:
        from pip._internal.configuration import Configuration

        config = Configuration(isolated=False, load_only=None)
        files, stamp = _files_and_stamp(config)  # before reading: a file changed meanwhile is read again
        config.load()
        items = [(str(k), str(v)) for k, v in config.items()]
    except Exception as exc:  # pip missing, a broken config file: read the environment alone
        note = redact(
            f"pip's configuration could not be read ({type(exc).__name__}); used PIP_* variables only"
        )
        return environment_items(), (note,), None
    from_files = [(k, v) for k, v in items if not k.startswith(":env:") and k.partition(".")[2] in _KEYS]
    if stamp is not None:
        with contextlib.suppress(IndexLookupError):
            pipmemo.remember(from_files, files, pip_default_index(), stamp)
    return items, (), None


def _files_and_stamp(config: Any) -> tuple[list[str], str | None]:
    """The files pip's loader will look at and their fingerprint; (``[]``, None) when that cannot be
    told (another pip's internals): the configuration is then read by pip and not remembered."""
    try:
        files = [str(path) for _, paths in config.iter_config_files() for path in paths]
        return files, pipmemo.fingerprint(files)
    except Exception:
        return [], None


def environment_items() -> list[tuple[str, str]]:
    """The ``PIP_*`` variables as pip's loader names them (``PIP_INDEX_URL`` -> ``:env:.index-url``)."""
    items = []
    for key, value in os.environ.items():
        name = key[4:].lower()
        if key.startswith("PIP_") and name not in ("version", "help"):
            items.append((f":env:.{name.replace('_', '-').removeprefix('--')}", value))
    return items


def ordered_options(items: Iterable[tuple[str, str]], command: str = COMMAND) -> dict[str, str]:
    """pip's override order: ``[global]``, ``[<command>]``, then the environment; empty values ignored."""
    order = ("global", command, ":env:")
    options: dict[str, str] = {}
    for section in order:
        for section_key, value in items:
            name, _, key = section_key.partition(".")
            if name == section and value and key in _KEYS:
                options[key] = value
    return options


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _timeout(options: Mapping[str, str]) -> float:
    for key in ("timeout", "default-timeout"):
        try:
            value = float(options.get(key, ""))
        except ValueError:
            continue
        if value > 0:
            return value
    return 60.0


def settings_from_options(
    options: Mapping[str, str], notes: tuple[str, ...] = (), default_index: str | None = None
) -> IndexSettings:
    """IndexSettings from pip-style option values (``index-url``, ``cert``...); ``default_index``: pip's
    default, when already known."""
    index_url = (options.get("index-url") or "").strip() or default_index or pip_default_index()
    cert = options.get("cert") or os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return IndexSettings(
        index_url=index_url.rstrip("/"),
        extra_index_urls=tuple(u.rstrip("/") for u in _split(options.get("extra-index-url"))),
        no_index=_truthy(options.get("no-index")),
        find_links=_split(options.get("find-links")),
        cert=cert or None,
        client_cert=options.get("client-cert") or None,
        trusted_hosts=_split(options.get("trusted-host")),
        keyring_provider=(options.get("keyring-provider") or "auto").strip().lower(),
        timeout=_timeout(options),
        notes=notes,
    )


def read_settings(index_url: str | None = None) -> IndexSettings:
    """What ``pip install`` would use here; ``index_url`` (when given) replaces the configured indexes."""
    items, notes, default_index = _pip_items()
    options = ordered_options(items)
    if index_url:
        options = {**options, "index-url": index_url}
        options.pop("extra-index-url", None)
        options.pop("no-index", None)
    return settings_from_options(options, notes, default_index)
