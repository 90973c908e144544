"""String-level obfuscation signals: entropy, long strings, hex/chr chains, obfuscator markers, paths."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import ahocorasick_rs

from vetpy.wordsearch import automaton, find_words, lowered

LONG_STRING = 40  # the paper's threshold
VERY_LONG_STRING = 200
HIGH_ENTROPY_MIN_LEN = 64
ENTROPY_SAMPLE = 65_536
LONG_LINE = 1000

HEX_ESCAPES_RE = re.compile(r"(?:\\x[0-9a-fA-F]{2}){8,}")
OBFUSCATOR_RE = re.compile(
    r"pyarmor|pytransform|__armor|pyobfuscate|obfuscated\s+(?:by|with|using)|\b_0x[0-9a-fA-F]{4,}\b|"
    r"\b[Il]{10,}\b|\b[O0]{10,}\b|blankobf|hyperion|kramer|pyob\.oxyry|obfuscator",
    re.IGNORECASE,
)
_OBFUSCATOR_WORDS_RE = re.compile(
    r"pyarmor|pytransform|__armor|pyobfuscate|obfuscated\s+(?:by|with|using)|blankobf|hyperion|kramer|"
    r"pyob\.oxyry|obfuscator",
    re.IGNORECASE,
)
_OBFUSCATOR_WORD_HINTS = (
    "pyarmor",
    "pytransform",
    "__armor",
    "pyobfuscate",
    "obfuscat",
    "blankobf",
    "hyperion",
    "kramer",
    "pyob.oxyry",
)
_HEX_NAME_RE = re.compile(r"\b_0x[0-9a-fA-F]{4,}\b")
_LOOKALIKE_RUN_RE = re.compile(r"\b[IlO0]{10,}\b")
_LOOKALIKE_SPAN_RE = re.compile(r"[IlO0]{10,}")  # no leading \b: the regex engine can skip ahead
# I, l, O and 0 as b"1", every other byte as b"0": ten of those letters in a row in a text are ten b"1" in a
# row in the translation of its UTF-8 bytes (any other character's bytes are not those four ASCII bytes).
_LOOKALIKE_BYTES = bytes(0x31 if chr(i) in "IlO0" else 0x30 for i in range(256))
_LOOKALIKE_TEN = b"1" * 10
ASCII_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def is_word_char(c: str) -> bool:
    """``\\w`` of a str pattern: a letter, digit or number of any script, or ``_``."""
    return c in ASCII_WORD_CHARS or (c > "\x7f" and c.isalnum())


def lookalike_runs(text: str) -> list[re.Match[str]]:
    """Exactly the matches of ``_LOOKALIKE_RUN_RE`` (a whole word of 10 or more of I, l, O, 0): the
    maximal runs of those letters, kept when no word character borders them. A text without ten of them
    in a row (nearly all: one C pass over its bytes tells) has none."""
    if _LOOKALIKE_TEN not in text.encode("utf-8", "surrogatepass").translate(_LOOKALIKE_BYTES):
        return []
    n = len(text)
    return [
        m
        for m in _LOOKALIKE_SPAN_RE.finditer(text)
        if not (m.start() and is_word_char(text[m.start() - 1]))
        and not (m.end() < n and is_word_char(text[m.end()]))
    ]


@lru_cache(maxsize=1)
def _obfuscator_hints() -> ahocorasick_rs.AhoCorasick:
    """The words' hints, then ``_0x``: one pass over the lower-cased text says which regex may match."""
    return automaton([*_OBFUSCATOR_WORD_HINTS, "_0x"])


def _hint_indexes(low: str) -> set[int]:
    """Which of the words' hints (by index; ``_0x`` last) are in ``low``."""
    return {i for i, _, _ in find_words(_obfuscator_hints(), low)}


def find_obfuscator(text: str) -> list[tuple[int, str]]:
    """(offset, text) of obfuscator markers: the same markers as OBFUSCATOR_RE, found with cheap literal
    pre-checks and single-pass regexes (the combined case-insensitive alternation is ~5x slower)."""
    hits: list[tuple[int, str]] = []
    found = _hint_indexes(lowered(text))
    if found - {len(_OBFUSCATOR_WORD_HINTS)}:  # one of the words' hints is in the lower-cased text
        hits += [(m.start(), m.group(0)) for m in _OBFUSCATOR_WORDS_RE.finditer(text)]
    if len(_OBFUSCATOR_WORD_HINTS) in found:  # "_0x"
        hits += [(m.start(), m.group(0)) for m in _HEX_NAME_RE.finditer(text)]
    for m in lookalike_runs(text):
        run = m.group(0)
        if set(run.lower()) <= {"i", "l"} or set(run.lower()) <= {"o", "0"}:
            hits.append((m.start(), run))
    hits.sort()
    return hits


def find_hex_escapes(text: str) -> list[tuple[int, str]]:
    """(offset, text) of HEX_ESCAPES_RE matches, as ``finditer`` gives them: every match starts with
    ``\\x``, so the pattern is tried only where one is (found by ``str.find``, far faster than the regex
    engine's scan), and the search goes on after each match."""
    out: list[tuple[int, str]] = []
    find, match = text.find, HEX_ESCAPES_RE.match
    at = find("\\x")
    while at >= 0:
        m = match(text, at)
        if m is None:
            at = find("\\x", at + 1)
        else:
            out.append((at, m.group(0)))
            at = find("\\x", m.end())
    return out


_BASE64ISH_RE = re.compile(r"^[A-Za-z0-9+/=_-]+$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]+$")

# Not `.netrc`: it is the client configuration every network client reads for the host its caller
# chose (the netrc module, ftplib, curl, pip, requests); counting it made requests look like a stealer.
CREDENTIAL_RE = re.compile(
    r"\.ssh[/\\]|id_rsa|id_ed25519|id_ecdsa|\.aws[/\\]credentials|\.git-credentials|\.pypirc|\.npmrc|"
    r"\.docker[/\\]config\.json|\.kube[/\\]config|login data|local state|"
    r"local storage[/\\]+leveldb|discord(?:canary|ptb)?[/\\]|telegram desktop|\btdata\b|"
    r"exodus[/\\]|electrum[/\\]|metamask|nkbihfbeogaeaoehlefnkodbefgpgknn|/etc/shadow|\.bash_history|"
    r"chrome[/\\]+user data|mozilla[/\\]+firefox|cookies\.sqlite|logins\.json|key4\.db|"
    r"aws_secret_access_key|google_application_credentials|cryptunprotectdata|browser_cookie",
    re.IGNORECASE,
)
STARTUP_RE = re.compile(
    r"start menu[/\\]+programs[/\\]+startup|currentversion[/\\]+run\b|\.bashrc|\.bash_profile|\.zshrc|"
    r"\.zprofile|crontab|/etc/rc\.local|launchagents|launchdaemons|systemd[/\\]+system|/etc/init\.d|"
    r"schtasks|[/\\]autostart[/\\]",
    re.IGNORECASE,
)
SHELL_RE = re.compile(
    r"/bin/(?:ba)?sh\s+-i|/dev/tcp/|\bnc\s+(?:-\w+\s+)*-e\b|\bncat\b.*-e\b|socat\s+.*exec:", re.IGNORECASE
)
DOWNLOAD_RUN_RE = re.compile(
    r"\b(?:curl|wget)\b[^\n]{0,300}?(?:\|\s*(?:ba|z)?sh\b|&&\s*chmod|;\s*chmod|\s-o\s|\s-O\s)|"
    r"invoke-webrequest|\biwr\b|downloadfile\(|downloadstring\(|certutil\s+-urlcache|bitsadmin",
    re.IGNORECASE,
)
IP_LOOKUP_RE = re.compile(r"ipify\.org|ipinfo\.io|ifconfig\.me|checkip\.|icanhazip|ip-api\.com|myip", re.I)

# Lower-case literals at least one of which every match of the pattern contains. The scanner searches a
# string with a pattern only when a hint is in it: case-insensitive alternations are slow, and files with
# 100k string literals are common (data tables, ASCII-art fonts).
PATTERN_HINTS: dict[str, tuple[str, ...]] = {
    "credential": (
        ".ssh",
        "id_rsa",
        "id_ed25519",
        "id_ecdsa",
        ".aws",
        ".git-credentials",
        ".pypirc",
        ".npmrc",
        ".docker",
        ".kube",
        "login data",
        "local state",
        "local storage",
        "discord",
        "telegram desktop",
        "tdata",
        "exodus",
        "electrum",
        "metamask",
        "nkbihfbeogaeaoehlefnkodbefgpgknn",
        "/etc/shadow",
        ".bash_history",
        "chrome",
        "mozilla",
        "cookies.sqlite",
        "logins.json",
        "key4.db",
        "aws_secret_access_key",
        "google_application_credentials",
        "cryptunprotectdata",
        "browser_cookie",
    ),
    "startup": (
        "start menu",
        "currentversion",
        ".bashrc",
        ".bash_profile",
        ".zshrc",
        ".zprofile",
        "crontab",
        "/etc/rc.local",
        "launchagents",
        "launchdaemons",
        "systemd",
        "/etc/init.d",
        "schtasks",
        "autostart",
    ),
    "shell": ("/bin/", "/dev/tcp/", "nc", "socat"),
    "download": (
        "curl",
        "wget",
        "invoke-webrequest",
        "iwr",
        "downloadfile(",
        "downloadstring(",
        "certutil",
        "bitsadmin",
    ),
    "ip_lookup": ("ipify.org", "ipinfo.io", "ifconfig.me", "checkip.", "icanhazip", "ip-api.com", "myip"),
}


def shannon_entropy(text: str) -> float:
    """Shannon entropy in bits per character (over at most the first 64 KiB)."""
    sample = text[:ENTROPY_SAMPLE]
    if not sample:
        return 0.0
    n = len(sample)
    return -sum(c / n * math.log2(c / n) for c in Counter(sample).values())


def is_high_entropy(text: str, entropy: float | None = None) -> bool:
    """A long literal that looks like packed data: random-looking, base64-like or a long hex blob."""
    if len(text) < HIGH_ENTROPY_MIN_LEN:
        return False
    e = shannon_entropy(text) if entropy is None else entropy
    if e >= 5.2:
        return True
    stripped = text.strip()
    if " " in stripped:
        return False
    if _BASE64ISH_RE.match(stripped[:4096]) and e >= 4.5:
        return True
    return len(stripped) >= 128 and _HEX_RE.match(stripped[:4096]) is not None


def snippet(line: str, limit: int = 120) -> str:
    """A one-line snippet of at most ``limit`` characters."""
    line = line.strip().replace("\t", " ")
    return line if len(line) <= limit else line[: limit - 3] + "..."
