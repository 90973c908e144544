"""Which releases OSV knows as malicious, and what that does to scan results.

An advisory counts when its id starts with ``MAL-`` (OSV's malicious-packages database) or when its
summary says malicious/malware (read from the advisory's record, cached). The lookup never raises: when
OSV cannot be asked in time, each result it should have covered gets a note instead.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from vetpy.osv.cache import OsvCache
from vetpy.osv.client import OsvClient, OsvUnavailable, Query, VulnRef
from vetpy.result import Reason, ScanResult, Verdict, one_line
from vetpy.settings import current as current_settings

MAL_PREFIX = "MAL-"
MALICIOUS_SUMMARY_RE = re.compile(r"\bmalicious\b|\bmalware\b", re.IGNORECASE)
RESOLVE_SECONDS = 2.0  # a name resolver that has not answered by then has lost the query (it retries at 5 s)
SHARED_PAUSE = 60.0  # after a failure, other vetpy processes using the same cache skip OSV this long
REASON_FEATURE = "known_malicious"
T = TypeVar("T")


@dataclass(frozen=True)
class LookupOutcome:
    """The malicious advisory ids per query, and a note when some queries could not be answered."""

    hits: Mapping[Query, tuple[str, ...]] = field(default_factory=dict)
    unanswered: frozenset[Query] = frozenset()
    partial: frozenset[Query] = frozenset()  # answered, but some advisories could not be read in time
    note: str | None = None


class KnownMaliciousLookup:
    """Batch lookups against OSV with a cache, a time budget and a pause after a failure."""

    def __init__(
        self,
        client: OsvClient,
        cache: OsvCache | None = None,
        *,
        budget_seconds: float = 8.0,
        max_details: int = 40,
        retry_after: float = 300.0,
        resolve_seconds: float = RESOLVE_SECONDS,
    ) -> None:
        self.client = client
        self.cache = cache or OsvCache(None, 0.0)
        self.budget_seconds = budget_seconds
        self.max_details = max_details
        self.retry_after = retry_after
        self.resolve_seconds = resolve_seconds
        self._down_until = 0.0
        self._down_reason = ""

    def check(self, queries: Sequence[Query]) -> LookupOutcome:
        """Ask about every distinct query (cached answers first); never raises."""
        deadline = time.monotonic() + self.budget_seconds
        unique = list(dict.fromkeys(queries))
        answers: dict[Query, list[VulnRef]] = {}
        missing: list[Query] = []
        for query in unique:
            cached = self.cache.answer(_key(query))
            if cached is None:
                missing.append(query)
            else:
                answers[query] = cached
        note = None
        if missing:
            note = self._ask(missing, answers)
        hits: dict[Query, tuple[str, ...]] = {}
        partial: set[Query] = set()
        for query, refs in answers.items():
            ids: list[str] = []
            for ref in refs:
                verdict = self._is_malicious(ref, deadline)
                if verdict is None:
                    partial.add(query)
                elif verdict:
                    ids.append(ref.id)
            if ids:
                hits[query] = tuple(sorted(set(ids)))
        unanswered = frozenset(q for q in unique if q not in answers)
        return LookupOutcome(hits=hits, unanswered=unanswered, partial=frozenset(partial), note=note)

    def _ask(self, missing: list[Query], answers: dict[Query, list[VulnRef]]) -> str | None:
        if time.monotonic() < self._down_until:
            return f"known-malicious lookup skipped: {self._down_reason}"
        shared = self.cache.paused(self.client.base_url)  # another run just found it unreachable
        if shared is not None:
            self._down_until, self._down_reason = time.monotonic() + self.retry_after, shared
            return f"known-malicious lookup skipped: {shared}"
        try:
            check_name(self.client.base_url, self.resolve_seconds)
            fetched = within(self.budget_seconds, lambda: self.client.querybatch(missing))
        except OsvUnavailable as exc:
            self._down_until = time.monotonic() + self.retry_after
            self._down_reason = one_line(exc)
            self.cache.pause(self.client.base_url, self._down_reason, min(SHARED_PAUSE, self.retry_after))
            return f"known-malicious lookup skipped: {self._down_reason}"
        for query, refs in zip(missing, fetched, strict=True):
            answers[query] = refs
            self.cache.store_answer(_key(query), refs)
        return None

    def _is_malicious(self, ref: VulnRef, deadline: float) -> bool | None:
        if ref.id.upper().startswith(MAL_PREFIX):
            return True
        known = self.cache.malicious(ref)
        if known is not None:
            return known
        if self.max_details <= 0 or time.monotonic() > deadline or time.monotonic() < self._down_until:
            return None
        self.max_details -= 1
        try:
            record = within(max(0.0, deadline - time.monotonic()), lambda: self.client.vuln(ref.id))
        except OsvUnavailable:
            return None
        summary = record.get("summary")
        malicious = isinstance(summary, str) and bool(MALICIOUS_SUMMARY_RE.search(summary))
        self.cache.store_malicious(ref, malicious)
        return malicious


def within(seconds: float, call: Callable[[], T]) -> T:
    """``call()``, given up after ``seconds`` (a name lookup that hangs is not covered by socket
    time-outs); the abandoned call finishes in a daemon thread."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:
            box["error"] = exc

    worker = threading.Thread(target=run, name="vetpy-osv", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise OsvUnavailable(f"OSV did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def check_name(url: str, seconds: float) -> None:
    """Raise OsvUnavailable when the host of ``url`` does not resolve, or not within ``seconds``: a resolver
    that lost the query blocks for its own time-out (5 s, then again), out of reach of socket time-outs.
    Behind a proxy the proxy resolves the name, so nothing is checked here."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname
    if not host or _proxied(parts.scheme, host):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        within(seconds, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except OsvUnavailable:
        raise OsvUnavailable(
            f"OSV unreachable: the name resolver did not answer within {seconds:g} s"
        ) from None
    except (OSError, ValueError) as exc:
        raise OsvUnavailable(one_line(f"OSV unreachable: {exc}")) from exc


def _proxied(scheme: str, host: str) -> bool:
    """Whether urllib sends requests for ``host`` through a proxy (read from the environment on Linux:
    without a ``*_proxy`` variable there is none, and urllib's HTTP stack need not be imported to see it)."""
    if sys.platform.startswith("linux") and not any(k.lower().endswith("_proxy") for k in os.environ):
        return False
    import urllib.request

    return scheme in urllib.request.getproxies() and not urllib.request.proxy_bypass(host)


def _key(query: Query) -> str:
    return f"{query.name}=={query.version or ''}"


def query_for(result: ScanResult) -> Query | None:
    """The release a result is about (its name and version, else a pinned ``name==version`` target)."""
    if result.skipped:
        return None
    name, version = result.name, result.version
    if not name:
        try:
            requirement = Requirement(result.target)
        except InvalidRequirement:
            return None
        specs = list(requirement.specifier)
        name = requirement.name
        pinned = len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version
        version = specs[0].version if pinned else None
        if version is None:
            return None
    return Query(canonicalize_name(name), version or None)


def mark_known_malicious(result: ScanResult, ids: tuple[str, ...]) -> ScanResult:
    """The result with its advisories: verdict malicious, the advisories as the first reason."""
    reason = Reason(REASON_FEATURE, one_line(f"known malicious: {', '.join(ids)} (OSV advisory)"))
    notes = result.notes + ((one_line(f"scan incomplete: {result.error}"),) if result.error else ())
    return replace(
        result,
        verdict=Verdict.MALICIOUS,
        known_malicious=ids,
        reasons=(reason, *(r for r in result.reasons if r.feature != REASON_FEATURE)),
        error=None,
        notes=notes,
    )


def apply_known_malicious(results: Sequence[ScanResult], lookup: KnownMaliciousLookup) -> list[ScanResult]:
    """Every result, with known-malicious hits marked and a note where the lookup could not answer."""
    queries = [query_for(r) for r in results]
    outcome = lookup.check([q for q in queries if q is not None])
    out: list[ScanResult] = []
    for result, query in zip(results, queries, strict=True):
        if query is None:
            out.append(result)
        elif query in outcome.hits:
            out.append(mark_known_malicious(result, outcome.hits[query]))
        elif query in outcome.unanswered:
            note = outcome.note or "known-malicious lookup skipped"
            out.append(replace(result, notes=(*result.notes, note)))
        elif query in outcome.partial:
            note = "known-malicious lookup incomplete: some advisories could not be read in time"
            out.append(replace(result, notes=(*result.notes, note)))
        else:
            out.append(result)
    return out


def lookup_from_options(
    enabled: bool, url: str | None = None, timeout: float = 3.0
) -> KnownMaliciousLookup | None:
    """The lookup a command should use (None when ``--no-osv``), cached in vetpy's cache folder."""
    if not enabled:
        return None
    configured = current_settings()
    cache = OsvCache(configured.cache_dir / "osv.sqlite", configured.osv_cache_seconds)
    return KnownMaliciousLookup(OsvClient(url, timeout=timeout), cache)
