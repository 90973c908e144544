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
from vetpy.features.calls import BEHAVIOUR_KINDS
from vetpy.features.extract import extract_features
from vetpy.features.interface import Evidence, PackageFeatures
from vetpy.features.registry import BY_ID
from vetpy.gcpause import paused_gc
from vetpy.model.interface import Contribution, Scorer
from vetpy.model.occlusion import score_and_explain
from vetpy.model.rules import RuleScorer
from vetpy.policy import feature_findings, hard_findings, policy_reasons
from vetpy.redact import redact
from vetpy.result import Outcome, Reason, ScanResult, Verdict, one_line

if TYPE_CHECKING:  # imported only when an index is asked (local scans never load the HTTP stack)
    from vetpy.acquire.index import IndexClient

MAX_REASONS = 5


# The trained models' text features (bags of code tokens and of suspicious-line words) have no single
# evidence item; the reason names what they capture and points at the first code signal as an example.
TEXT_REASONS = {
    "text.code_tokens": "its API calls, imports and kinds of strings resemble known malware",
    "text.suspicious_lines": "its suspicious lines (exec, process, network, files) resemble known malware",
}


def default_scorer() -> Scorer:
    """The shipped trained model when there is one, else the transparent rule set."""
    from vetpy.model.loader import load_default_scorer

    try:
        scorer: Scorer = load_default_scorer()
    except ModelError:
        return RuleScorer()
    return scorer


def load_scorer(spec: str) -> Scorer:
    """A scorer from a CLI-style spec: ``rules`` for the rule set, else the path of a saved model."""
    if spec == "rules":
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


def incomplete_message(limit: str, score: float, threshold: float) -> str:
    """The error of a package whose reading stopped at a limit and whose partial score is below threshold.

    Policy: a limit hit (bomb, too many members, too slow) leaves part of the package unread, and an
    attacker can put the payload after the padding; so such a package is flagged when what was read
    scores at or above the threshold, and is otherwise an ``error`` (score and reasons kept), never benign.
    """
    advice = "raise the limit to scan the rest"
    if limit.startswith("parse:"):  # the syntax tree's bound (acquire/parsebound.py) is fixed: no flag
        advice = "a file past the syntax tree's bound is only pattern-scanned (the bound is fixed)"
    return one_line(
        f"incomplete scan: reading stopped at a limit ({limit}); the part read scored {score:.3f} "
        f"(threshold {threshold:g}); {advice}"
    )


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
        """Score one opened archive (never raises: failures become an ``error`` result).

        Hard findings (see :mod:`vetpy.policy`) flag the package whatever its score; a scan that left
        code unread (``limit_hit``) is flagged when what was read scores over the threshold, else it is
        an ``error`` with the partial score, never benign.
        """
        start = time.perf_counter()
        try:
            features = extract_features(archive.analysed())
            score, contributions = score_and_explain(self.scorer, features, 2 * MAX_REASONS)
            findings = feature_findings(features) + hard_findings(archive)
            malicious = score >= self.threshold or bool(findings) or bool(archive.limit_hit)
            reasons = policy_reasons(findings) + self._reasons(archive, features, contributions, malicious)
        except Exception as exc:
            failed = failed_result(archive.target, exc, notes=notes + archive.notes)
            return replace(failed, filename=archive.filename, seconds=time.perf_counter() - start)
        flagged = score >= self.threshold or bool(findings)
        verdict = Verdict.MALICIOUS if flagged else Verdict.BENIGN
        error = None
        if archive.limit_hit:  # an incomplete scan is never reported benign (see SECURITY.md, "Limits")
            notes = (*notes, one_line(f"incomplete scan: reading stopped at a limit ({archive.limit_hit})"))
            if verdict is Verdict.BENIGN:
                verdict = Verdict.ERROR
                error = incomplete_message(archive.limit_hit, score, self.threshold)
        return ScanResult(
            target=archive.target,
            name=features.name,
            version=features.version,
            sha256=archive.sha256,
            verdict=verdict,
            score=score,
            threshold=self.threshold,
            reasons=reasons,
            error=error,
            seconds=time.perf_counter() - start,
            notes=notes + archive.notes,
            filename=archive.filename,
        )

    def _reasons(
        self, archive: Archive, features: PackageFeatures, explained: list[Contribution], malicious: bool
    ) -> tuple[Reason, ...]:
        """What pushed the score toward malice (``explained``: the scorer's contributions), as things a user
        can check. A malicious verdict lists the located evidence that decided it first (largest
        contribution first), then the rest; a benign verdict lists only located evidence (file:line),
        never a general resemblance or a size statistic."""
        reasons: list[Reason] = []
        if archive.limit_hit:
            message = one_line(f"reading stopped early at a limit: {archive.limit_hit}")
            reasons.append(Reason("archive.limit_hit", message))
        contributions = [c for c in explained if c.weight > 0]
        located = [
            (c, ev[0])
            for c in contributions
            if c.feature not in TEXT_REASONS
            and (ev := [e for e in features.evidence_for(c.feature) if e.file])
        ]
        example = located[0][1] if located else _first_code_evidence(features)
        found: list[Reason] = [Reason(c.feature, one_line(e.message), e.file, e.line) for c, e in located]
        rest: list[Reason] = []
        for c in contributions:
            if c.feature in TEXT_REASONS:
                message = TEXT_REASONS[c.feature] + (f" (e.g. {example.message})" if example else "")
                where = (example.file, example.line) if example else (None, None)
                rest.append(Reason(c.feature, one_line(message), *where))
            elif not any(r.feature == c.feature for r in found):
                spec = BY_ID.get(c.feature)
                rest.append(Reason(c.feature, one_line(spec.description if spec else c.feature)))
        if archive.limit_hit:
            found = [r for r in found if r.feature != "archive.limit_hit"]
            rest = [r for r in rest if r.feature != "archive.limit_hit"]
        if malicious:  # the model's reasons, then located behaviours they did not name, in the room left
            rest += _behaviours(features, {r.feature for r in found + rest})
        reasons += found + rest if malicious else found
        return tuple(reasons[: MAX_REASONS + (1 if archive.limit_hit else 0)])

    # -- one target ----------------------------------------------------------------------------------
    def scan_target(self, target: Target) -> ScanResult:
        """Acquire and scan one resolved target (never raises; no login or token in the result), with the
        cyclic garbage collector paused (gcpause.py)."""
        with paused_gc():
            result = redact_result(self._scan_target(target))
        return replace(result, origin=str(target.origin)) if target.origin else result

    def _scan_target(self, target: Target) -> ScanResult:
        start = time.perf_counter()
        notes = (target.warning,) if target.warning else ()
        problem = target_problem(target)
        if problem is not None:
            return problem
        if self.cache is not None:
            sha = target.release.sha256 if target.release else None
            if target.path is not None:
                sha = file_sha256(target.path)
            cached = self.cache.get(sha, target=target.label, notes=notes)
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


def _behaviours(features: PackageFeatures, named: set[str]) -> list[Reason]:
    """Located behaviours (runs downloaded code, reads credentials, ...) no reason named yet, one per kind."""
    out: dict[str, Reason] = {}
    for e in features.evidence:
        if e.file and e.feature in BEHAVIOUR_KINDS and e.feature not in named and e.feature not in out:
            out[e.feature] = Reason(e.feature, one_line(e.message), e.file, e.line)
    return list(out.values())


def _first_code_evidence(features: PackageFeatures) -> Evidence | None:
    """The first located install-time or code signal: an example for the text-bag reasons."""
    return next(
        (e for e in features.evidence if e.file and e.feature.startswith(("install.", "code."))), None
    )


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
