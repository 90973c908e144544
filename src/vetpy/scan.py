"""The Scanner facade: acquire -> features -> model -> one ScanResult per package.

The CLI, the batch runner and the service are thin adapters over :class:`Scanner`. Nothing here raises
for a bad package: every failure becomes a result with verdict ``error`` and a one-line message.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from vetpy.acquire.interface import Archive, Limits
from vetpy.acquire.projectfile import ProjectFileError
from vetpy.acquire.release import Artifact
from vetpy.acquire.targets import ClientSource, Target, load_target, resolve_targets
from vetpy.cache.results import ResultCache, file_sha256
from vetpy.errors import ModelError, VetpyError
from vetpy.gcpause import paused_gc
from vetpy.redact import redact
from vetpy.result import Outcome, ScanResult, Verdict, one_line

if TYPE_CHECKING:  # imported only when an index is asked (local scans never load the HTTP stack)
    from vetpy.acquire.index import IndexClient
    from vetpy.model.interface import Scorer


def default_scorer() -> Scorer:
    """The shipped trained model when there is one (loaded on its first score: a result from the cache
    needs only its manifest), else the transparent rule set."""
    from vetpy.model.loader import deferred_default_scorer

    try:
        return deferred_default_scorer()
    except ModelError:
        from vetpy.model.rules import RuleScorer

        return RuleScorer()


def load_scorer(spec: str) -> Scorer:
    """A scorer from a CLI-style spec: ``rules`` for the rule set, else the path of a saved model."""
    if spec == "rules":
        from vetpy.model.rules import RuleScorer

        return RuleScorer()
    from vetpy.model.loader import load_scorer as load_saved

    return load_saved(Path(spec))


def error_result(
    target: str,
    message: object,
    *,
    seconds: float = 0.0,
    notes: tuple[str, ...] = (),
    out_of_memory: bool = False,
) -> ScanResult:
    """A result for a package that could not be scanned (outcome ``failed``: exit 3 unless flagged)."""
    return ScanResult(
        target=target,
        name=None,
        version=None,
        sha256=None,
        verdict=Verdict.ERROR,
        score=None,
        threshold=None,
        error=one_line(message),
        seconds=seconds,
        notes=notes,
        out_of_memory=out_of_memory,
    )


def failed_result(
    target: str, exc: BaseException, *, seconds: float = 0.0, notes: tuple[str, ...] = ()
) -> ScanResult:
    """The error result for ``exc`` raised while scanning ``target`` (a MemoryError is marked as such)."""
    return error_result(
        target, _describe(exc), seconds=seconds, notes=notes, out_of_memory=isinstance(exc, MemoryError)
    )


def skipped_result(target: str, why: object, *, notes: tuple[str, ...] = ()) -> ScanResult:
    """A result for a target left out on purpose (``-e .``, VCS links): outcome ``skipped``, exit 0."""
    reason = one_line(why)
    note = reason if reason.startswith("skipped") else f"skipped: {reason}"
    return ScanResult(
        target=target,
        name=None,
        version=None,
        sha256=None,
        verdict=Verdict.ERROR,
        score=None,
        threshold=None,
        skipped=True,
        notes=(*notes, note),
    )


def target_problem(target: Target) -> ScanResult | None:
    """The result of a target that cannot be scanned, or None. Targets carry a reason string today
    ("skipped: ..." on purpose, "error: ..." otherwise): this is the one place that reads it."""
    if not target.skipped:
        return None
    notes = (target.warning,) if target.warning else ()
    reason = target.skipped
    if reason.startswith("skipped:"):
        return skipped_result(target.label, reason, notes=notes)
    return error_result(target.label, reason.removeprefix("error:").strip(), notes=notes)


class Scanner:
    """Scan archives and targets with one scorer, one threshold and one set of reading limits."""

    def __init__(
        self,
        scorer: Scorer | None = None,
        limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
        client: ClientSource = None,
        threshold: float | None = None,
        artifact: Artifact = Artifact.AUTO,
        trust_requirements_indexes: bool = False,
        cache: ResultCache | None = None,
        deep: bool = False,
    ) -> None:
        self.scorer: Scorer = scorer if scorer is not None else default_scorer()
        self.limits = limits
        self._client = None if callable(client) else client
        self._make_client = client if callable(client) else None
        self.threshold = float(self.scorer.threshold if threshold is None else threshold)
        self.artifact = artifact
        self.trust_requirements_indexes = trust_requirements_indexes
        self.cache = cache
        self.deep = deep

    @property
    def client(self) -> IndexClient | None:
        """The index client; one given as a function is made on first use."""
        if self._make_client is not None:
            make, self._make_client = self._make_client, None
            self._client = make()
        return self._client

    # -- one archive ---------------------------------------------------------------------------------
    def scan_archive(self, archive: Archive, *, notes: tuple[str, ...] = ()) -> ScanResult:
        """Score one opened archive (never raises: failures become an ``error`` result); assess.py."""
        from vetpy.assess import assess_archive

        return assess_archive(archive, self.scorer, self.threshold, notes=notes)

    # -- one target ----------------------------------------------------------------------------------
    def scan_target(self, target: Target, *, cache_asked: bool = False) -> ScanResult:
        """Acquire and scan one resolved target (never raises; no login or token in the result), with the
        cyclic garbage collector paused (gcpause.py); ``cache_asked``: :meth:`cached_result` already
        missed, so the result cache is not asked again."""
        with paused_gc():
            return _finished(target, self._scan_target(target, cache_asked))

    def cached_result(self, target: Target) -> ScanResult | None:
        """The target's result from the result cache, as :meth:`scan_target` returns it, or None (no
        cache, a miss, or a target that cannot be scanned): nothing is read but the archive's digest."""
        if self.cache is None or target.skipped:
            return None
        start = time.perf_counter()
        found = self._cached(target, (target.warning,) if target.warning else ())
        return None if found is None else _finished(target, _with_seconds(found, time.perf_counter() - start))

    def _cached(self, target: Target, notes: tuple[str, ...]) -> ScanResult | None:
        if self.cache is None:
            return None
        sha = file_sha256(target.path) if target.path is not None else None
        if target.path is None and target.release is not None:
            sha = target.release.sha256
        return self.cache.get(sha, target=target.label, notes=notes)

    def _scan_target(self, target: Target, cache_asked: bool) -> ScanResult:
        start = time.perf_counter()
        notes = (target.warning,) if target.warning else ()
        problem = target_problem(target)
        if problem is not None:
            return problem
        cached = None if cache_asked else self._cached(target, notes)
        if cached is not None:
            return _with_seconds(cached, time.perf_counter() - start)
        try:
            client = self.client if target.release is not None else None  # local: no index client
            archive = load_target(target, client=client, limits=self.limits)
        except Exception as exc:
            seconds = time.perf_counter() - start
            result = failed_result(target.label, exc, seconds=seconds, notes=notes)
            return replace(result, filename=target.release.filename if target.release else None)
        result = self.scan_archive(archive, notes=notes)
        if self.cache is not None:
            self.cache.put(result, own_notes=notes)
        return _with_seconds(result, time.perf_counter() - start)

    # -- many targets --------------------------------------------------------------------------------
    def resolve(self, targets: Sequence[str], requirements: Sequence[Path] = ()) -> list[Target | ScanResult]:
        """Resolve targets (and with ``deep`` their whole dependency trees); what cannot be resolved becomes
        an error result."""
        resolved = self._resolve(targets, requirements)
        if self.deep:
            from vetpy.acquire.deep import expand
            from vetpy.acquire.index import IndexClient

            roots = [t for t in resolved if isinstance(t, Target)]
            resolved.extend(expand(roots, self.client or IndexClient(), self.artifact))
        return resolved

    def _client_source(self) -> ClientSource:
        """The client for resolving: as it is, or (not made yet) a function that makes it on first use."""
        return self._client if self._make_client is None else lambda: self.client

    def _resolve(
        self, targets: Sequence[str], requirements: Sequence[Path] = ()
    ) -> list[Target | ScanResult]:
        trust = self.trust_requirements_indexes
        try:
            return list(
                resolve_targets(
                    targets,
                    requirements,
                    artifact=self.artifact,
                    client=self._client_source(),
                    trust_requirements_indexes=trust,
                )
            )
        except ProjectFileError:
            raise  # an unreadable project file is a usage error (exit 2)
        except Exception:  # resolve one by one so a single bad input does not sink the rest
            pass
        resolved: list[Target | ScanResult] = []
        for label, reqs in [(t, ()) for t in targets] + [(str(r), (r,)) for r in requirements]:
            try:
                items = resolve_targets(
                    [] if reqs else [label],
                    reqs,
                    artifact=self.artifact,
                    client=self._client_source(),
                    trust_requirements_indexes=trust,
                )
                resolved.extend(items)
            except ProjectFileError:
                raise
            except Exception as exc:
                resolved.append(failed_result(label, exc))
        return resolved

    def scan(self, targets: Sequence[str], requirements: Sequence[Path] = ()) -> list[ScanResult]:
        """Scan every target (local archives, folders, ``name[==version]``) and requirements file."""
        return [
            redact_result(item) if isinstance(item, ScanResult) else self.scan_target(item)
            for item in self.resolve(targets, requirements)
        ]


def _describe(exc: BaseException) -> str:
    """A one-line message: user-facing errors as they are, anything else marked as internal."""
    if isinstance(exc, VetpyError):
        return one_line(exc)
    return one_line(f"internal error: {type(exc).__name__}: {exc}")


def redact_result(result: ScanResult) -> ScanResult:
    """``result`` with logins and registered secrets removed from every text field."""
    return replace(
        result,
        target=redact(result.target),
        error=None if result.error is None else redact(result.error),
        notes=tuple(redact(n) for n in result.notes),
        reasons=tuple(replace(r, message=redact(r.message)) for r in result.reasons),
    )


def _finished(target: Target, result: ScanResult) -> ScanResult:
    """A target's result as the Scanner returns it: redacted, with the target's origin."""
    result = redact_result(result)
    return replace(result, origin=str(target.origin)) if target.origin else result


def _with_seconds(result: ScanResult, seconds: float) -> ScanResult:
    return replace(result, seconds=seconds)


#: Exit codes of ``scan`` and ``batch`` (docs/design.md): 2 is a usage error, raised elsewhere.
EXIT_CLEAN, EXIT_FLAGGED, EXIT_INCOMPLETE = 0, 1, 3


def exit_code(results: Sequence[ScanResult]) -> int:
    """The contract's exit code: 1 if any package is flagged (or known malicious), else 3 if any target
    could not be scanned completely, else 0 (targets skipped on purpose do not count)."""
    results = [r for r in results if r.ignored is None]  # ignored results stay in the report only
    if any(r.flagged for r in results):
        return EXIT_FLAGGED
    if any(r.outcome is Outcome.FAILED for r in results):
        return EXIT_INCOMPLETE
    return EXIT_CLEAN
