"""Fast-pass marks for built strings (features/source/prepass_built.py): every file where folding makes
the full analysis find something the light pass does not is sent to the tree; plain code is not."""

from __future__ import annotations

import pytest

from vetpy.features.source.prepass import _marked_text, has_marks
from vetpy.features.source.prepass_built import constant_value, joined_items, joined_view
from vetpy.features.source.scan import scan_light, scan_source

# Each of these makes the full analysis (with folding) report more than the light pass, and none of them
# holds a mark of the text alone. Hosts are made up.
BUILT = [
    'U = "ht" + "tp://evil-host.xyz/p"\n',
    'U = "https://evil-" + "host.xyz/p"\n',
    'A = "ht"\nU = A + "tp://evil-host.xyz/p"\n',
    'B = "tp://evil-host.xyz/p"\nU = "ht" + B\n',
    'L = "".join(["h", "t", "t", "p", ":", "/", "/", "evil-host", ".xyz"])\n',
    'P = "hs/nib/"[::-1]\n',
    'P = "zyx.tsoh-live//:p"[::-1]\n',
    'S = "zyx.tsoh-live//:p"\nP = S[::-1]\n',
    'P = ("zyx.tsoh-live" "//:p")[::-1]\n',
    'P = "".join(reversed("zyx.tsoh-live//:p"))\n',
    'H = bytes.fromhex("2f62696e2f7368").decode()\n',
    'import binascii\nH = binascii.unhexlify("2f62696e2f7368").decode()\n',
    'B = bytearray(b"png blob")\n',
    'K = b"payload"\nB = bytes(K)\n',
    'B = bytes(map(lambda c: c ^ 1, b"ab`b"))\n',
    'K = b"ab`b"\nB = bytes(c ^ 1 for c in K)\n',
]
PLAIN = [
    "order = np.argsort(scores)[::-1]\n",
    "def f(items):\n    return items[::-1]\n",
    "msg = 'hello ' + name\n",
    "path = base + '/static'\n",
    "data = bytes(buffer)\n",
    "line = ', '.join(['a', 'b'])\n",
    "HEADER = 'x'\ntotal = count + offset\n",
]


def _differs(source: str) -> bool:
    full, light = scan_source("pkg/m.py", source), scan_light("pkg/m.py", source)
    texture = {"paper.long_string", "code.long_strings"}
    fired = {f for f, n in full.counts.items() if f not in texture and n > light.counts.get(f, 0)}
    tokens = {t for t in set(full.tokens) - set(light.tokens) if not t.startswith(("import:", "call:"))}
    hosts = {h.host for _, h in full.urls if h.suspicious}
    return bool(fired or tokens or hosts)


@pytest.mark.parametrize("source", BUILT)
def test_a_built_string_the_full_analysis_reads_is_marked(source: str) -> None:
    assert _differs(source)  # folding finds something here ...
    assert not _marked_text(source)  # ... that no mark of the text alone shows ...
    assert has_marks(source)  # ... so the built-string marks send it to the tree


@pytest.mark.parametrize("source", PLAIN)
def test_plain_code_is_still_skipped(source: str) -> None:
    assert not _differs(source)
    assert not has_marks(source)


def test_joined_view_joins_literals_and_bound_names() -> None:
    assert joined_view('u = "ht" + "tp://x"\n') == 'u = "http://x"\n'
    assert joined_view('A = "ht"\nu = A + "tp://x"\n') == 'A = "ht"\nu = "http://x"\n'
    assert joined_view('B = "tp"\nu = "ht" + B\n') == 'B = "tp"\nu = "http"\n'
    assert joined_view("u = a + b\n") is None
    assert joined_view("u = 'x' + name\n") is None


def test_constant_value_reads_a_literal_bound_at_a_line_start() -> None:
    assert constant_value('X = "abc"\n', "X") == "abc"
    assert constant_value("if y:\n    X = 'abc'\n", "X") == "abc"
    assert constant_value('X = (\n    "abc"\n    "def")\n', "X") == "abcdef"
    assert constant_value("X = f(1)\n", "X") is None


def test_joined_items_use_the_separator() -> None:
    assert joined_items('p = "/".join(["", "bin", "sh"])\n') == ["/bin/sh"]
    assert joined_items("p = sep.join(parts)\n") == []


def test_the_bindings_are_those_of_a_multi_line_search() -> None:
    """The table of names bound to literals equals what one multi-line ``^`` search gives (seeded random
    texts of names, assignments, quotes, brackets and line breaks)."""
    import random
    import re

    from vetpy.features.source import prepass_built

    reference = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*=[ \t]*\(?\s*([rRuUbBfF]{0,2}[\"'])", re.MULTILINE)
    rng = random.Random(31)
    pieces = ["x", "name", " ", "\t", "=", "==", "(", "\n", "\r\n", "'", '"', "rb", "f", "9", "é", "  y = ("]
    pieces += ["\nx = '", '\nname="', "x=(\n'", "\n\tz = rb'"]
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        expected: dict[str, int] = {}
        for m in reference.finditer(text):
            expected.setdefault(m.group(1), m.start(2))
        assert prepass_built._bindings(text) == expected, repr(text)
        found += bool(expected)
    assert found > 500
