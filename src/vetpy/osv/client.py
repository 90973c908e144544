"""A small client for OSV's HTTP API: ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``.

Every call has a tight time-out and a size cap; any failure (no network, HTTP error, bad JSON) is one
:class:`OsvUnavailable`, which the lookup turns into a note.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

from vetpy import settings
from vetpy.result import one_line

DEFAULT_OSV_URL = "https://api.osv.dev"  # OSV's public service (not a package registry)
ECOSYSTEM = "PyPI"  # OSV's name for the Python ecosystem
MAX_BATCH = 1000  # OSV's documented limit of queries per querybatch
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
USER_AGENT = "vetpy (static malicious-package scanner)"


class OsvUnavailable(Exception):
    """OSV could not be asked (unreachable, slow, refused, or answered nonsense)."""


@dataclass(frozen=True)
class Query:
    """One release to ask about: a canonical project name and a version (None: any version)."""

    name: str
    version: str | None


@dataclass(frozen=True)
class VulnRef:
    """An advisory id as querybatch lists it, with its last-modified stamp."""

    id: str
    modified: str


def osv_url(explicit: str | None = None) -> str:
    """The OSV API base: ``explicit``, else ``VETPY_OSV_URL`` (read into the settings), else the public
    service."""
    return (explicit or settings.current().osv_url or DEFAULT_OSV_URL).rstrip("/")


class OsvClient:
    """Talks to one OSV API base URL with a per-request time-out (seconds)."""

    def __init__(self, base_url: str | None = None, timeout: float = 3.0) -> None:
        self.base_url = osv_url(base_url)
        self.timeout = timeout

    def querybatch(self, queries: list[Query]) -> list[list[VulnRef]]:
        """The advisories affecting each query, in order (batched by OSV's limit)."""
        answers: list[list[VulnRef]] = []
        for start in range(0, len(queries), MAX_BATCH):
            chunk = queries[start : start + MAX_BATCH]
            body = {"queries": [_query_json(q) for q in chunk]}
            page = self._request("/v1/querybatch", body)
            results = page.get("results") if isinstance(page, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise OsvUnavailable("OSV answered querybatch without one result per query")
            answers.extend(_vuln_refs(item) for item in results)
        return answers

    def vuln(self, vuln_id: str) -> dict[str, Any]:
        """One advisory's full record."""
        page = self._request(f"/v1/vulns/{urllib.parse.quote(vuln_id, safe='')}", None)
        if not isinstance(page, dict):
            raise OsvUnavailable(f"OSV answered {vuln_id} with no record")
        return page

    def _request(self, path: str, body: dict[str, Any] | None) -> Any:
        import urllib.error  # with urllib.request, its HTTP and TLS stack: only when OSV is asked
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise OsvUnavailable(f"OSV: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OsvUnavailable(one_line(f"OSV unreachable: {reason}")) from exc
        if len(raw) > MAX_RESPONSE_BYTES:
            raise OsvUnavailable("OSV answer too large")
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise OsvUnavailable("OSV answered with something that is not JSON") from exc


def _query_json(query: Query) -> dict[str, Any]:
    item: dict[str, Any] = {"package": {"name": query.name, "ecosystem": ECOSYSTEM}}
    if query.version:
        item["version"] = query.version
    return item


def _vuln_refs(item: Any) -> list[VulnRef]:
    vulns = item.get("vulns") if isinstance(item, dict) else None
    if not isinstance(vulns, list):
        return []
    return [
        VulnRef(str(v["id"]), str(v.get("modified", "")))
        for v in vulns
        if isinstance(v, dict) and isinstance(v.get("id"), str)
    ]
