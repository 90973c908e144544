"""Import-time reachability: which of a module's own functions its module-level code calls (directly or
handed to a thread, timer, process or exit hook), and what those functions do."""

from __future__ import annotations

import ast

from vetpy.features import calls
from vetpy.features.source.facts import Hit
from vetpy.features.source.state import WalkState


def takes_callbacks(q: str) -> bool:
    """Whether a call of the resolved name ``q`` hands its arguments to a thread, timer, process or hook."""
    return q.rsplit(".", 1)[-1] in calls.CALLBACK_TAKERS


class ImportReach(WalkState):
    """Records local calls during the walk and adds what they reach to ``import_time`` at the end."""

    def note_local_calls(self, node: ast.Call, callbacks: bool) -> None:
        """Record calls of names that may be this module's functions, directly or handed to a thread,
        timer, process or exit hook (``callbacks``: :func:`takes_callbacks` of the call's resolved name),
        for the import-time reachability in :meth:`finish`."""
        local = isinstance(node.func, ast.Name) and node.func.id not in self.aliases
        takes_callbacks = callbacks
        if not (local or takes_callbacks):
            return  # nothing to record (most calls: methods, imported names)
        names: list[ast.expr] = [node.func] if local else []
        if takes_callbacks:
            names.extend(node.args)
            names.extend(kw.value for kw in node.keywords)
        where = None if self.func is None and not self.in_main else self.func or ""
        place = self.calls_from.setdefault(where, {})
        for n in names:
            if isinstance(n, ast.Name):
                place.setdefault(n.id, node.lineno)

    def import_reach(self) -> None:
        """Add to ``import_time`` what this module's functions do when module-level code calls them."""
        todo = [(name, line) for name, line in self.calls_from.get(None, {}).items() if name in self.defined]
        seen: set[str] = set()
        while todo and len(seen) < 500:
            name, line = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for feature, found in self.func_hits.get(name, {}).items():
                message = f"{found.message} (in {name}(), called at import)"
                self.scan.import_time.setdefault(feature, Hit(feature, line, message, self.lines.get(line)))
            todo.extend((n, line) for n in self.calls_from.get(name, {}) if n in self.defined)
