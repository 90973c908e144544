"""The paper's features (Samaana et al., SAC 2025): homepage, author email, install hook, minimal
setup.cfg, licence mismatch, and the "suspicious lines of code" text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from vetpy.acquire.interface import Archive
from vetpy.features.domains import is_well_known
from vetpy.features.interface import Family, ValueKind, spec
from vetpy.features.pkginfo import LicenseCheck, Metadata, is_minimal_setup_cfg, root_setup_cfg

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


def install_hook_line(text: str) -> str | None:
    """The first suspicious-text match of an install-command override, or None."""
    m = INSTALL_HOOK_RE.search(text)
    return m.group(0) if m else None


def iter_suspicious_lines(text: str, *, whole_file: bool) -> Iterator[str]:
    """:func:`suspicious_lines` one at a time, so a reader that has enough can stop early."""
    search = SUSPICIOUS_LINE_RE.search
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and (whole_file or search(stripped[:MAX_LINE_CHARS])):
            yield stripped[:MAX_LINE_CHARS].lower()


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
        others = (m.group(0) for m in INSTALL_HOOK_RE.finditer(out.suspicious_text) if m.group(0) != hook)
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
