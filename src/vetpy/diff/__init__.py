"""Release diffs: what a release adds or changes against an older one (files, behaviours, endpoints,
install hooks), with file:line evidence from the new release."""

from vetpy.diff.compare import diff_archives
from vetpy.diff.interface import Behaviour, Endpoint, HookChange, ReleaseDiff, Side
from vetpy.diff.reasons import against_previous, diff_reasons

__all__ = [
    "Behaviour",
    "Endpoint",
    "HookChange",
    "ReleaseDiff",
    "Side",
    "against_previous",
    "diff_archives",
    "diff_reasons",
]
