"""URL and IP extraction from text, and their classification (insecure, raw IP, webhook, paste, unknown)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from vetpy.features.domains import is_well_known
from vetpy.features.lexicon import host_category

URL_RE = re.compile(r"""\b((?:https?|ftp|wss?|tcp)://[^\s'"<>`\\)\]}]{1,500})""", re.IGNORECASE)
IP_PORT_RE = re.compile(r"""^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$""")

WEBHOOK_RE = re.compile(
    r"discord(?:app)?\.com/api/webhooks|api\.telegram\.org/bot|hooks\.slack\.com/|webhook\.site|"
    r"ptb\.discord\.com/api|canary\.discord\.com/api|pipedream\.net|requestbin|"
    r"interact\.sh|oast\.(?:fun|me|pro|live|site|online)|burpcollaborator\.net|ngrok\.io|ngrok-free\.app",
    re.IGNORECASE,
)
PASTE_HOSTS: tuple[str, ...] = (
    "pastebin.com",
    "paste.ee",
    "hastebin.com",
    "ghostbin.com",
    "rentry.co",
    "rentry.org",
    "transfer.sh",
    "anonfiles.com",
    "bayfiles.com",
    "file.io",
    "filebin.net",
    "gofile.io",
    "catbox.moe",
    "0x0.st",
    "termbin.com",
    "controlc.com",
    "paste.c-net.org",
    "dpaste.com",
    "dpaste.org",
    "justpaste.it",
    "privatebin.net",
    "mediafire.com",
    "mega.nz",
    "sendspace.com",
    "uploadfiles.io",
    "cdn.discordapp.com",
    "media.discordapp.net",
    "bit.ly",
    "tinyurl.com",
    "is.gd",
    "cutt.ly",
    "t.me",
    "ufile.io",
    "temp.sh",
    "paste.rs",
    "pastes.io",
    "textbin.net",
    "ipfs.io",
)
PLACEHOLDER_HOSTS: frozenset[str] = frozenset(
    {"localhost", "example.com", "example.org", "example.net", "example", "host", "hostname", "domain"}
)
_PRIVATE_NETS = tuple(
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


@dataclass(frozen=True)
class UrlHit:
    """One URL or bare IP seen in text, with its classification."""

    text: str
    host: str
    insecure: bool
    raw_ip: bool
    webhook: bool
    paste: bool
    unknown_host: bool

    @property
    def suspicious(self) -> bool:
        """The paper's notion: insecure scheme, raw IP, or unknown domain (plus webhooks and pastes)."""
        return self.insecure or self.raw_ip or self.unknown_host or self.webhook or self.paste

    def features(self) -> list[str]:
        """The registry feature ids this URL counts towards."""
        pairs = (
            ("code.raw_ip", self.raw_ip),
            ("code.webhook", self.webhook),
            ("code.paste_site", self.paste),
            ("code.unusual_host", self.unknown_host and not self.webhook and not self.paste),
        )
        return [feature for feature, flag in pairs if flag]

    def tokens(self) -> list[str]:
        """Bag-of-words tokens naming this URL's categories."""
        out = []
        if self.raw_ip:
            out.append("str:url_raw_ip")
        if self.webhook:
            out.append("str:webhook")
        if self.paste:
            out.append("str:paste_site")
        if self.insecure and not self.raw_ip:
            out.append("str:url_http")
        if self.unknown_host and not self.raw_ip:
            out.append("str:url_unknown_host")
            category = host_category(self.host)  # infrastructure lexicon (lexicon.py)
            if category:
                out.append(f"infra:{category}")
        return out


@lru_cache(maxsize=8192)
def public_ip(text: str) -> bool:
    """True for a dotted IPv4 address that is routable (not loopback, private, link-local or unspecified)."""
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_unspecified or addr.is_link_local or addr.is_multicast:
        return False
    if addr.version == 4 and str(addr).startswith(("255.", "0.")):
        return False
    return not any(addr in net for net in _PRIVATE_NETS)


def _is_paste(host: str) -> bool:
    return any(host == p or host.endswith("." + p) for p in PASTE_HOSTS)


@lru_cache(maxsize=8192)
def classify_url(url: str) -> UrlHit | None:
    """Classify one URL; None when it has no usable host or points at a placeholder/local host."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    if not host or ("." not in host and host not in PLACEHOLDER_HOSTS):
        return None
    if host in PLACEHOLDER_HOSTS or host.endswith((".local", ".localhost", ".example")):
        return None
    is_ip = IP_PORT_RE.match(host) is not None
    if is_ip and not public_ip(host):
        return None
    if not is_ip and not re.fullmatch(r"[a-z0-9.-]+\.[a-z][a-z0-9-]{1,62}", host):
        return None  # template placeholders such as "{host}" or "%s"
    webhook = WEBHOOK_RE.search(url) is not None
    paste = _is_paste(host)
    return UrlHit(
        text=url[:200],
        host=host,
        insecure=parts.scheme.lower() in ("http", "ftp", "ws", "tcp"),
        raw_ip=is_ip,
        webhook=webhook,
        paste=paste,
        unknown_host=not is_ip and not is_well_known(host),
    )


def bare_ip(value: str) -> UrlHit | None:
    """A string literal that is exactly a public IPv4 address (optionally ``:port``)."""
    m = IP_PORT_RE.match(value.strip())
    if not m or not public_ip(m.group(1)):
        return None
    return UrlHit(value.strip()[:200], m.group(1), False, True, False, False, False)


def url_matches(text: str) -> Iterator[re.Match[str]]:
    """Exactly ``URL_RE.finditer(text)``, tried only where a scheme can end at a ``://`` (the pattern starts
    with ``\\b``, so the regex engine cannot skip ahead and tries every position of the text). A match at
    ``s`` has its ``://`` at ``s + 2 .. s + 5`` (ws, ftp/tcp/wss, http, https), so trying those starts for
    each ``://`` in turn, past the end of the last match, finds the same leftmost matches in order."""
    end = 0
    colon = text.find("://")
    while colon >= 0:
        for start in range(max(end, colon - 5), colon - 1):
            m = URL_RE.match(text, start)
            if m is not None:
                yield m
                end = m.end()
                break
        colon = text.find("://", max(colon + 3, end))


def find_urls(text: str) -> Iterator[tuple[int, UrlHit]]:
    """Yield (offset, hit) for every classifiable URL in ``text``."""
    for m in url_matches(text):
        hit = classify_url(m.group(1).rstrip(".,;:"))
        if hit is not None:
            yield m.start(), hit
