"""The paper's features (Samaana et al., SAC 2025): homepage, author email, install hook, minimal
setup.cfg, licence mismatch, and the "suspicious lines of code" text."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from vetpy.features.domains import is_well_known
from vetpy.features.pkginfo import Metadata

MAX_TEXT_CHARS = 400_000
MAX_LINE_CHARS = 400

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


def install_hook_line(text: str) -> str | None:
    """The first suspicious-text match of an install-command override, or None."""
    m = INSTALL_HOOK_RE.search(text)
    return m.group(0) if m else None


def suspicious_lines(text: str, *, whole_file: bool) -> list[str]:
    """The lower-cased lines of ``text`` the paper keeps (all of them when ``whole_file``)."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if whole_file or SUSPICIOUS_LINE_RE.search(stripped[:MAX_LINE_CHARS]):
            out.append(stripped[:MAX_LINE_CHARS].lower())
    return out
