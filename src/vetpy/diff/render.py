"""A release diff as plain text or JSON (strings from the archives are shown escaped, on one line)."""

from __future__ import annotations

import json

from vetpy.diff.interface import ReleaseDiff, Side

MAX_FILES_SHOWN = 30


def _safe(text: object) -> str:
    """One printable line: control characters (terminal escapes from a hostile archive) escaped."""
    escaped = (ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))
    return "".join(escaped)[:300]


def _where(file: str | None, line: int | None) -> str:
    if file is None:
        return ""
    return f" ({_safe(file)}:{line})" if line else f" ({_safe(file)})"


def _side(label: str, s: Side) -> str:
    name = f"{s.name}=={s.version}" if s.name and s.version else s.target
    return f"{label}: {_safe(name)} ({_safe(s.filename)}, sha256 {s.sha256[:12] or '-'})"


def _files(diff: ReleaseDiff) -> list[str]:
    lines = [
        f"files: {len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed",
    ]
    for mark, paths in (("+", diff.added), ("-", diff.removed), ("~", diff.changed)):
        lines += [f"  {mark} {_safe(p)}" for p in paths[:MAX_FILES_SHOWN]]
        if len(paths) > MAX_FILES_SHOWN:
            lines.append(f"  {mark} ... {len(paths) - MAX_FILES_SHOWN} more")
    return lines


def render_text(diff: ReleaseDiff) -> str:
    lines = [_side("new", diff.new), _side("old", diff.old), *_files(diff)]
    lines.append(f"new behaviours: {len(diff.behaviours)}")
    for b in diff.behaviours:
        tag = "NEW" if b.new_feature else "more"
        lines.append(f"  [{tag}] {b.feature}: {_safe(b.message)}{_where(b.file, b.line)}")
        if b.snippet:
            lines.append(f"        {_safe(b.snippet)}")
    lines.append(f"new endpoints: {len(diff.endpoints)}")
    for e in diff.endpoints:
        tag = "new host" if e.new_host else "new URL"
        lines.append(f"  [{tag}] {_safe(e.value)}{_where(e.file, e.line)}")
    lines.append(f"install hooks changed: {len(diff.hooks)}")
    for h in diff.hooks:
        lines.append(f"  [{h.change}] {h.kind}: {_safe(h.detail)}{_where(h.file, h.line)}")
    lines += [f"note: {_safe(n)}" for n in diff.notes]
    verdict = "something that matters changed" if diff.notable else "nothing that matters changed"
    lines.append(f"summary: {verdict}")
    return "\n".join(lines) + "\n"


def render_json(diff: ReleaseDiff) -> str:
    return json.dumps(diff.to_dict(), indent=2, ensure_ascii=True) + "\n"
