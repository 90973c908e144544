"""Typosquatting: closeness to the nearest *other* popular project name (never popularity itself)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import numpy as np
from packaging.utils import canonicalize_name
from rapidfuzz import fuzz, process
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

MIN_LENGTH = 4
MAX_EDITS = 2
TWO_EDIT_MIN_LENGTH = 6  # two edits on a 4-5 letter name reach too many unrelated names


@dataclass(frozen=True)
class Typosquat:
    """The nearest other popular name, its similarity (0-1), and whether it is within 1-2 edits."""

    nearest: str | None
    similarity: float
    edits: int | None
    is_typosquat: bool


NONE = Typosquat(None, 0.0, None, False)


@lru_cache(maxsize=1)
def popular_names() -> tuple[tuple[str, ...], frozenset[str]]:
    """The canonical popular names from package data, as an ordered tuple and a set."""
    text = resources.files("vetpy.data").joinpath("popular.txt").read_text(encoding="utf-8")
    names = tuple(n.strip() for n in text.splitlines() if n.strip())
    return names, frozenset(names)


@cache
def names_near_length(length: int) -> tuple[str, ...]:
    """The popular names, in list order, whose length is within MAX_EDITS of ``length``: the only ones an
    edit distance of MAX_EDITS or less can reach (an edit changes the length by one at most), so the
    nearest of them is the nearest of all, ties included (a third of the list is searched, not all of it)."""
    return tuple(n for n in popular_names()[0] if abs(len(n) - length) <= MAX_EDITS)


def edit_candidates(canon: str) -> list[str]:
    """The popular names, in list order, that may be within MAX_EDITS Damerau-Levenshtein edits of
    ``canon``: those within twice as many plain Levenshtein edits (a transposition is one
    Damerau-Levenshtein edit and two Levenshtein ones; every other edit is one in both), found by
    rapidfuzz's bit-parallel Levenshtein, several times faster than its Damerau-Levenshtein. The nearest
    of them is the nearest of all."""
    near = names_near_length(len(canon))
    found = process.cdist(
        [canon], near, scorer=Levenshtein.distance, score_cutoff=2 * MAX_EDITS, dtype=np.int32
    )
    return [near[i] for i in np.flatnonzero(found[0] <= 2 * MAX_EDITS)]


def _most_similar(canon: str, names: tuple[str, ...]) -> tuple[float, str | None]:
    """The highest ``fuzz.ratio`` (0-1) of ``canon`` to a name, and the first name in list order that has
    it, when it is 50 or more (else 0.0 and None): ``process.extractOne``'s answer, from one ``cdist``
    row (a third faster: no result object per name)."""
    scores = process.cdist([canon], names, scorer=fuzz.ratio, score_cutoff=50, dtype=np.float64)[0]
    best = int(np.argmax(scores))  # the first of equal maxima
    if scores[best] < 50:
        return 0.0, None
    return float(scores[best]) / 100.0, names[best]


@lru_cache(maxsize=4096)
def typosquat(name: str | None) -> Typosquat:
    """Compare ``name`` with the popular list; a name that is itself popular gives no signal at all."""
    if not name:
        return NONE
    canon = canonicalize_name(name)
    names, members = popular_names()
    if not canon or canon in members:
        return NONE
    similarity, nearest = _most_similar(canon, names)
    edits: int | None = None
    squat = False
    if len(canon) >= MIN_LENGTH:
        close = process.extractOne(
            canon, edit_candidates(canon), scorer=DamerauLevenshtein.distance, score_cutoff=MAX_EDITS
        )
        if close is not None and len(str(close[0])) >= MIN_LENGTH:
            edits = int(close[1])
            allowed = MAX_EDITS if len(canon) >= TWO_EDIT_MIN_LENGTH else 1
            squat = 1 <= edits <= allowed
            nearest = str(close[0])
    return Typosquat(nearest, round(similarity, 4), edits, squat)
