"""``scan --against-previous``: a scanned release's diff against its previous release, as extra reasons."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vetpy.acquire.archive import open_archive
from vetpy.acquire.index import IndexClient
from vetpy.acquire.interface import Archive, Limits
from vetpy.diff.compare import diff_archives
from vetpy.diff.interface import ReleaseDiff
from vetpy.diff.previous import choose_file, open_previous, open_release
from vetpy.errors import AcquireError
from vetpy.result import Reason, ScanResult, Verdict, one_line

MAX_DIFF_REASONS = 5
# signals that alone say "payload" (decoded or downloaded code run, shells, credential theft, install hooks)
STRONG_BEHAVIOURS = (
    "code.decode_exec",
    "code.download_exec",
    "code.reverse_shell",
    "code.credential_read",
    "code.startup_write",
    "install.",
)


def diff_reasons(diff: ReleaseDiff) -> tuple[Reason, ...]:
    """Up to five reasons: new kinds of behaviour first, then install-hook changes, new hosts, the rest."""
    since = f"since {diff.old.version or diff.old.filename}"
    ranked: list[tuple[int, Reason]] = []
    seen: set[str] = set()
    for b in diff.behaviours:
        if b.feature in seen:
            continue  # one reason per kind of behaviour, so five reasons say five different things
        seen.add(b.feature)
        what = "new behaviour" if b.new_feature else "new place for"
        reason = Reason("diff.new_behaviour", one_line(f"{what} {since}: {b.message}"), b.file, b.line)
        strong = b.feature.startswith(STRONG_BEHAVIOURS)
        ranked.append(((0 if strong else 1) if b.new_feature else 4, reason))
    for h in diff.hooks:
        reason = Reason(
            "diff.install_hook", one_line(f"install hook {h.change} {since}: {h.detail}"), h.file, h.line
        )
        ranked.append((2 if h.change != "removed" else 5, reason))
    for e in diff.endpoints:
        kind = "new host" if e.new_host else "new URL"
        reason = Reason("diff.new_endpoint", one_line(f"{kind} {since}: {e.value}"), e.file, e.line)
        ranked.append((3 if e.new_host else 6, reason))
    ranked.sort(key=lambda pair: pair[0])
    return tuple(reason for _, reason in ranked[:MAX_DIFF_REASONS])


def _reopen(result: ScanResult, client: IndexClient, limits: Limits, artifact: str) -> Archive:
    """The archive a result was made from, read again (a local path, else the index file with its sha256)."""
    path = Path(result.target)
    if path.exists():
        archive = open_archive(path, target=result.target, limits=limits)
    else:
        if not result.name or not result.version:
            raise AcquireError("no name and version to find the release on the index")
        files = client.release_files(result.name)
        matching = [f for f in files if result.sha256 and f.sha256 == result.sha256]
        by_name = [f for f in files if result.filename and f.filename == result.filename]
        chosen = matching or by_name
        release = chosen[0] if chosen else choose_file(files, result.name, result.version, None, artifact)
        archive = open_release(client, release, limits)
    if result.sha256 and archive.sha256 and archive.sha256 != result.sha256:
        raise AcquireError("the archive changed since it was scanned")
    return archive


def against_previous(
    result: ScanResult,
    *,
    client: IndexClient,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen
    artifact: str = "sdist",
) -> ScanResult:
    """``result`` with its diff against the previous release added as reasons (and a note saying which
    release it was compared with); a release that cannot be compared gets a note, never an error."""
    if result.skipped or result.verdict is Verdict.ERROR or not result.name:
        return result
    try:
        new = _reopen(result, client, limits, artifact)
        old = open_previous(new, None, client, limits, artifact)
        diff = diff_archives(new, old)
    except Exception as exc:  # a comparison that fails must not spoil the scan result
        return replace(
            result, notes=(*result.notes, one_line(f"not compared with a previous release: {exc}"))
        )
    note = one_line(f"compared with {diff.old.name}=={diff.old.version} ({diff.old.filename})")
    return replace(result, reasons=result.reasons + diff_reasons(diff), notes=(*result.notes, note))
