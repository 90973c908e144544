"""Bad input never raises out of the extractor: it becomes code.parse_error or a normal result."""

from __future__ import annotations

import time

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures


def run(files: dict[str, str | bytes]) -> PackageFeatures:
    return extract_features(make_archive(files))


def test_deep_parentheses() -> None:
    # `subprocess` makes the fast pass send the file to the syntax tree, which cannot hold it
    f = run({"deep.py": "import subprocess\nx = " + "(" * 100_000 + "1" + ")" * 100_000 + "\n"})
    assert f.values["code.parse_error"] == 1.0
    assert f.evidence_for("code.parse_error")[0].file == "demo-1.0/deep.py"


def test_huge_expression_does_not_crash() -> None:
    start = time.perf_counter()
    f = run({"big.py": "x = " + "1+" * 200_000 + "1\nimport os\nos.system('echo hi')\n"})
    assert time.perf_counter() - start < 30
    # too deep for the syntax tree: the regex fallback still sees the call
    assert f.values["code.parse_error"] == 1.0
    assert f.values["code.os_system"] > 0


def test_deeply_nested_but_parseable_tree_is_walked_iteratively() -> None:
    code = "x = " + "[" * 180 + "os.system('echo hi')" + "]" * 180 + "\nimport os\n"
    f = run({"nest.py": "import os\n" + code})
    assert f.values["code.parse_error"] == 0.0
    assert f.values["code.os_system"] > 0


def test_python2_file_falls_back_to_regex() -> None:
    f = run(
        {"setup.py": "import os\nprint 'installing'\nos.system('echo hi')\nu = 'http://198.51.100.7/x'\n"}
    )
    assert f.values["code.parse_error"] == 1.0
    assert f.values["code.parse_error_ratio"] == 1.0
    assert f.values["code.os_system"] > 0
    assert f.values["code.raw_ip"] > 0
    assert f.evidence_for("code.os_system")[0].line == 3
    assert "print 'installing'" in f.suspicious_text


def test_parse_error_ratio() -> None:
    f = run({"a.py": "x = 1\n", "b.py": "import socket\ndef (:\n"})
    assert f.values["code.parse_error_ratio"] == 0.5
    assert run({"a.py": "x = 1\n"}).values["code.parse_error"] == 0.0


def test_nul_bytes_and_binary_junk() -> None:
    f = run({"nul.py": b"import os\x00\nos.system('echo hi')\n", "junk.py": bytes(range(256)) * 50})
    assert f.values["code.parse_error"] == 1.0
    assert f.values["code.os_system"] > 0


def test_bom_and_latin1() -> None:
    bom = b"\xef\xbb\xbfimport os\nos.system('echo hi')\n"
    latin = "# -*- coding: latin-1 -*-\nimport os\nname = 'caf\xe9'\nos.system('echo hi')\n".encode("latin-1")
    undeclared = "import os\nname = 'caf\xe9'\nos.system('echo hi')\n".encode("latin-1")
    for data in (bom, latin):
        f = run({"m.py": data})
        assert f.values["code.parse_error"] == 0.0 and f.values["code.os_system"] > 0
    assert run({"m.py": undeclared}).values["code.os_system"] > 0


def test_huge_line_and_empty_archive() -> None:
    f = run({"m.py": "x = '" + "a" * 3_000_000 + "'\n"})
    assert f.values["code.long_lines"] > 0
    empty = extract_features(make_archive({}, pkg_info=None))
    assert empty.values["archive.no_python"] == 1.0 and empty.name == "demo"


def test_malformed_metadata() -> None:
    f = extract_features(make_archive({}, pkg_info="\x00\xff garbage :: : \n\n\n" * 100))
    assert f.name == "demo"


def test_regex_fallback_sees_decode_exec_and_module_level() -> None:
    """Source the syntax tree cannot hold (Python 2 here) gets the same decode-exec signal, and an
    unindented call counts as module level (what install.init_suspicious reads in an __init__.py)."""
    src = "print 'py2'\nimport base64\nexec(base64.b64decode('cHJpbnQoMSk='))\n"
    init = run({"pkg/__init__.py": src})
    assert init.values["code.parse_error"] == 1.0
    assert init.values["code.decode_exec"] > 0
    assert init.values["install.init_suspicious"] > 0
    nested = run({"pkg/__init__.py": "print 'py2'\ndef f():\n    exec(__import__('zlib').decompress(b))\n"})
    assert nested.values["code.decode_exec"] > 0
    assert nested.values["install.init_suspicious"] == 0
