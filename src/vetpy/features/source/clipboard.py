"""Clipboard hijackers ("clippers"): code that reads the clipboard, writes it, and holds a cryptocurrency
address or a pattern of one: it waits for a copied wallet address and puts the attacker's in its place.

Reading the clipboard alone is what command-line tools do; reading and writing it is a clipboard manager;
only the two with a wallet address (bitcoin, ethereum, monero, tron, litecoin, dogecoin) or a regular
expression for one in the same module is ``flow:clipboard_hijack``, which :mod:`vetpy.policy` makes the
hard finding ``clipboard_hijack``. The walk notes reads and writes (calls of pyperclip, win32clipboard,
tkinter, or ``pbpaste``/``pbcopy``/``xclip``/``xsel``/``clip`` commands); the module's constants are read
only when it has both.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from vetpy.features.source.facts import Hit
from vetpy.features.source.state import WalkState

CLIPBOARD_TOKEN = "flow:clipboard_hijack"
_READ_NAMES = frozenset(
    {"pyperclip.paste", "pyperclip.waitForPaste", "pyperclip.waitForNewPaste", "clipboard.paste"}
    | {"xerox.paste", "pyperclip3.paste", "klembord.get_text"}
)
_WRITE_NAMES = frozenset(
    {"pyperclip.copy", "clipboard.copy", "xerox.copy", "pyperclip3.copy", "klembord.set_text"}
)
_READ_LAST = frozenset({"GetClipboardData", "clipboard_get"})  # win32clipboard, ctypes, tkinter
_WRITE_LAST = frozenset({"SetClipboardText", "SetClipboardData", "clipboard_append"})
_READ_COMMAND = re.compile(
    r"\b(?:pbpaste|get-clipboard)\b|\bxclip\b[^|;&]*\s-o\b|\bxsel\b[^|;&]*\s(?:-o|--output)\b", re.I
)
_WRITE_COMMAND = re.compile(
    r"\b(?:pbcopy|clip(?:\.exe)?|set-clipboard)\b(?![\w.-])|\bxclip\b(?![^|;&]*\s-o\b)"
    r"|\bxsel\b(?![^|;&]*\s(?:-o|--output)\b)",
    re.I,
)
_B58 = "1-9A-HJ-NP-Za-km-z"
#: Whole constants that are a wallet address, by chain.
ADDRESS_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("bitcoin", re.compile(r"(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{25,87}")),
    ("bitcoin", re.compile(rf"[13][{_B58}]{{25,34}}")),
    ("ethereum", re.compile(r"0x[0-9a-fA-F]{40}")),
    ("monero", re.compile(rf"[48][0-9AB][{_B58}]{{93}}")),
    ("tron", re.compile(rf"T[{_B58}]{{33}}")),
    ("litecoin", re.compile(rf"(?:ltc1[02-9ac-hj-np-z]{{25,87}}|[LM][{_B58}]{{26,33}})")),
    ("dogecoin", re.compile(rf"D[5-9A-HJ-NP-U][{_B58}]{{32}}")),
)
#: A regular expression for wallet addresses: bech32's ``bc1``, base58's alphabet, a 40-digit hex after
#: ``0x``, tron's ``T`` and 33, bitcoin's 25 to 34 characters.
_ADDRESS_PATTERN = re.compile(
    r"bc1|ltc1|A-HJ-NP-Z|a-km-z|0x\[[^\]]*\]\{40\}|\^?T\[[^\]]*\]\{33\}|\{2[5-7],\s*3[3-9]\}|\^\(?\[13\]",
    re.I,
)


@lru_cache(maxsize=4_096)
def clipboard_call(q: str) -> str | None:
    """``read`` or ``write`` for a call of the clipboard (by its resolved name), else None."""
    last = q.rsplit(".", 1)[-1]
    if q in _READ_NAMES or last in _READ_LAST:
        return "read"
    if q in _WRITE_NAMES or last in _WRITE_LAST:
        return "write"
    return None


def wallet_constant(value: str) -> str | None:
    """What a constant is when it is a wallet address (``a bitcoin address``) or a regular expression for
    one (``a wallet address pattern``), else None."""
    text = value.strip()
    if 26 <= len(text) <= 110 and text.isalnum():
        for chain, shape in ADDRESS_SHAPES:
            if shape.fullmatch(text) and (chain == "ethereum" or _mixed(text)):
                return f"{'an' if chain[0] in 'aeiou' else 'a'} {chain} address"
    if len(text) <= 400 and "[" in text and ("{" in text or "+" in text) and _ADDRESS_PATTERN.search(text):
        return "a wallet address pattern"
    return None


def _mixed(text: str) -> bool:
    """Digits and letters (both cases for base58): an address, not a word or a hex digest."""
    if text[:3].lower() in ("bc1", "ltc"):
        return any(c.isdigit() for c in text[3:]) and any(c.isalpha() for c in text[3:])
    digit, lower, upper = (any(test(c) for c in text) for test in (str.isdigit, str.islower, str.isupper))
    return digit and lower and upper


class ClipboardChecks(WalkState):
    """Clipboard reads and writes, and (in a module with both) wallet addresses or patterns of them."""

    def note_clipboard(self, node: ast.Call, what: str, kind: str | None) -> None:
        """A clipboard read or write (``kind``) by ``what`` on the call's line."""
        if kind == "read":
            self.watch.clip_reads.append((node.lineno, what))
        elif kind == "write":
            self.watch.clip_writes.append((node.lineno, what))

    def note_clip_command(self, node: ast.Call, q: str, text: str) -> None:
        """A process reading (``pbpaste``, ``xclip -o``...) or writing (``pbcopy``, ``clip``...) the
        clipboard, by its command's constant text."""
        low = text.lower()
        if "clip" not in low and "pb" not in low and "xsel" not in low:
            return
        if _READ_COMMAND.search(text):
            self.note_clipboard(node, f"{q} ({text[:40]})", "read")
        if _WRITE_COMMAND.search(text):
            self.note_clipboard(node, f"{q} ({text[:40]})", "write")

    def finish_clipboard(self, tree: ast.AST) -> None:
        """``flow:clipboard_hijack`` when the module reads and writes the clipboard and holds a wallet
        address or a pattern of one (the first of each as evidence)."""
        watch = self.watch
        if not (watch.clip_reads and watch.clip_writes):
            return
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found = wallet_constant(node.value)
                if found is not None:
                    (r_line, r_what), (w_line, w_what) = watch.clip_reads[0], watch.clip_writes[0]
                    message = (
                        f"reads the clipboard ({r_what}, line {r_line}), writes it ({w_what}, line {w_line})"
                        f" and holds {found} (line {node.lineno})"
                    )
                    self.scan.add(Hit(CLIPBOARD_TOKEN, w_line, message, self.lines.get(w_line)))
                    self.scan.token(CLIPBOARD_TOKEN)
                    return
