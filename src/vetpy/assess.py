"""Assess one opened archive: features -> score -> verdict, with the reasons a user can check.

Kept apart from the Scanner facade (scan.py) so that a scan answered from the result cache never imports
the extractor, the detectors or NumPy.
"""

from __future__ import annotations

import time
from dataclasses import replace

from vetpy.acquire.interface import Archive
from vetpy.features.calls import BEHAVIOUR_KINDS
from vetpy.features.extract import extract_features
from vetpy.features.interface import Evidence, PackageFeatures
from vetpy.features.registry import BY_ID
from vetpy.model.interface import Contribution, Scorer
from vetpy.model.occlusion import score_and_explain
from vetpy.policy import feature_findings, hard_findings, policy_reasons
from vetpy.result import Reason, ScanResult, Verdict, one_line
from vetpy.scan import failed_result

MAX_REASONS = 5

# The trained models' text features (bags of code tokens and of suspicious-line words) have no single
# evidence item; the reason names what they capture and points at the first code signal as an example.
TEXT_REASONS = {
    "text.code_tokens": "its API calls, imports and kinds of strings resemble known malware",
    "text.suspicious_lines": "its suspicious lines (exec, process, network, files) resemble known malware",
}


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


def assess_archive(
    archive: Archive, scorer: Scorer, threshold: float, *, notes: tuple[str, ...] = ()
) -> ScanResult:
    """Score one opened archive (never raises: failures become an ``error`` result).

    Hard findings (see :mod:`vetpy.policy`) flag the package whatever its score; a scan that left
    code unread (``limit_hit``) is flagged when what was read scores over the threshold, else it is
    an ``error`` with the partial score, never benign.
    """
    start = time.perf_counter()
    try:
        features = extract_features(archive.analysed())
        score, contributions = score_and_explain(scorer, features, 2 * MAX_REASONS)
        findings = feature_findings(features) + hard_findings(archive)
        malicious = score >= threshold or bool(findings) or bool(archive.limit_hit)
        reasons = policy_reasons(findings) + _reasons(archive, features, contributions, malicious)
    except Exception as exc:
        failed = failed_result(archive.target, exc, notes=notes + archive.notes)
        return replace(failed, filename=archive.filename, seconds=time.perf_counter() - start)
    flagged = score >= threshold or bool(findings)
    verdict = Verdict.MALICIOUS if flagged else Verdict.BENIGN
    error = None
    if archive.limit_hit:  # an incomplete scan is never reported benign (see SECURITY.md, "Limits")
        notes = (*notes, one_line(f"incomplete scan: reading stopped at a limit ({archive.limit_hit})"))
        if verdict is Verdict.BENIGN:
            verdict = Verdict.ERROR
            error = incomplete_message(archive.limit_hit, score, threshold)
    return ScanResult(
        target=archive.target,
        name=features.name,
        version=features.version,
        sha256=archive.sha256,
        verdict=verdict,
        score=score,
        threshold=threshold,
        reasons=reasons,
        error=error,
        seconds=time.perf_counter() - start,
        notes=notes + archive.notes,
        filename=archive.filename,
    )


def _reasons(
    archive: Archive, features: PackageFeatures, explained: list[Contribution], malicious: bool
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
        if c.feature not in TEXT_REASONS and (ev := [e for e in features.evidence_for(c.feature) if e.file])
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
