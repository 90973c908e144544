"""The Markdown report, for pull-request comments and CI job summaries.

Flagged packages first (with their evidence in a collapsible block), then packages that could not be
scanned, then ignored ones; benign packages are counted and listed in a collapsed table. Every string that
comes from a package or a project file is escaped, so a package name cannot inject Markdown, HTML, links
or ``@mentions`` into the comment, and the whole report stays under GitHub's comment size limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from vetpy import __version__
from vetpy.result import Reason, ScanResult, Verdict

MAX_CHARS = 60_000  # GitHub refuses comments over 65,536 characters
MAX_CELL = 160
MAX_BENIGN_ROWS = 200
_SPECIAL = set("\\`*_{}[]()#+!|~>")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;", "|": "&#124;"}


def escape(text: object, limit: int = MAX_CELL) -> str:
    """``text`` as inert Markdown on one line: no markup, HTML, links or mentions; cut to ``limit``."""
    flat = " ".join(str(text).split())
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    out = []
    for char in flat:
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _SPECIAL:
            out.append("\\" + char)
        elif (
            ord(char) < 32
            or 0x7F <= ord(char) < 0xA0
            or char in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        ):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def _reason(reason: Reason) -> str:
    where = ""
    if reason.file:
        where = f" — {escape(reason.file, 120)}" + (f":{reason.line}" if reason.line else "")
    return f"- **{escape(reason.feature, 60)}**: {escape(reason.message, 300)}{where}"


def _score(result: ScanResult) -> str:
    return "-" if result.score is None else f"{result.score:.3f}"


def _filename(result: ScanResult) -> str:
    return escape(getattr(result, "filename", None) or "-")


def _row(result: ScanResult, mark: str) -> str:
    cells = [
        mark,
        escape(result.name or result.target),
        escape(result.version or "-", 40),
        _filename(result),
        _score(result),
        escape(result.origin or "-"),
    ]
    return "| " + " | ".join(cells) + " |"


HEADER = "| | package | version | file | score | from |\n|---|---|---|---|---|---|"


def _flagged_section(flagged: Sequence[ScanResult]) -> list[str]:
    lines = ["### Flagged malicious", "", HEADER, *(_row(r, ":x:") for r in flagged), ""]
    for result in flagged:
        title = f"{escape(result.name or result.target)} {escape(result.version or '', 40)}: why"
        lines += ["<details><summary>" + title + "</summary>", ""]
        lines += [_reason(r) for r in result.reasons] or ["- the model scored the package as malicious"]
        lines += ["", "</details>", ""]
    return lines


def _error_section(errors: Sequence[ScanResult]) -> list[str]:
    lines = ["### Not scanned completely", ""]
    for result in errors:
        kind = "skipped" if result.skipped else "error"
        origin = f" ({escape(result.origin)})" if result.origin else ""
        lines.append(
            f"- :warning: {escape(result.target)}{origin}: {kind}: {escape(result.error or '', 300)}"
        )
    return [*lines, ""]


def _ignored_section(ignored: Sequence[ScanResult]) -> list[str]:
    lines = ["### Ignored (`[tool.vetpy] ignore`)", ""]
    for result in ignored:
        assert result.ignored is not None
        until = f", until {escape(result.ignored.expires, 20)}" if result.ignored.expires else ""
        lines.append(
            f"- {escape(result.name or result.target)} {escape(result.version or '', 40)}: "
            f"{result.verdict.value}, ignored: {escape(result.ignored.reason, 300)}{until}"
        )
    return [*lines, ""]


def _benign_section(benign: Sequence[ScanResult]) -> list[str]:
    lines = [f"<details><summary>{len(benign)} benign package(s)</summary>", "", HEADER]
    lines += [_row(r, ":white_check_mark:") for r in benign[:MAX_BENIGN_ROWS]]
    if len(benign) > MAX_BENIGN_ROWS:
        lines.append(f"\n…and {len(benign) - MAX_BENIGN_ROWS} more")
    return [*lines, "", "</details>", ""]


def render(results: Sequence[ScanResult], *, model: str) -> str:
    active = [r for r in results if r.ignored is None]
    flagged = [r for r in active if r.verdict is Verdict.MALICIOUS]
    errors = [r for r in active if r.verdict is Verdict.ERROR]
    benign = [r for r in active if r.verdict is Verdict.BENIGN]
    ignored = [r for r in results if r.ignored is not None]
    if flagged:
        headline = f":x: {len(flagged)} of {len(results)} package(s) flagged malicious"
    elif errors:
        headline = f":warning: nothing flagged, but {len(errors)} of {len(results)} package(s) not scanned"
    else:
        headline = f":white_check_mark: nothing flagged in {len(results)} package(s)"
    lines = [f"## vetpy: {headline}", ""]
    if flagged:
        lines += _flagged_section(flagged)
    if errors:
        lines += _error_section(errors)
    if ignored:
        lines += _ignored_section(ignored)
    if benign:
        lines += _benign_section(benign)
    lines.append(
        f"<sub>vetpy {escape(__version__, 20)}, model {escape(model, 40)}; "
        "nothing was installed or run.</sub>"
    )
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_CHARS:
        text = (
            text[:MAX_CHARS].rsplit("\n", 1)[0] + "\n\n…report cut to fit a comment; see the JSON report.\n"
        )
    return text
