"""The typosquat search looks at fewer names than the whole popular list and finds the same answers."""

from __future__ import annotations

import random
import string

import pytest
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from vetpy.features.typosquat import MAX_EDITS, edit_candidates, names_near_length, popular_names


def _mutations(rng: random.Random, name: str) -> list[str]:
    """Names one or two edits (insertions, deletions, substitutions, transpositions) from ``name``."""
    out = []
    for _ in range(4):
        s = list(name)
        for _ in range(rng.randint(1, 3)):
            op, i = rng.randrange(4), rng.randrange(len(s))
            if op == 0:
                s.insert(i, rng.choice(string.ascii_lowercase))
            elif op == 1 and len(s) > 1:
                del s[i]
            elif op == 2:
                s[i] = rng.choice(string.ascii_lowercase + "-")
            elif i + 1 < len(s):
                s[i], s[i + 1] = s[i + 1], s[i]
        out.append("".join(s))
    return out


def _queries() -> list[str]:
    rng = random.Random(7)
    names = popular_names()[0]
    queries = [m for name in rng.sample(names, 150) for m in _mutations(rng, name)]
    queries += [
        "".join(rng.choice(string.ascii_lowercase + "-_") for _ in range(rng.randint(4, 20)))
        for _ in range(100)
    ]
    return queries


@pytest.mark.parametrize("chunk", range(4))
def test_the_nearest_name_within_two_edits_is_the_one_the_whole_list_gives(chunk: int) -> None:
    names = popular_names()[0]
    queries = _queries()[chunk::4]
    found = 0
    for query in queries:
        whole = process.extractOne(query, names, scorer=DamerauLevenshtein.distance, score_cutoff=MAX_EDITS)
        fast = process.extractOne(
            query, edit_candidates(query), scorer=DamerauLevenshtein.distance, score_cutoff=MAX_EDITS
        )
        assert (whole is None) == (fast is None), query
        if whole is not None and fast is not None:
            assert (whole[0], whole[1]) == (fast[0], fast[1]), query  # same name: ties keep list order
            found += 1
    assert found > len(queries) // 4  # the mutated names do find their popular neighbours


def test_names_near_length_keeps_list_order_and_every_reachable_length() -> None:
    names = popular_names()[0]
    near = names_near_length(8)
    assert list(near) == [n for n in names if 6 <= len(n) <= 10]


def test_the_most_similar_name_is_extract_ones() -> None:
    from rapidfuzz import fuzz

    from vetpy.features.typosquat import _most_similar

    names = popular_names()[0]
    for query in [*_queries()[::5], "a", "zz", "requests"]:
        best = process.extractOne(query, names, scorer=fuzz.ratio, score_cutoff=50)
        expected = (float(best[1]) / 100.0, best[0]) if best else (0.0, None)
        assert _most_similar(query, names) == expected, query
