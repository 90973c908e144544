"""The paper's features (Samaana et al., SAC 2025): homepage, author email, install hook, minimal
setup.cfg, licence mismatch, and the "suspicious lines of code" text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import ahocorasick_rs

from vetpy.acquire.interface import Archive
from vetpy.features.domains import is_well_known
from vetpy.features.interface import Family, ValueKind, spec
from vetpy.features.pkginfo import LicenseCheck, Metadata, is_minimal_setup_cfg, root_setup_cfg
from vetpy.features.strings import ASCII_WORD_CHARS
from vetpy.wordsearch import automaton, find_words, folded

if TYPE_CHECKING:
    from vetpy.features.collect import Collector
    from vetpy.features.gather import PackageFacts

MAX_TEXT_CHARS = 400_000
MAX_LINE_CHARS = 400

_P, _FLAG = Family.PAPER, ValueKind.FLAG
SPECS = (
    spec(
        "paper.homepage_invalid",
        _P,
        _FLAG,
        "homepage missing, not https, or not on a well-known domain",
        "throw-away malicious uploads rarely point at a real project home",
        paper=True,
    ),
    spec(
        "paper.author_email_invalid",
        _P,
        _FLAG,
        "author email missing or its domain not well known",
        "malware authors use disposable or missing contact addresses",
        paper=True,
    ),
    spec(
        "paper.install_hook",
        _P,
        _FLAG,
        "setup.py overrides install commands (cmdclass / install classes)",
        "an overridden install command runs the attacker's code during pip install",
        paper=True,
    ),
    spec(
        "paper.suspicious_url",
        _P,
        _FLAG,
        "a URL or IP that is insecure, raw, or on an unknown domain",
        "payloads are fetched from, and data sent to, hosts no ordinary project uses",
        paper=True,
    ),
    spec(
        "paper.long_string",
        _P,
        _FLAG,
        "a string literal longer than 40 characters in code",
        "encoded payloads and keys are carried as long string literals",
        paper=True,
        signal="string literal over 40 characters",
    ),
    spec(
        "paper.minimal_setup_cfg",
        _P,
        _FLAG,
        "setup.cfg identical to the packaging tool's default",
        "generated throw-away packages keep the tool's default setup.cfg untouched",
        paper=True,
    ),
    spec(
        "paper.license_mismatch",
        _P,
        _FLAG,
        "licence classifier, License field and LICENSE file disagree",
        "copied or hastily faked metadata leaves the licence declarations inconsistent",
        paper=True,
    ),
)

# Lines using suspicious APIs: runtime code generation, process spawn/exit, obfuscation, environment
# changes, file access, network, user input.
SUSPICIOUS_LINE_RE = re.compile(
    r"\b(?:getattr|setattr|exec|eval|execfile|compile|__import__|import_module|globals|locals|"
    r"subprocess|popen|system|spawn\w*|startfile|_exit|exit|kill|call|check_output|check_call|"
    r"base64|b64decode|b32decode|b16decode|decode|encode|zlib|marshal|codecs|fromhex|chr|ord|decompress|"
    r"environ|putenv|getenv|chdir|chmod|"
    r"open|read|readlines|write|remove|unlink|rmtree|shutil|copyfile|makedirs|mkdir|"
    r"socket|connect|send|sendall|recv|urlopen|urlretrieve|urllib\d?|requests|http\w*|get|post|"
    r"input|raw_input|getpass|getuser)\b",
    re.IGNORECASE,
)
INSTALL_HOOK_RE = re.compile(
    r"cmdclass|setuptools\.command\.(?:install|develop|egg_info)|distutils\.command\.install|"
    r"class\s+\w+\s*\(\s*(?:_?install|develop|egg_info)\s*\)|\binstall\.run\s*\(",
)


def homepage_problem(meta: Metadata) -> str | None:
    """None when some homepage is an https URL on a well-known domain, else why it is not."""
    cands = meta.homepage_candidates()
    if not cands:
        return "no homepage declared"
    reasons = []
    for url in cands:
        try:
            parts = urlsplit(url.strip())
            host = (parts.hostname or "").lower()
        except ValueError:
            reasons.append(f"unparsable homepage {url[:60]!r}")
            continue
        if parts.scheme != "https":
            reasons.append(f"homepage is not https: {url[:80]}")
        elif not is_well_known(host):
            reasons.append(f"homepage host not well known: {host[:60]}")
        else:
            return None
    return reasons[0]


def email_problem(meta: Metadata) -> str | None:
    """None when an author/maintainer email has a well-known domain, else why it does not."""
    emails = meta.emails()
    if not emails:
        return "no author email declared"
    for addr in emails:
        domain = addr.rsplit("@", 1)[-1].strip().strip(">").lower()
        if is_well_known(domain):
            return None
    return f"author email domain not well known: {emails[0].rsplit('@', 1)[-1][:60]}"


# The literal each alternative of INSTALL_HOOK_RE starts with (``\binstall`` after its zero-width ``\b``).
_HOOK_STARTS = ("cmdclass", "setuptools.command.", "distutils.command.install", "class", "install.run")


def hook_matches(text: str) -> Iterator[re.Match[str]]:
    """Exactly ``INSTALL_HOOK_RE.finditer(text)``, tried only where one of _HOOK_STARTS occurs, in order
    of position: every match starts with one, and the pattern's ``\\b`` alternative kept the regex engine
    from skipping ahead (tens of milliseconds on a 400,000-character text). Matches are never empty, so
    each search after a match starts at its end, as finditer's does."""
    at = [text.find(word) for word in _HOOK_STARTS]  # each literal's next occurrence (-1: none left)
    end = 0
    while True:
        start = min((p for p in at if p >= 0), default=-1)
        if start < 0:
            return
        m = INSTALL_HOOK_RE.match(text, start)
        if m is not None:
            yield m
            end = m.end()
        for k, p in enumerate(at):
            if 0 <= p < max(end, start + 1):
                at[k] = text.find(_HOOK_STARTS[k], max(end, start + 1))


def install_hook_line(text: str) -> str | None:
    """The first suspicious-text match of an install-command override, or None."""
    m = next(hook_matches(text), None)
    return m.group(0) if m else None


# The words of SUSPICIOUS_LINE_RE (a test checks they are all of its alternatives); the last three may go
# on (spawn\w*, http\w*, urllib\d?), so only their start must be a word boundary.
_LINE_WORDS = (
    *("getattr", "setattr", "exec", "eval", "execfile", "compile", "__import__", "import_module", "globals"),
    *("locals", "subprocess", "popen", "system", "startfile", "_exit", "exit", "kill", "call"),
    *("check_output", "check_call", "base64", "b64decode", "b32decode", "b16decode", "decode", "encode"),
    *("zlib", "marshal", "codecs", "fromhex", "chr", "ord", "decompress", "environ", "putenv", "getenv"),
    *("chdir", "chmod", "open", "read", "readlines", "write", "remove", "unlink", "rmtree", "shutil"),
    *("copyfile", "makedirs", "mkdir", "socket", "connect", "send", "sendall", "recv", "urlopen"),
    *("urlretrieve", "requests", "get", "post", "input", "raw_input", "getpass", "getuser"),
)
_LINE_PREFIXES = ("spawn", "http", "urllib")
# Where str.splitlines breaks besides \n and \r (such texts take the plain path).
_RARE_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_LONG_LINE_RE = re.compile(rf"[\n\r][^\n\r]{{{MAX_LINE_CHARS + 1}}}")


@lru_cache(maxsize=1)
def _line_automaton() -> ahocorasick_rs.AhoCorasick:
    return automaton([*_LINE_WORDS, *_LINE_PREFIXES])


def _candidate_lines(text: str, low: str) -> list[tuple[int, int, bool]]:
    """(start, end, certain) of the lines of ``text`` (broken at ``\\n``/``\\r`` only; ``low``:
    :func:`folded`) that may match SUSPICIOUS_LINE_RE, in order: those holding one of its words as a
    whole word, plus every line longer than MAX_LINE_CHARS (the cut can make or break a match). Any other
    line has no match: its stripped text is whole and its ends border whitespace or a line break, which
    are not word characters. ``certain``: the line holds a whole word, or ``spawn``/``http`` at a word
    start (``\\w*\\b`` then always matches), so its stripped text, when not cut, matches the pattern (a
    character ``folded`` makes a letter is one the case-insensitive pattern takes for it)."""
    n, n_full, word = len(low), len(_LINE_WORDS), ASCII_WORD_CHARS
    urllib = n_full + _LINE_PREFIXES.index("urllib")  # urllib\d?\b: the pattern must say
    has_cr = "\r" in low
    certain: set[int] = set()
    maybe: set[int] = set()
    for kind, s, e in find_words(_line_automaton(), low):
        if s and ((c := text[s - 1]) in word or (c > "\x7f" and c.isalnum())):
            continue
        if kind < n_full and e < n and ((c := text[e]) in word or (c > "\x7f" and c.isalnum())):
            continue
        line = max(low.rfind("\n", 0, s), low.rfind("\r", 0, s) if has_cr else -1) + 1
        (maybe if kind == urllib else certain).add(line)
    rows = (low.replace("\r", "\n") if has_cr else low).split("\n")
    if max(map(len, rows)) > MAX_LINE_CHARS:  # one C pass says whether the regex can find a long line
        maybe.update(m.start() + 1 for m in _LONG_LINE_RE.finditer(low))
    first = min((i for i in (low.find("\n"), low.find("\r")) if i >= 0), default=n)
    if first > MAX_LINE_CHARS:
        maybe.add(0)
    lines = []
    for start in sorted(certain | maybe):
        end = low.find("\n", start)
        end = n if end < 0 else end
        if has_cr:
            cr = low.find("\r", start, end)
            end = end if cr < 0 else cr
        lines.append((start, end, start in certain))
    return lines


def iter_suspicious_lines(text: str, *, whole_file: bool) -> Iterator[str]:
    """:func:`suspicious_lines` one at a time, so a reader that has enough can stop early. A text broken
    at ``\\n`` and ``\\r`` only is searched only on the lines :func:`_candidate_lines` gives, and not at
    all on a certain one that is not cut: the same lines, without a regex search of every line."""
    search = SUSPICIOUS_LINE_RE.search
    low = None if whole_file or any(b in text for b in _RARE_BREAKS) else folded(text)
    if low is None:
        for line in text.splitlines():
            stripped = line.strip()
            if stripped and (whole_file or search(stripped[:MAX_LINE_CHARS])):
                yield stripped[:MAX_LINE_CHARS].lower()
        return
    for start, end, certain in _candidate_lines(text, low):
        stripped = text[start:end].strip()
        if stripped and ((certain and len(stripped) <= MAX_LINE_CHARS) or search(stripped[:MAX_LINE_CHARS])):
            yield stripped[:MAX_LINE_CHARS].lower()


def suspicious_lines(text: str, *, whole_file: bool) -> list[str]:
    """The lower-cased lines of ``text`` the paper keeps (all of them when ``whole_file``)."""
    return list(iter_suspicious_lines(text, whole_file=whole_file))


def detect_homepage(meta: Metadata, out: Collector) -> None:
    problem = homepage_problem(meta)
    if problem:
        out.fire("paper.homepage_invalid", problem, meta.file, meta.lines.get("home-page"))
        out.token("meta:no_homepage" if problem.startswith("no ") else "meta:bad_homepage")


def detect_email(meta: Metadata, out: Collector) -> None:
    problem = email_problem(meta)
    if problem:
        out.fire("paper.author_email_invalid", problem, meta.file, meta.lines.get("author-email"))
        out.token("meta:no_author_email" if problem.startswith("no ") else "meta:unknown_email_domain")


def detect_install_hook(facts: PackageFacts, out: Collector) -> None:
    """The paper's install-hook feature, read off the suspicious-lines text (evidence from setup.py)."""
    hook = install_hook_line(out.suspicious_text)
    where = next(((f.path, h) for f in facts.files for h in f.examples.get("install.cmdclass", ())), None)
    if hook == "cmdclass" and where is None:  # a cmdclass only for commands pip never runs ("test")
        others = (m.group(0) for m in hook_matches(out.suspicious_text) if m.group(0) != hook)
        hook = next(others, None)
    if not hook:
        return
    out.fire(
        "paper.install_hook",
        f"install command override: {hook}",
        where[0] if where else facts.setup,
        where[1].line if where else None,
        where[1].snippet if where else hook,
    )


def detect_license(lic: LicenseCheck, meta_file: str | None, out: Collector) -> None:
    if lic.mismatch:
        msg = f"licences disagree: classifier={lic.classifier}, field={lic.field}, file={lic.file}"
        out.fire("paper.license_mismatch", msg, lic.file_path or meta_file, None)
        out.token("file:license_mismatch")


def detect_minimal_setup_cfg(archive: Archive, out: Collector) -> None:
    cfg = root_setup_cfg(archive)
    if cfg is not None and is_minimal_setup_cfg(cfg.data):
        out.fire("paper.minimal_setup_cfg", "setup.cfg is the packaging tool's default", cfg.path, 1)
        out.token("file:minimal_setup_cfg")
