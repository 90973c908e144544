"""New files from the index's changelog interface (XML-RPC ``changelog_since_serial``), where it exists.

Only the configured index's own host is asked (``<scheme>://<host>/pypi``, the registry's XML-RPC
path). Each event is ``[name, version, time, action, serial]``; an ``add ... file FILENAME`` action names
a new file exactly, which the project's PEP 691 page then locates (URL and sha256).
"""

from __future__ import annotations

import http.client
import time
import urllib.parse
import xmlrpc.client
from typing import Any

from vetpy.acquire.index import IndexClient, file_kind
from vetpy.errors import IndexLookupError
from vetpy.redact import redact
from vetpy.result import one_line
from vetpy.watch.checkpoint import Checkpoint
from vetpy.watch.feed import Changes, NewFile, project_files

MAX_EVENTS = 50_000


def changelog_url(index_url: str) -> str:
    """The XML-RPC endpoint on the index's host (its path is the registry's fixed ``/pypi``)."""
    parts = urllib.parse.urlsplit(index_url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/pypi", "", ""))


class _Transport(xmlrpc.client.Transport):
    """XML-RPC over HTTP with a time-out."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class _SafeTransport(xmlrpc.client.SafeTransport):
    """XML-RPC over HTTPS with a time-out."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPSConnection:
        connection = super().make_connection(host)
        connection.timeout = self._timeout
        return connection


class ChangelogFeed:
    """Follows an index through its changelog interface."""

    name = "changelog"

    def __init__(self, client: IndexClient, timeout: float = 30.0) -> None:
        self.client = client
        url = changelog_url(client.index_url)
        transport = _SafeTransport(timeout) if url.startswith("https:") else _Transport(timeout)
        self._proxy = xmlrpc.client.ServerProxy(url, transport=transport)

    def _call(self, method: str, *args: Any) -> Any:
        try:
            return getattr(self._proxy, method)(*args)
        except xmlrpc.client.ProtocolError as exc:
            raise IndexLookupError(f"changelog interface: HTTP {exc.errcode}") from exc
        except xmlrpc.client.Fault as exc:
            raise IndexLookupError(redact(one_line(f"changelog interface: {exc.faultString}"))) from exc
        except (OSError, http.client.HTTPException, xmlrpc.client.Error) as exc:
            raise IndexLookupError(redact(one_line(f"changelog interface: {exc}"))) from exc
        except Exception as exc:  # a malformed XML answer
            message = f"changelog interface: bad answer ({type(exc).__name__})"
            raise IndexLookupError(message) from exc

    def position(self) -> tuple[int, float]:
        """The changelog's last serial, and the local clock."""
        return int(self._call("changelog_last_serial")), time.time()

    def changes(self, checkpoint: Checkpoint) -> Changes:
        events = self._call("changelog_since_serial", checkpoint.serial)
        if not isinstance(events, list):
            raise IndexLookupError("changelog interface: the answer is not a list of events")
        top = checkpoint.serial
        wanted: list[tuple[str, str, float]] = []
        for event in events[:MAX_EVENTS]:
            if not isinstance(event, (list, tuple)) or len(event) < 5:
                continue
            name, _, when, action, serial = event[:5]
            top = max(top, int(serial))
            text = str(action)
            if text.startswith("add ") and " file " in text:
                filename = text.rsplit(" file ", 1)[1].strip()
                if filename and filename not in checkpoint.seen:
                    wanted.append((str(name), filename, float(when)))
        return Changes(tuple(self._locate(wanted)), top, None)

    def _locate(self, wanted: list[tuple[str, str, float]]) -> list[NewFile]:
        pages: dict[str, dict[str, NewFile]] = {}
        found: list[NewFile] = []
        for project, filename, when in wanted:
            if project not in pages:
                try:
                    pages[project] = {f.filename: f for f in project_files(self.client, project)}
                except IndexLookupError:
                    pages[project] = {}  # the project is gone (removed malware, often)
            listed = pages[project].get(filename)
            if listed is None:
                listed = NewFile(project, filename, file_kind(filename, project)[1] or "", None, when)
            found.append(listed)
        return list({f.filename: f for f in found}.values())
