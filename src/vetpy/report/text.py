"""The human report: one rich table row per package with verdict, score and top reasons."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vetpy.report.escape import escape_text
from vetpy.result import Outcome, Reason, ScanResult, Verdict

_STYLE = {Verdict.MALICIOUS: "bold red", Verdict.BENIGN: "green", Verdict.ERROR: "yellow"}


def reason_text(reason: Reason) -> str:
    """``feature: message (file:line)``."""
    where = ""
    if reason.file:
        where = f" ({reason.file}:{reason.line})" if reason.line else f" ({reason.file})"
    return escape_text(f"{reason.feature}: {reason.message}{where}")


def _package(result: ScanResult) -> Text:
    text = Text(escape_text(result.name or result.target))
    if result.name and result.name != result.target:
        text.append(f"\n{escape_text(result.target)}", style="dim")
    return text


def _details(result: ScanResult) -> Text:
    text = Text()
    lines: list[tuple[str, str]] = []
    if result.error:
        lines.append((escape_text(f"error: {result.error}"), "yellow"))
    lines += [(reason_text(r), "") for r in result.reasons]
    lines += [(escape_text(f"note: {n}"), "dim") for n in result.notes]
    for i, (line, style) in enumerate(lines):
        text.append(("\n" if i else "") + line, style=style)
    return text


def table(results: Sequence[ScanResult], *, model: str) -> Table:
    t = Table(title=f"vetpy scan (model: {model})", show_lines=True)
    t.add_column("package", overflow="fold")
    t.add_column("version")
    t.add_column("verdict")
    t.add_column("score", justify="right")
    t.add_column("reasons", overflow="fold")
    for r in results:
        verdict = "skipped" if r.outcome is Outcome.SKIPPED else r.verdict.value
        score = "-" if r.score is None else f"{r.score:.3f}"
        version = escape_text(r.version or "-")
        t.add_row(_package(r), version, Text(verdict, style=_STYLE[r.verdict]), score, _details(r))
    return t


def summary(results: Sequence[ScanResult]) -> str:
    counts = {v: sum(1 for r in results if r.verdict is v and not r.skipped) for v in Verdict}
    skipped = sum(1 for r in results if r.outcome is Outcome.SKIPPED)
    return (
        f"{len(results)} package(s): {counts[Verdict.MALICIOUS]} flagged malicious, "
        f"{counts[Verdict.BENIGN]} benign, {counts[Verdict.ERROR]} not scanned completely"
        + (f", {skipped} skipped on purpose" if skipped else "")
    )


def render(results: Sequence[ScanResult], *, model: str, color: bool = False, width: int = 120) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, width=width, highlight=False)
    console.print(table(results, model=model))
    console.print(summary(results))
    return buffer.getvalue()
