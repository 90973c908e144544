"""The regex fallback for source that ``ast`` cannot parse: the same facts, found line by line (the
call tables and string checks are the ones the syntax-tree pass uses)."""

from __future__ import annotations

import re

from vetpy.features import calls
from vetpy.features.registry import signal
from vetpy.features.source.facts import FactsBuilder, Hit
from vetpy.features.source.literals import scan_string
from vetpy.features.source.text import Lines

_IMPORT_RE = re.compile(r"^\s*import\s+([\w.]+(?:\s+as\s+\w+)?(?:\s*,\s*[\w.]+(?:\s+as\s+\w+)?)*)", re.M)
_FROM_RE = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w\s,]+)", re.M)
_CALL_RE = re.compile(r"(?<![\w.])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*){0,5})\s*\(")
# A backslash is only ever consumed as an escape (``[^\\]``): with ``.`` both branches could take it and an
# unterminated string of escapes backtracked exponentially (a 100-character line took minutes).
# A decoder called as a method of anything (``__import__('base64').b64decode(...)``), which _CALL_RE skips.
_DECODER_METHOD_RE = re.compile(
    r"\.(?:b64decode|b32decode|b16decode|a85decode|b85decode|decompress|fromhex|unhexlify)\s*\("
)
_STR_RE = re.compile(r"""(?P<q>['"])(?P<s>(?:\\.|(?!(?P=q))[^\\]){8,20000}?)(?P=q)""")


def scan_regex(scan: FactsBuilder, text: str, lines: Lines, is_setup: bool) -> None:
    """Best-effort scan of source that ``ast`` cannot parse (tables shared with the AST pass)."""
    aliases: dict[str, str] = {}
    for m in _IMPORT_RE.finditer(text[:2_000_000]):
        for part in m.group(1).split(","):
            bits = part.split()
            if not bits:
                continue
            name = bits[0]
            alias = bits[2] if len(bits) == 3 else name.split(".")[0]
            aliases[alias] = name if len(bits) == 3 else name.split(".")[0]
            scan.token(f"import:{name.split('.')[0]}")
    for m in _FROM_RE.finditer(text[:2_000_000]):
        module = m.group(1)
        scan.token(f"import:{module.split('.')[0]}")
        for part in m.group(2).split(","):
            bits = part.split()
            if bits:
                aliases[bits[-1]] = f"{module}.{bits[0]}"
    for line_no, raw in enumerate(text.split("\n"), start=1):
        if line_no > 200_000:
            break
        line = raw[:20_000]
        top = not raw[:1].isspace()  # an unindented line runs when the module does
        called: set[str] = set()
        for m in _CALL_RE.finditer(line):
            dotted = m.group(1)
            head, _, rest = dotted.partition(".")
            base = aliases.get(head) or (head if head in calls.BUILTIN_NAMES else None)
            q = (
                (f"{base}.{rest}" if rest else base)
                if base
                else ("*." + dotted.rsplit(".", 1)[-1] if rest else None)
            )
            if q is None:
                continue
            scan.token(f"call:{q}")
            called.add(q)
            for f in calls.features_for(q):
                scan.add(Hit(f, line_no, f"{signal(f)}: {q}", lines.get(line_no)), top)
            if is_setup and q in calls.SETUP_NAMES and "cmdclass" in text:
                scan.add(Hit("install.cmdclass", line_no, "setup(cmdclass=...)", lines.get(line_no)))
        decodes = any(calls.is_decoder(q) for q in called) or _DECODER_METHOD_RE.search(line)
        if called & calls.EXEC_NAMES and decodes:
            hit = Hit("code.decode_exec", line_no, "decoded data run by exec/eval", lines.get(line_no))
            scan.add(hit, top)  # decoding and exec on one line: the syntax-tree pass's decode-exec
            scan.token("flow:decode_exec")
        for m in _STR_RE.finditer(line):
            scan_string(scan, m.group("s"), line_no, lines, False)
