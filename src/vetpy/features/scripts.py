"""Strings that are code in another language, and constant strings that decode to something telling.

``script_kinds`` names what a string literal would do if a shell, PowerShell, a Windows script host or a
language model read it: PowerShell cradles and encoded commands, living-off-the-land launchers, defender
and firewall tampering, persistence, uploads of local files, prompt injection (these complement the shell,
download-and-run and start-up patterns of ``strings.py``). ``decoded_tokens`` decodes a constant statically
(base64, base32, hex, reversed text, then zlib/gzip/bz2/lzma), bounded in depth and size, and runs the
decoded text through the same checks: an encoded URL, lexicon host, shell line or Python payload becomes
a ``decoded:`` token.

Both only add tokens to the code-token bag (no numeric column), so the bundled model is unchanged until
it is retrained with them."""

from __future__ import annotations

import base64
import binascii
import bz2
import lzma
import re
import zlib
from collections.abc import Callable, Sequence
from functools import lru_cache

import ahocorasick_rs

from vetpy.features import strings as st
from vetpy.features.lexicon import host_category
from vetpy.features.urls import UrlHit, find_urls
from vetpy.wordsearch import find_words, hint_index

# (kind, lower-case hints one of which every match contains, pattern)
SCRIPT_PATTERNS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "powershell",
        ("iex", "invoke-expression", "-enc", "-e ", "hidden", "frombase64string"),
        re.compile(
            r"\b(?:iex|invoke-expression)\b|\s-e(?:nc(?:odedcommand)?)?\s+[A-Za-z0-9+/=]{20,}|"
            r"-w(?:indowstyle)?\s+hidden|\[convert\]::frombase64string",
            re.I,
        ),
    ),
    (
        "lolbin",
        ("mshta", "regsvr32", "rundll32", "script"),
        re.compile(
            r"\bmshta(?:\.exe)?\s+[\"']?(?:https?:|vbscript:|javascript:)|regsvr32(?:\.exe)?\s+(?:/\w+\s+)*/i:|"
            r"rundll32(?:\.exe)?\s+\S*javascript:|\b[wc]script(?:\.exe)?\s+(?://?\w+\s+)*\S+\.(?:vbs|vbe|jse?|wsf)\b",
            re.I,
        ),
    ),
    (
        "av_tamper",
        ("mppreference", "realtimemonitoring", "windefend", "advfirewall", "vssadmin", "antispyware"),
        re.compile(
            r"(?:set|add)-mppreference|disablerealtimemonitoring|\bsc(?:\.exe)?\s+(?:stop|delete|config)\s+windefend|"
            r"netsh\s+advfirewall\s+set\s+\w+\s+state\s+off|vssadmin(?:\.exe)?\s+delete\s+shadows|disableantispyware",
            re.I,
        ),
    ),
    (
        "persistence",
        ("authorized_keys", "systemd/user", "systemctl", "reg add", "reg.exe"),
        re.compile(
            r"authorized_keys|\.config/systemd/user/|systemctl\s+--user\s+enable|"
            r"\breg(?:\.exe)?\s+add\s+[\"']?hk\w+\\software\\microsoft\\windows\\currentversion\\run",
            re.I,
        ),
    ),
    (
        "upload",  # a command that sends a local file away: curl's form/upload/data-from-file, wget's post
        ("curl", "wget", "uploadfile", "-infile"),
        re.compile(
            r"\bcurl\b[^\n]{0,300}?(?:\s-F\s*[\"']?[\w.\[\]-]*=@|\s(?:-T|--upload-file)\s|"
            r"\s(?:-d|--data(?:-binary)?)\s*[\"']?@)|\bwget\b[^\n]{0,300}?--post-file[=\s]|"
            r"\.uploadfile\s*\(|\s-infile\s",
            re.I,
        ),
    ),
    (
        "browser_hijack",  # a shortcut or launch line that side-loads a browser extension
        ("--load-extension", "user pinned"),
        re.compile(r"--load-extension\b|quick launch[/\\]+user pinned[/\\]+taskbar", re.I),
    ),
    (
        "prompt_injection",
        ("ignore", "disregard", "<important>", "do not tell", "do not mention", "don't tell"),
        re.compile(
            r"(?:ignore|disregard)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier)\s+instructions|"
            r"(?:do\s+not|don't)\s+(?:tell|mention|inform|reveal\s+this\s+to)\s+(?:the\s+)?user|<important>",
            re.I,
        ),
    ),
)
SHELL_PATTERNS = (
    ("shell", st.SHELL_RE),
    ("download_run", st.DOWNLOAD_RUN_RE),
    ("startup_path", st.STARTUP_RE),
    ("credential_path", st.CREDENTIAL_RE),
    ("ip_lookup", st.IP_LOOKUP_RE),
)
PYTHON_PAYLOAD_RE = re.compile(
    r"\b(?:import\s+(?:socket|subprocess|os|base64|ctypes)|exec\s*\(|eval\s*\(|__import__\s*\(|os\.system\s*\()"
)

MAX_DEPTH = 3
MAX_DECODED = 256 * 1024
MIN_ENCODED = 24
_B64_RE = re.compile(r"[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+={0,2}")
_B32_RE = re.compile(r"[A-Z2-7]+=*")
_HEX_RE = re.compile(r"(?:[0-9a-fA-F]{2})+")
_REVERSED_HINTS = ("//:ptth", "//:sptth", "tropmi", "llehsrewop", "cexe", "metsys.so")
# Encoded payloads inside a longer command line: PowerShell's -EncodedCommand (any of its short forms)
# and the argument of [Convert]::FromBase64String.
_EMBEDDED_RE = re.compile(
    r"(?:^|\s)[-/](?:ec|e[a-z]*)\s+[\"']?([A-Za-z0-9+/]{20,}={0,2})|"
    r"frombase64string\(\s*[\"']([A-Za-z0-9+/]{20,}={0,2})[\"']",
    re.I,
)
MAX_EMBEDDED = 8  # payloads decoded per string


_KIND_INDEX = {kind: k for k, (kind, _, _) in enumerate(SCRIPT_PATTERNS)}


@lru_cache(maxsize=1)
def _script_hints() -> tuple[ahocorasick_rs.AhoCorasick, tuple[tuple[int, ...], ...]]:
    """Every hint of SCRIPT_PATTERNS once, and the patterns (by index) each is a hint of."""
    return hint_index([hints for _, hints, _ in SCRIPT_PATTERNS])


def script_kinds(value: str) -> list[str]:
    """The kinds of foreign-language code a string holds: a pattern is searched only when one of its hints
    is in the lower-cased string (all hints found in one pass: most strings hold none)."""
    head = value[:20_000]
    low = head.lower()
    searcher, kinds_of = _script_hints()
    found = find_words(searcher, low)
    if not found:
        return []
    possible = {k for i, _, _ in found for k in kinds_of[i]}
    return [
        kind for k, (kind, _, pattern) in enumerate(SCRIPT_PATTERNS) if k in possible and pattern.search(head)
    ]


def has_script_kind(value: str, kind: str) -> bool:
    """Whether ``kind`` is among :func:`script_kinds` of ``value``: only that kind's hints and pattern are
    searched (a docstring asks about one kind, and its hints are common words for the others)."""
    head = value[:20_000]
    _, hints, pattern = SCRIPT_PATTERNS[_KIND_INDEX[kind]]
    low = head.lower()
    for hint in hints:  # a loop, not any() over a generator: docstrings come by the ten thousand
        if hint in low:
            return pattern.search(head) is not None
    return False


@lru_cache(maxsize=4_096)
def _remembered_injection(text: str) -> bool:
    return has_script_kind(text, "prompt_injection")


def prompt_injection(docstring: str) -> bool:
    """``has_script_kind(docstring, "prompt_injection")``, remembered for docstrings up to 4,000 characters:
    generated code repeats its docstrings (google-ads: 40,000 of them)."""
    if len(docstring) <= 4_000:
        return _remembered_injection(docstring)
    return has_script_kind(docstring, "prompt_injection")


def _utf16(data: bytes) -> bool:
    """UTF-16LE text (what PowerShell's -EncodedCommand carries): a byte-order mark, or mostly NUL odd
    bytes."""
    if data[:2] == b"\xff\xfe":
        return True
    odd = data[1:4000:2]
    return len(data) >= 8 and len(data) % 2 == 0 and odd.count(0) >= 0.9 * len(odd)


def _text(data: bytes) -> str | None:
    """Decoded bytes as text when they look like text (UTF-8 or UTF-16LE, mostly printable), else None."""
    try:
        if _utf16(data):
            text = data[2 if data[:2] == b"\xff\xfe" else 0 :].decode("utf-16-le")
        else:
            text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if looks_like_text(text) else None


def looks_like_text(text: str) -> bool:
    """Non-empty and at least 90% printable (line breaks and tabs count): not binary data read as text."""
    printable = sum(c.isprintable() or c in "\r\n\t" for c in text)
    return bool(text) and printable >= 0.9 * len(text)


def bytes_as_text(data: bytes) -> str | None:
    """``data`` as text (UTF-8 or UTF-16LE) when it looks like text, else None."""
    return _text(data)


def _decompress(data: bytes) -> bytes | None:
    """Inflate ``data`` when it starts like a zlib, gzip, bz2 or xz stream (output bounded)."""
    try:
        if data[:1] == b"x" and len(data) > 2 and (data[0] * 256 + data[1]) % 31 == 0:
            return zlib.decompressobj().decompress(data, MAX_DECODED)
        if data[:2] == b"\x1f\x8b":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, MAX_DECODED)
        if data[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(data, MAX_DECODED)
        if data[:6] == b"\xfd7zXZ\x00":
            return lzma.LZMADecompressor().decompress(data, MAX_DECODED)
    except (zlib.error, OSError, EOFError, ValueError, lzma.LZMAError):
        return None
    return None


def _b64(value: str) -> bytes | None:
    if len(value) % 4 or not _B64_RE.fullmatch(value):
        return None
    try:
        return base64.b64decode(
            value, altchars=b"-_" if "-" in value or "_" in value else None, validate=True
        )
    except (binascii.Error, ValueError):
        return None


def _b32(value: str) -> bytes | None:
    if len(value) % 8 or not _B32_RE.fullmatch(value):
        return None
    try:
        return base64.b32decode(value)
    except (binascii.Error, ValueError):
        return None


def _hex(value: str) -> bytes | None:
    return bytes.fromhex(value) if _HEX_RE.fullmatch(value) else None


DECODERS: tuple[tuple[str, Callable[[str], bytes | None]], ...] = (
    ("hex", _hex),
    ("b32", _b32),
    ("b64", _b64),
)


def _first_decoding(value: str) -> tuple[bytes | None, str]:
    for name, decoder in DECODERS:
        raw = decoder(value)
        if raw is not None:
            return raw, name
    return None, ""


def decode_layers(value: str, depth: int = MAX_DEPTH) -> list[tuple[str, str]]:
    """(method chain, text) for each layer a constant decodes to, outermost first: ``b64+zlib``."""
    out: list[tuple[str, str]] = []
    current, chain = value.strip(), ""
    for _ in range(depth):
        if len(current) > MAX_DECODED:
            break
        low = current[:4000].lower()
        if any(h in low for h in _REVERSED_HINTS):
            current, chain = current[::-1], f"{chain}+reversed".lstrip("+")
            out.append((chain, current))
            continue
        head = current[:200]
        if len(current) < MIN_ENCODED or head.split() != [head]:  # a whitespace character in the head
            break
        raw, method = _first_decoding(current)
        if raw is None:
            break
        inflated = _decompress(raw)
        if inflated is not None:
            raw, method = inflated, f"{method}+zlib"
        text = _text(raw[:MAX_DECODED])
        if text is None:
            break
        current, chain = text, f"{chain}+{method}".lstrip("+")
        out.append((chain, current))
    return out


def rescan_tokens(text: str, urls: Sequence[tuple[int, UrlHit]] | None = None) -> set[str]:
    """What one decoded text would trip: URLs and their lexicon categories, scripts, shell lines, paths,
    Python payload code (``urls``: the text's ``find_urls`` when the caller already has them)."""
    tokens: set[str] = set()
    for _, hit in find_urls(text[:20_000]) if urls is None else urls:
        tokens.add("decoded:url_raw_ip" if hit.raw_ip else "decoded:url")
        category = host_category(hit.host)
        if category:
            tokens.add(f"decoded:infra:{category}")
    tokens.update(f"decoded:script:{k}" for k in script_kinds(text))
    tokens.update(f"decoded:{name}" for name, pattern in SHELL_PATTERNS if pattern.search(text[:20_000]))
    if PYTHON_PAYLOAD_RE.search(text[:20_000]):
        tokens.add("decoded:python")
    return tokens


def embedded_payloads(value: str) -> list[str]:
    """Encoded payloads inside a command line (``powershell -enc <base64>``, ``FromBase64String('...')``)."""
    low = value[:20_000].lower()
    if "-e" not in low and "/e" not in low and "frombase64string" not in low:
        return []
    return [m.group(1) or m.group(2) for m in _EMBEDDED_RE.finditer(value[:20_000])][:MAX_EMBEDDED]


def decoded_texts(value: str) -> list[str]:
    """Every text a string constant decodes to statically: the layers of the whole constant, then of each
    payload embedded in it."""
    if len(value) < MIN_ENCODED:
        return []
    texts = [text for _, text in decode_layers(value)]
    for payload in embedded_payloads(value):
        texts += [text for _, text in decode_layers(payload)]
    return texts


def decoded_tokens(value: str) -> list[str]:
    """Tokens for a constant that decodes to something telling (empty for most strings)."""
    tokens: set[str] = set()
    for text in decoded_texts(value):
        tokens |= rescan_tokens(text)
    return sorted(tokens)


# Python source inside a string: a program a dropper writes to disk or hands to ``python -c``.
PROGRAM_KEYS = ("import ", "exec(", "eval(", "__import__(", "pickle.loads(", "marshal.loads(")
_PROGRAM_LEADS = ("exec(", "__import__(")  # a one-line program without a separator
MIN_PROGRAM = 12
MAX_PROGRAM = 20_000  # the rescan limit of decoded texts
# ``python -c "<program>"`` in a shell line (systemd ExecStart=, crontab, os.system): double-quoted with
# backslash escapes, or single-quoted.
_PYTHON_C = re.compile(
    r"\bpython(?:[23](?:\.\d+)?)?(?:\.exe)?[\"']?\s+(?:-[A-Za-z]+\s+)*-c\s*"
    r"(?:\"((?:\\.|[^\"\\])*)\"|'([^']*)')"
)
_SHELL_ESCAPE = re.compile(r"\\([\"\\$`])")


def python_programs(value: str) -> list[str]:
    """The texts of a string that may be Python programs: the string itself when it holds one of
    PROGRAM_KEYS and a line break or ``;`` (or starts with ``exec(`` / ``__import__(``), and the argument
    of each ``python -c`` in it. Cheap: most strings fail the first tests; the caller parses the rest."""
    n = len(value)
    if n < MIN_PROGRAM or n > MAX_PROGRAM:
        return []
    shell = "-c" in value
    if not (shell or "\n" in value or ";" in value or value.lstrip().startswith(_PROGRAM_LEADS)):
        return []
    if not any(key in value for key in PROGRAM_KEYS):
        return []
    programs = [value]
    if shell:
        for m in _PYTHON_C.finditer(value):
            inner = _SHELL_ESCAPE.sub(r"\1", m.group(1)) if m.group(1) is not None else m.group(2)
            if inner not in programs:
                programs.append(inner)
            if len(programs) > MAX_EMBEDDED:
                break
    return programs
